"""The card list on the node (real MicroPython, 128 KB heap): verify, refuse, look up."""
import json
from pathlib import Path

import pytest

from provisioning.cardlist import build_card_list
from provisioning.keys import door_key

from .conftest import CREATED, DOOR, TEST_ROOT, card_entries

GOLDEN_DIR = Path(__file__).parent / "golden"
GOLDEN = json.loads((GOLDEN_DIR / "cardlist-door7-v3.json").read_text())
KEY = door_key(TEST_ROOT, DOOR)

VERIFY = """
    import json
    from doornode.cardlist import verify_stream, CardListError
    def check(path, door, installed=None):
        try:
            with open(path, "rb") as f:
                return verify_stream(f, door, {key!r}, installed).version
        except CardListError as e:
            return e.reason
"""


def test_node_verifies_and_looks_up_the_golden_list(micropython):
    path = GOLDEN_DIR / "cardlist-door7-v3.bin"
    out = micropython(VERIFY.format(key=KEY) + f"""
    from doornode.cardlist import CardList
    with CardList(open({str(path)!r}, "rb")) as cards:
        found = {{}}
        for card in (17, 4242, 3000000000, 18, 0, 4294967295):
            r = cards.lookup(card)
            found[str(card)] = list(r) if r else None
    print(json.dumps([check({str(path)!r}, 7), found]))
    """)
    version, found = out
    assert version == 3
    expected = dict(GOLDEN["expected_lookups"], **{"0": None, "4294967295": None})
    assert found == expected


def test_node_refuses_bad_lists_with_a_reason(micropython, tmp_path):
    good = (GOLDEN_DIR / "cardlist-door7-v3.bin").read_bytes()
    files = {
        "forged": bytes(good[:40]) + bytes([good[40] ^ 1]) + good[41:],
        "truncated": good[:-1],
        "truncated header": good[:20],
        "foreign": build_card_list(8, 3, card_entries(3), door_key(TEST_ROOT, 8), created=CREATED),
        "good": good,
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    out = micropython(VERIFY.format(key=KEY) + f"""
    d = {str(tmp_path)!r} + "/"
    print(json.dumps([check(d + "forged", 7), check(d + "truncated", 7),
                      check(d + "truncated header", 7), check(d + "foreign", 7),
                      check(d + "good", 7, 3), check(d + "good", 7, 2)]))
    """)
    assert out == ["forged", "truncated", "truncated", "foreign door", "not newer", 3]


LOOKUP_PROBE = """
    import gc, json
    from doornode.cardlist import CardList, verify_stream
    cards = CardList(open({path!r}, "rb"))
    ids = {ids!r}
    found = []
    worst = 0
    for card in ids:
        gc.collect()
        before = gc.mem_alloc()
        r = cards.lookup(card)
        worst = max(worst, gc.mem_alloc() - before)
        found.append(list(r) if r else None)
    print(json.dumps({{"found": found, "heap": worst}}))
"""


def probe_ids(count):
    listed = [e.card_id for e in card_entries(count)]
    return listed[:3] + listed[count // 2:count // 2 + 3] + listed[-3:] + [0, 999, 1001, listed[-1] + 1]


@pytest.mark.parametrize("count", [1_000, 10_000, 100_000])
def test_lookup_finds_listed_cards_only(micropython, big_lists, count):
    ids = probe_ids(count)
    out = micropython(LOOKUP_PROBE.format(path=str(big_lists[count]), ids=ids))
    entries = {e.card_id: e for e in card_entries(count)}
    for card, got in zip(ids, out["found"]):
        if card in entries:
            assert got is not None and got[0] == entries[card].issue, card
        else:
            assert got is None, card


def test_lookup_heap_does_not_grow_with_the_list(micropython, big_lists):
    heap = {n: micropython(LOOKUP_PROBE.format(path=str(big_lists[n]), ids=probe_ids(n)))["heap"]
            for n in (1_000, 10_000, 100_000)}
    assert heap[1_000] == heap[10_000] == heap[100_000], heap
    assert heap[100_000] < 4096, heap


def test_a_100000_entry_list_verifies_in_a_48k_heap(micropython, big_lists):
    """800 KB of list checked in 48 KB of heap (most of it the compiler's): streamed, never loaded."""
    out = micropython(VERIFY.format(key=KEY) + f"""
    print(json.dumps(check({str(big_lists[100_000])!r}, 7)))
    """, heap="48K")
    assert out == 10
