"""Card list format on the host: golden vector, and every way a list must be refused."""
import json
from pathlib import Path

import pytest

from doornode.cardlist import (BAD_FORMAT, ENTRY_SIZE, FOREIGN_DOOR, FORGED, HEADER_SIZE,
                               MAC_SIZE, NOT_NEWER, TRUNCATED, CardListError)
from provisioning.cardlist import (NO_EXPIRY, CardListEntry, build_card_list, parse_card_list)
from provisioning.keys import door_key, new_root

from .conftest import CREATED, DOOR, TEST_ROOT, card_entries

GOLDEN_DIR = Path(__file__).parent / "golden"
GOLDEN = json.loads((GOLDEN_DIR / "cardlist-door7-v3.json").read_text())
GOLDEN_BYTES = (GOLDEN_DIR / "cardlist-door7-v3.bin").read_bytes()
KEY = door_key(TEST_ROOT, DOOR)
LITTLEFS_BYTES = 2 * 1024 * 1024  # ESP32_GENERIC 4 MB: vfs partition 0x200000


def reason(data, door=DOOR, key=KEY, installed=None):
    with pytest.raises(CardListError) as err:
        parse_card_list(bytes(data), door, key, installed)
    return err.value.reason


def test_golden_list_is_rebuilt_byte_for_byte():
    assert door_key(bytes.fromhex(GOLDEN["root"]), GOLDEN["door_id"]).hex() == GOLDEN["door_key"]
    built = build_card_list(GOLDEN["door_id"], GOLDEN["version"],
                            [CardListEntry(**e) for e in GOLDEN["entries"]],
                            bytes.fromhex(GOLDEN["door_key"]), created=GOLDEN["created"])
    assert built == GOLDEN_BYTES
    assert built.hex() == GOLDEN["header"] + GOLDEN["entries_hex"] + GOLDEN["mac"]


def test_golden_list_parses_to_its_entries():
    parsed = parse_card_list(GOLDEN_BYTES, 7, KEY)
    assert (parsed.door_id, parsed.version, parsed.created, parsed.utc_offset_min) == (7, 3, CREATED, 480)
    assert [e.card_id for e in parsed.entries] == [17, 4242, 3_000_000_000]  # sorted
    by_id = {e.card_id: e for e in parsed.entries}
    assert by_id[17].valid_until is None
    assert by_id[4242].valid_until == 1_751_299_200        # 2025-07-01 00:00 CST, exact
    assert (by_id[3_000_000_000].issue, by_id[3_000_000_000].flags) == (2, 1)


@pytest.mark.parametrize("region", ["header", "entries", "mac"])
def test_a_changed_byte_anywhere_is_refused(region):
    start, end = {"header": (0, HEADER_SIZE),
                  "entries": (HEADER_SIZE, len(GOLDEN_BYTES) - MAC_SIZE),
                  "mac": (len(GOLDEN_BYTES) - MAC_SIZE, len(GOLDEN_BYTES))}[region]
    for i in range(start, end):
        for bit in (0x01, 0x80):
            forged = bytearray(GOLDEN_BYTES)
            forged[i] ^= bit
            why = reason(forged)
            if region != "header":
                assert why == FORGED, (i, bit)
            else:  # the header fields give a more precise reason where one exists
                assert why in (FORGED, BAD_FORMAT, TRUNCATED, FOREIGN_DOOR), (i, bit)


def test_truncation_at_every_length_is_refused():
    for n in range(len(GOLDEN_BYTES)):
        assert reason(GOLDEN_BYTES[:n]) == TRUNCATED, n


def test_bytes_after_the_mac_are_refused():
    assert reason(GOLDEN_BYTES + b"\x00") == BAD_FORMAT


def test_another_doors_list_is_refused():
    other = build_card_list(8, 3, card_entries(5), door_key(TEST_ROOT, 8), created=CREATED)
    assert reason(other) == FOREIGN_DOOR
    relabelled = bytearray(other)
    relabelled[8:12] = DOOR.to_bytes(4, "big")  # claims to be ours: its MAC says otherwise
    assert reason(relabelled) == FORGED


def test_a_list_made_with_another_root_is_forged():
    assert reason(GOLDEN_BYTES, key=door_key(new_root(), DOOR)) == FORGED


@pytest.mark.parametrize("installed", [3, 4, 1000])
def test_a_list_not_newer_than_the_installed_one_is_refused(installed):
    assert reason(GOLDEN_BYTES, installed=installed) == NOT_NEWER
    assert parse_card_list(GOLDEN_BYTES, DOOR, KEY, installed_version=2).version == 3


def test_100000_entries_fit_twice_in_the_node_file_system(big_lists):
    """An atomic install holds the old and the new list side by side."""
    size = big_lists[100_000].stat().st_size
    assert size == HEADER_SIZE + 100_000 * ENTRY_SIZE + MAC_SIZE
    assert 2 * size < 0.8 * LITTLEFS_BYTES
    parsed = parse_card_list(big_lists[100_000].read_bytes(), DOOR, KEY)
    assert len(parsed.entries) == 100_000


def test_the_servers_call_builds_a_list():
    """server/cardlists.py passes activation time as valid_from and 0xFFFFFFFF for no expiry."""
    data = build_card_list(DOOR, 1, [CardListEntry(card_id=5, issue=0, valid_from=CREATED - 10,
                                                   valid_until=NO_EXPIRY, flags=0)],
                           KEY, created=CREATED)
    assert parse_card_list(data, DOOR, KEY).entries[0].valid_until is None


def test_entries_are_sorted_whatever_the_input_order():
    data = build_card_list(DOOR, 1, [CardListEntry(9, 0), CardListEntry(2, 0), CardListEntry(5, 0)],
                           KEY, created=CREATED)
    assert [e.card_id for e in parse_card_list(data, DOOR, KEY).entries] == [2, 5, 9]


@pytest.mark.parametrize("entries,message", [
    ([CardListEntry(1, 0), CardListEntry(1, 1)], "listed twice"),
    ([CardListEntry(1, 0, valid_from=CREATED + 1)], "future start belongs on the card"),
    ([CardListEntry(1, 0, flags=0x80)], "unknown card list flags"),
    ([CardListEntry(1, 256)], "out of range"),
    ([CardListEntry(2 ** 32, 0)], "out of range"),
])
def test_bad_entries_are_refused_when_building(entries, message):
    with pytest.raises(ValueError, match=message):
        build_card_list(DOOR, 1, entries, KEY, created=CREATED)


def test_version_zero_is_refused():
    with pytest.raises(ValueError, match="start at 1"):
        build_card_list(DOOR, 0, [], KEY, created=CREATED)


def test_validity_is_kept_per_local_day():
    midnight_cst = 1_751_299_200  # 2025-07-01 00:00 UTC+8
    cases = {midnight_cst: midnight_cst,               # through June 30
             midnight_cst + 1: midnight_cst + 86400,    # a second into July 1: through July 1
             midnight_cst - 3600: midnight_cst}         # 23:00 June 30: through June 30
    for given, expected_end in cases.items():
        data = build_card_list(DOOR, 1, [CardListEntry(1, 0, 0, given)], KEY, created=CREATED)
        assert parse_card_list(data, DOOR, KEY).entries[0].valid_until == expected_end
