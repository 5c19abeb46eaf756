"""Card layout: the credential is bound to the card's UID, access bits keep door nodes read-only."""
import json
from pathlib import Path

import pytest

from doornode.credential import (ACCESS_TRANSPORT, COUNTER_BLOCK, COUNTER_START, DAMAGED,
                                 FLAG_ROLLING_COUNTER, NOT_A_SYSTEM_CARD, NOT_GENUINE, NO_END,
                                 CredentialError, counter_is_fresh, decode_access_bits,
                                 decode_value_block, encode_access_bits, encode_value_block,
                                 read_credential)
from provisioning.card_layout import (TrailerError, credential_for, is_transport_configuration,
                                      make_trailer, sector_image)
from provisioning.keys import SiteCardKeys

from .conftest import TEST_ROOT

GOLDEN = json.loads((Path(__file__).parent / "golden" / "keys-and-card.json").read_text())
UID = bytes.fromhex("DEADBEEF")
OTHER_UID = bytes.fromhex("04112233445566")
SITE = SiteCardKeys.for_site(TEST_ROOT, 3)
NOW = 1_750_000_000


def personalised(uid=UID, **kw):
    args = dict(card_id=4242, issue=1, valid_from=NOW, valid_until=None)
    args.update(kw)
    return sector_image(SITE, uid, credential_for(SITE, **args))


def test_sector_image_matches_the_golden_card():
    assert {str(b): v.hex() for b, v in personalised().items()} == GOLDEN["sector1_blocks"]


def test_a_personalised_card_reads_back_with_the_site_keys():
    start = NOW // 3600 * 3600
    blocks = personalised(valid_from=start, valid_until=start + 86400)
    cred = read_credential(UID, blocks[4], blocks[5], SITE.read_only().credential_key)
    assert (cred.site_id, cred.card_id, cred.issue) == (3, 4242, 1)
    assert cred.valid_at(start) and cred.valid_at(start + 86399)
    assert not cred.valid_at(start + 86400) and not cred.valid_at(start - 1)


def test_credential_copied_onto_another_card_is_not_genuine():
    blocks = personalised()
    with pytest.raises(CredentialError) as err:
        read_credential(OTHER_UID, blocks[4], blocks[5], SITE.credential_key)
    assert err.value.reason == NOT_GENUINE


@pytest.mark.parametrize("byte", range(16))
def test_any_changed_credential_byte_is_detected(byte):
    blocks = personalised()
    forged = bytearray(blocks[4])
    forged[byte] ^= 0x01
    with pytest.raises(CredentialError) as err:
        read_credential(UID, bytes(forged), blocks[5], SITE.credential_key)
    assert err.value.reason in (NOT_GENUINE, NOT_A_SYSTEM_CARD)


def test_a_card_of_another_site_is_not_genuine_here():
    other = SiteCardKeys.for_site(TEST_ROOT, 4)
    blocks = sector_image(other, UID, credential_for(other, 4242, 1, NOW, None))
    with pytest.raises(CredentialError) as err:
        read_credential(UID, blocks[4], blocks[5], SITE.credential_key)
    assert err.value.reason == NOT_GENUINE


def test_a_blank_card_is_not_a_system_card():
    with pytest.raises(CredentialError) as err:
        read_credential(UID, bytes(16), bytes(16), SITE.credential_key)
    assert err.value.reason == NOT_A_SYSTEM_CARD


def test_the_node_checks_what_the_host_wrote(micropython):
    blocks = personalised()
    out = micropython(f"""
        import json
        from doornode.credential import read_credential, CredentialError
        key = {SITE.credential_key!r}
        b4, b5 = {blocks[4]!r}, {blocks[5]!r}
        c = read_credential({UID!r}, b4, b5, key)
        try:
            read_credential({OTHER_UID!r}, b4, b5, key)
            copied = "accepted"
        except CredentialError as e:
            copied = e.reason
        print(json.dumps([c.site_id, c.card_id, c.issue, c.valid_at({NOW}), copied]))
    """)
    assert out == [3, 4242, 1, True, "not genuine"]


# --- access bits --------------------------------------------------------------

REFERENCE_PATTERNS = {  # mfrc522-reference.md section 6.2
    "FF0780": (0, 0, 0, 1), "7F0788": (0, 0, 0, 3), "787788": (4, 4, 4, 3),
    "08778F": (6, 6, 6, 3), "078F0F": (2, 2, 2, 6),
}


@pytest.mark.parametrize("hexbytes,groups", REFERENCE_PATTERNS.items())
def test_access_bits_match_the_reference_table(hexbytes, groups):
    assert encode_access_bits(*groups).hex().upper() == hexbytes
    assert decode_access_bits(bytes.fromhex(hexbytes)) == groups


def test_door_keys_cannot_write_the_credential():
    """Groups 0/1 = 100 (read A|B, write B only); trailer 011 (only key B changes keys
    and access bits); with the counter, group 2 = 110 (key A may only decrement)."""
    plain = decode_access_bits(personalised()[7][6:9])
    counter = decode_access_bits(personalised(rolling_counter=True)[7][6:9])
    assert plain == (0b100, 0b100, 0b100, 0b011)
    assert counter == (0b100, 0b100, 0b110, 0b011)


def test_an_inconsistent_trailer_is_never_produced():
    with pytest.raises(TrailerError, match="brick"):
        make_trailer(b"\x01" * 6, bytes.fromhex("787789"), b"\x02" * 6)


def test_transport_configuration_is_recognised():
    assert is_transport_configuration(ACCESS_TRANSPORT)
    assert not is_transport_configuration(personalised()[7][6:9])


# --- rolling counter ------------------------------------------------------------

def test_counter_block_is_a_value_block_at_its_own_address():
    blocks = personalised(rolling_counter=True)
    assert decode_value_block(blocks[COUNTER_BLOCK]) == COUNTER_START
    assert blocks[COUNTER_BLOCK][12] == COUNTER_BLOCK
    cred = read_credential(UID, blocks[4], blocks[5], SITE.credential_key)
    assert cred.flags & FLAG_ROLLING_COUNTER


def test_value_block_matches_the_datasheet_example():
    assert encode_value_block(1234567, 17).hex().upper() == "87D612007829EDFF87D6120011EE11EE"


def test_a_torn_counter_write_is_reported_as_damaged():
    torn = bytearray(encode_value_block(1000, COUNTER_BLOCK))
    torn[8:12] = encode_value_block(999, COUNTER_BLOCK)[8:12]
    with pytest.raises(CredentialError) as err:
        decode_value_block(bytes(torn))
    assert err.value.reason == DAMAGED


def test_a_counter_that_does_not_go_down_exposes_a_clone():
    assert counter_is_fresh(None, COUNTER_START)
    assert counter_is_fresh(1000, 999)
    assert not counter_is_fresh(1000, 1000)   # original and clone both at 1000
    assert not counter_is_fresh(1000, 1005)   # a copy made earlier


def test_credential_times_round_to_protect():
    cred = credential_for(SITE, 1, 0, valid_from=3600 * 10 + 5, valid_until=3600 * 20 + 1)
    assert (cred.valid_from_hour, cred.valid_until_hour) == (10, 21)
    assert credential_for(SITE, 1, 0, 0, None).valid_until_hour == NO_END
