"""The door decision on the twin, card by card: genuine cards open, copies and blanks do not."""
from provisioning.cardlist import CardListEntry

from .conftest import check, clone_memory, enrol, place, save, tap  # noqa: F401

LISTED = [CardListEntry(4242, 1), CardListEntry(4243, 2), CardListEntry(7000, 1)]


def test_an_enrolled_card_opens_its_door(enrol_node, checker, tmp_path):
    card = enrol(enrol_node, tmp_path, "DEADBEEF", card_id=4242)
    assert check(checker(cards=LISTED), card) == ("grant", None)


def test_magic_cards_with_a_copied_uid_are_refused_as_clones(enrol_node, checker, tmp_path):
    card = enrol(enrol_node, tmp_path, "DEADBEEF", card_id=4242)
    # 1:1 copies (UID, cracked keys, every block) on both kinds of magic card the twin models,
    # and a gen1a that got only the UID.
    full_gen1a = clone_memory(enrol_node.twin, "DEADBEEF", tmp_path, "gen1a", "full-gen1a")
    full_gen2 = clone_memory(enrol_node.twin, "DEADBEEF", tmp_path, "gen2", "full-gen2")
    d = checker(cards=LISTED)
    assert check(d, full_gen1a) == ("deny", "clone suspected")
    assert check(d, full_gen2) == ("deny", "clone suspected")
    assert check(d, {"type": "classic1k", "uid": "DEADBEEF", "magic": "gen1a"}) == \
        ("deny", "clone suspected")
    assert check(d, {"type": "classic1k", "uid": "DEADBEEF", "magic": "gen2"}) == \
        ("deny", "clone suspected")
    assert check(d, card) == ("grant", None)             # the original still opens


def test_a_card_still_on_transport_keys_is_refused(checker):
    d = checker(cards=LISTED)
    assert check(d, {"type": "classic1k", "uid": "DEADBEEF"}) == ("deny", "blank card")
    assert check(d, {"type": "classic4k", "uid": "04A1B2C3D4E5F6"}) == ("deny", "blank card")


def test_a_credential_copied_onto_another_genuine_card_is_refused(enrol_node, checker, tmp_path):
    enrol(enrol_node, tmp_path, "DEADBEEF", card_id=4242)
    source = enrol_node.twin.bench("reader.card_memory", card="DEADBEEF")["memory"]
    other = enrol(enrol_node, tmp_path, "CAFEF00D", card_id=7000)   # genuine, our site
    # Write DEADBEEF's credential and MAC blocks onto CAFEF00D (as key B could).
    from .conftest import ENROLMENT
    from host_tools.card_command import NodeCardAccess
    from doornode.cardkeys import KEY_B
    place(enrol_node.twin, other)
    access = NodeCardAccess(enrol_node)
    access.start()
    assert access.authenticate(7, KEY_B, ENROLMENT.site.card_key_b(bytes.fromhex("CAFEF00D")))
    for block in (4, 5):
        access.write_block(block, bytes.fromhex(source[block * 32:block * 32 + 32]))
    access.done()
    copied = save(enrol_node.twin, tmp_path, "CAFEF00D", "copied")
    d = checker(cards=LISTED)
    assert check(d, copied) == ("deny", "not genuine")


def test_cards_of_other_systems_and_types_are_refused(checker):
    d = checker(cards=LISTED)
    assert check(d, {"type": "ntag215", "uid": "04112233445566"}) == ("deny", "not a system card")


def test_a_node_without_keys_or_list_refuses_every_card(enrol_node, checker, tmp_path):
    card = enrol(enrol_node, tmp_path, "DEADBEEF", card_id=4242)
    assert check(checker(cards=None), card) == ("deny", "no card list")
    assert check(checker(cards=LISTED, keys=None), card) == ("deny", "no keys")
