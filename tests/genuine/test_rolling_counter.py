"""The optional rolling counter (a per-site setting) exposes a perfect copy once both are used."""
from provisioning.cardlist import CardListEntry
from provisioning.keys import enrolment_keys

from .conftest import ROOT, SITE, check, clone_memory, enrol


def test_a_perfect_copy_is_exposed_when_the_original_is_used_again(enrol_node, checker, tmp_path):
    keys = enrolment_keys(ROOT, SITE, rolling_counter=True)
    enrol(enrol_node, tmp_path, "DEADBEEF", card_id=4242, keys=keys)
    # A copy with the same UID and every block, on a card with no magic behaviour the door
    # could detect (gen3/gen4-like): only the counter tells the two apart.
    copy = clone_memory(enrol_node.twin, "DEADBEEF", tmp_path, None, "perfect-copy")
    original = tmp_path / "original.card.json"
    enrol_node.twin.bench("reader.save_card", card="DEADBEEF", path=str(original))
    d = checker(cards=[CardListEntry(4242, 1)], rolling=True)
    assert check(d, original) == ("grant", None)
    assert d.eval("chk.counter") == 0x7FFFFFFF
    mem = d.twin.bench("reader.card_memory", card="DEADBEEF")["memory"]
    assert bytes.fromhex(mem[6 * 32:6 * 32 + 8]) == (0x7FFFFFFE).to_bytes(4, "little")  # written back
    assert check(d, copy) == ("deny", "clone suspected")


def test_sites_without_the_counter_never_write_to_cards(enrol_node, checker, tmp_path):
    card = enrol(enrol_node, tmp_path, "DEADBEEF", card_id=4242)
    d = checker(cards=[CardListEntry(4242, 1)])
    before = enrol_node.twin.bench("reader.card_memory", card="DEADBEEF")["memory"]
    assert check(d, card) == ("grant", None)
    assert check(d, card) == ("grant", None)
    assert d.twin.bench("reader.card_memory", card="DEADBEEF")["memory"] == before
