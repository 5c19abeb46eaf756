"""Personalisation against the twin's MIFARE Classic card model (frames, access rules)."""
import pytest

from doornode.cardkeys import KEY_A, KEY_B
from doornode.credential import COUNTER_START, decode_value_block, read_credential
from hw.twin.node import cards_iso14443 as iso
from provisioning.keys import MissingKey, SiteCardKeys
from provisioning.personalize import (BLANK, FOREIGN, OURS, PersonalizationError, classify,
                                      personalize)

from .classic_card_access import CardIOError, ModelCardAccess, blank_card
from .conftest import TEST_ROOT

SITE = SiteCardKeys.for_site(TEST_ROOT, 3)
DOOR_SITE = SITE.read_only()
NOW = 1_750_000_000


@pytest.mark.parametrize("uid", ["DEADBEEF", "04A1B2C3D4E5F6"])
def test_a_blank_card_becomes_a_card_the_door_accepts(uid):
    card = ModelCardAccess(blank_card(bytes.fromhex(uid)))
    assert classify(card, SITE) == BLANK
    cred = personalize(card, SITE, card_id=4242, issue=1, valid_from=NOW, valid_until=None)
    assert classify(card, SITE) == OURS
    # what a door node does, with its read-only keys
    assert card.authenticate(7, KEY_A, DOOR_SITE.card_key_a(card.uid()))
    got = read_credential(card.uid(), card.read_block(4), card.read_block(5),
                          DOOR_SITE.credential_key)
    assert got == cred and got.card_id == 4242
    assert not card.authenticate(7, KEY_A, bytes.fromhex("FFFFFFFFFFFF"))  # no transport key left


def test_the_doors_key_a_cannot_write_the_card():
    card = ModelCardAccess(blank_card(bytes.fromhex("DEADBEEF")))
    personalize(card, SITE, 4242, 1, NOW, None)
    assert card.authenticate(7, KEY_A, DOOR_SITE.card_key_a(card.uid()))
    with pytest.raises(CardIOError):
        card.write_block(4, bytes(16))
    card.select()
    card.authenticate(7, KEY_A, DOOR_SITE.card_key_a(card.uid()))
    with pytest.raises(CardIOError):
        card.write_block(7, bytes(16))


def test_a_door_nodes_keys_cannot_personalise():
    card = ModelCardAccess(blank_card(bytes.fromhex("DEADBEEF")))
    with pytest.raises(MissingKey):
        personalize(card, DOOR_SITE, 4242, 1, NOW, None)
    assert classify(card, SITE) == BLANK  # nothing written


def test_a_replacement_issue_rewrites_our_own_card():
    card = ModelCardAccess(blank_card(bytes.fromhex("DEADBEEF")))
    personalize(card, SITE, 4242, 1, NOW, None)
    cred = personalize(card, SITE, 4242, 2, NOW, None)
    card.authenticate(7, KEY_A, SITE.card_key_a(card.uid()))
    assert read_credential(card.uid(), card.read_block(4), card.read_block(5),
                           SITE.credential_key).issue == cred.issue == 2


def test_a_card_of_another_site_is_not_overwritten():
    other = SiteCardKeys.for_site(TEST_ROOT, 4)
    model = blank_card(bytes.fromhex("DEADBEEF"))
    card = ModelCardAccess(model)
    personalize(card, other, 99, 0, NOW, None)
    before = bytes(model.memory)
    with pytest.raises(PersonalizationError) as err:
        personalize(card, SITE, 4242, 1, NOW, None)
    assert err.value.reason == FOREIGN
    assert bytes(model.memory) == before


def test_default_key_a_with_changed_access_bits_is_not_blank():
    model = blank_card(bytes.fromhex("DEADBEEF"))
    model.memory[7 * 16 + 6:7 * 16 + 9] = bytes.fromhex("7F0788")  # key B manages the trailer
    assert classify(ModelCardAccess(model), SITE) == FOREIGN


def test_the_rolling_counter_can_only_go_down_with_key_a():
    model = blank_card(bytes.fromhex("DEADBEEF"))
    card = ModelCardAccess(model)
    personalize(card, SITE, 4242, 1, NOW, None, rolling_counter=True)
    key_a = DOOR_SITE.card_key_a(card.uid())
    assert card.authenticate(7, KEY_A, key_a)
    assert card._send(bytes((0xC0, 6))) == iso.ACK          # DECREMENT block 6
    assert card._send((1).to_bytes(4, "little")) is None    # operand: no answer (section 6.4)
    assert card._send(bytes((0xB0, 6))) == iso.ACK          # TRANSFER to block 6
    assert decode_value_block(card.read_block(6)) == COUNTER_START - 1
    assert card._send(bytes((0xC1, 6))) != iso.ACK          # INCREMENT with key A: refused
    card.select()
    assert card.authenticate(7, KEY_B, SITE.card_key_b(card.uid()))
