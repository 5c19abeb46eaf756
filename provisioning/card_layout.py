"""What a system card holds, block by block (host side; the node's check is doornode.credential).

    blocks = sector_image(site_keys, uid, credential, rolling_counter=False)
    # {4: credential, 5: MAC, 6: counter or zeros, 7: trailer}; write 4-6 first, the trailer last

Only sector 1 is used; other sectors are left as they are (a card may carry other
applications). Sector 1's trailer gets the card's own diversified key A and key B
and access bits 78 77 88 (38 77 8C with the rolling counter: block 6 becomes a value
block that key A may only decrement). Every trailer this module produces is checked
before it is returned: an inconsistent access pattern bricks the sector.
"""
from __future__ import annotations

from doornode.credential import (ACCESS_TRANSPORT, COUNTER_BLOCK, COUNTER_START, CREDENTIAL_BLOCK,
                                 CREDENTIAL_SECTOR, FLAG_ROLLING_COUNTER, MAC_BLOCK, NO_END,
                                 TRAILER_BLOCK, Credential, credential_mac, decode_access_bits,
                                 encode_credential, encode_value_block, sector_access_bits)
from provisioning.keys import SiteCardKeys

# Keys found on blank and badly deployed cards (reference section 9.1, "default keys").
# A card that still opens sector 1 with one of these has not been personalised.
TRANSPORT_KEY = bytes.fromhex("FFFFFFFFFFFF")
WELL_KNOWN_KEYS = (TRANSPORT_KEY, bytes.fromhex("A0A1A2A3A4A5"),
                   bytes.fromhex("D3F7D3F7D3F7"), bytes.fromhex("000000000000"),
                   bytes.fromhex("B0B1B2B3B4B5"))
GENERAL_PURPOSE_BYTE = 0x69  # trailer byte 9, as delivered


class TrailerError(ValueError):
    """A trailer that must not be written (it would brick or open up the sector)."""


def make_trailer(key_a: bytes, access_bits: bytes, key_b: bytes,
                 gpb: int = GENERAL_PURPOSE_BYTE) -> bytes:
    """The 16-byte trailer block, refused unless its access bits are consistent."""
    if len(key_a) != 6 or len(key_b) != 6:
        raise TrailerError("MIFARE Classic keys are 6 bytes")
    check_access_bits(access_bits)
    return bytes(key_a) + bytes(access_bits) + bytes((gpb,)) + bytes(key_b)


def check_access_bits(access_bits: bytes) -> tuple[int, int, int, int]:
    try:
        return decode_access_bits(access_bits)
    except (ValueError, IndexError) as exc:
        raise TrailerError(f"refusing to write a trailer that would brick the sector: {exc}")


def is_transport_configuration(trailer_access: bytes) -> bool:
    """True for the delivery pattern FF 07 80 (key A may rewrite everything)."""
    return bytes(trailer_access) == ACCESS_TRANSPORT


def credential_for(site_keys: SiteCardKeys, card_id: int, issue: int, valid_from: int,
                   valid_until: int | None, rolling_counter: bool = False) -> Credential:
    """A credential from UNIX times: from rounds down to the hour, until rounds up
    (the card's own bound; the card list narrows it per day)."""
    until_hour = NO_END if valid_until is None else min(-(-valid_until // 3600), NO_END - 1)
    return Credential(site_keys.site_id, card_id, issue, valid_from // 3600, until_hour,
                      FLAG_ROLLING_COUNTER if rolling_counter else 0)


def sector_image(site_keys: SiteCardKeys, uid: bytes, credential: Credential) -> dict[int, bytes]:
    """Blocks 4-7 of sector 1 for this card. Needs the key B master (enrolment station)."""
    if credential.site_id != site_keys.site_id:
        raise ValueError("credential is for another site than these keys")
    counter = credential.flags & FLAG_ROLLING_COUNTER
    block4 = encode_credential(credential)
    return {
        CREDENTIAL_BLOCK: block4,
        MAC_BLOCK: credential_mac(site_keys.credential_key, uid, block4),
        COUNTER_BLOCK: encode_value_block(COUNTER_START, COUNTER_BLOCK) if counter else bytes(16),
        TRAILER_BLOCK: make_trailer(site_keys.card_key_a(uid, CREDENTIAL_SECTOR),
                                    sector_access_bits(bool(counter)),
                                    site_keys.card_key_b(uid, CREDENTIAL_SECTOR)),
    }
