"""Turn a blank MIFARE Classic card into a system card, or re-issue one of our own site's cards.

    cred = personalize(card, enrolment.site, card_id=4242, issue=1, valid_from=now,
                       valid_until=None, rolling_counter=enrolment.rolling_counter)

`card` is any CardAccess: later an enrolment node over USB, in tests a card model. The steps:
1. Classify sector 1: ours (the site's diversified key B opens it), blank (transport key A
   opens it and the access bits are the delivery pattern FF 07 80), else foreign -> refused.
2. Write blocks 4-6, then the trailer last: a card pulled away before the trailer is written
   is still blank and can simply be written again.
3. Read everything back with the door's key A and check it as a door node would.
"""
from __future__ import annotations

from typing import Protocol

from doornode.cardkeys import KEY_A, KEY_B
from doornode.credential import (COUNTER_BLOCK, CREDENTIAL_BLOCK, MAC_BLOCK, TRAILER_BLOCK,
                                 Credential, CredentialError, read_credential)
from provisioning.card_layout import (TRANSPORT_KEY, check_access_bits, credential_for,
                                      is_transport_configuration, sector_image)
from provisioning.keys import SiteCardKeys

BLANK = "blank"
OURS = "ours"
FOREIGN = "foreign"


class CardAccess(Protocol):
    """Block access to the card in the field. After a refused authentication the
    implementation re-selects the card (as a reader must, reference section 6.5)."""

    def uid(self) -> bytes: ...
    def authenticate(self, block: int, key_type: int, key: bytes) -> bool: ...
    def read_block(self, block: int) -> bytes: ...
    def write_block(self, block: int, data: bytes) -> None: ...


class PersonalizationError(Exception):
    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def classify(card: CardAccess, site: SiteCardKeys) -> str:
    """Whose card is this? Never writes."""
    uid = card.uid()
    if card.authenticate(TRAILER_BLOCK, KEY_B, site.card_key_b(uid)):
        return OURS
    if card.authenticate(TRAILER_BLOCK, KEY_A, TRANSPORT_KEY):
        if is_transport_configuration(card.read_block(TRAILER_BLOCK)[6:9]):
            return BLANK
    return FOREIGN


def personalize(card: CardAccess, site: SiteCardKeys, card_id: int, issue: int, valid_from: int,
                valid_until: int | None, rolling_counter: bool = False) -> Credential:
    uid = card.uid()
    credential = credential_for(site, card_id, issue, valid_from, valid_until, rolling_counter)
    image = sector_image(site, uid, credential)  # raises MissingKey without the key B master
    check_access_bits(image[TRAILER_BLOCK][6:9])  # never write a trailer that bricks the sector
    kind = classify(card, site)
    if kind == FOREIGN:
        raise PersonalizationError(FOREIGN, "sector 1 is neither blank nor this site's card: "
                                            "refusing to overwrite another site's or system's card")
    key_type, key = (KEY_B, site.card_key_b(uid)) if kind == OURS else (KEY_A, TRANSPORT_KEY)
    if not card.authenticate(TRAILER_BLOCK, key_type, key):
        raise PersonalizationError("card lost", "authentication failed; present the card again")
    for block in (CREDENTIAL_BLOCK, MAC_BLOCK, COUNTER_BLOCK, TRAILER_BLOCK):
        card.write_block(block, image[block])
    verify_card(card, site, credential, image)
    return credential


def verify_card(card: CardAccess, site: SiteCardKeys, credential: Credential,
                image: dict[int, bytes]) -> None:
    """Read back as a door node would (key A only), then check key B opens the sector."""
    uid = card.uid()
    if not card.authenticate(TRAILER_BLOCK, KEY_A, site.card_key_a(uid)):
        raise PersonalizationError("verify failed", "the card's key A does not authenticate")
    blocks = {b: bytes(card.read_block(b)) for b in (CREDENTIAL_BLOCK, MAC_BLOCK, COUNTER_BLOCK)}
    try:
        read_back = read_credential(uid, blocks[CREDENTIAL_BLOCK], blocks[MAC_BLOCK],
                                    site.credential_key)
    except CredentialError as exc:
        raise PersonalizationError("verify failed", str(exc)) from exc
    if read_back != credential or any(blocks[b] != image[b] for b in blocks):
        raise PersonalizationError("verify failed", "blocks read back differ from those written")
    if bytes(card.read_block(TRAILER_BLOCK)[6:9]) != image[TRAILER_BLOCK][6:9]:
        raise PersonalizationError("verify failed", "access bits read back differ")
    if not card.authenticate(TRAILER_BLOCK, KEY_B, site.card_key_b(uid)):
        raise PersonalizationError("verify failed", "the card's key B does not authenticate")
