"""The credential a system card carries in MIFARE Classic sector 1, and its check.

    cred = read_credential(uid, block4, block5, credential_key)   # raises CredentialError
    if cred.site_id != my_site: ...

Layout (docs/security.md, "Card layout"):
  sector 1, block 4  credential block (16 bytes, below)
  sector 1, block 5  MAC: HMAC-SHA256(credential key, "DNCRED1" || len(UID) || UID || 4 || block 4)[:16]
  sector 1, block 6  rolling counter, a MIFARE value block (only when FLAG_ROLLING_COUNTER)
  sector 1, block 7  trailer: diversified key A, access bits 78 77 88 (or 08 77 8F), GPB, key B
Door nodes hold only key A: it can read blocks 4-6 and decrement the counter; every
write needs key B, which never leaves the enrolment station.

Credential block (big-endian):
  0      layout version (1)
  1      flags (bit 0: rolling counter in block 6)
  2-3    site id
  4-7    card id
  8      issue number (goes up when a card is replaced)
  9-11   valid from, hours since 1970-01-01 UTC
  12-14  valid until (exclusive), hours since 1970-01-01 UTC; 0xFFFFFF = no end
  15     reserved, 0
Shared by host and node (MicroPython/CPython subset).
"""
try:
    from micropython import const
except ImportError:
    def const(x):
        return x

from doornode.hmac_sha256 import hmac_sha256, digests_equal

CREDENTIAL_SECTOR = const(1)
CREDENTIAL_BLOCK = const(4)
MAC_BLOCK = const(5)
COUNTER_BLOCK = const(6)
TRAILER_BLOCK = const(7)

LAYOUT_VERSION = const(1)
FLAG_ROLLING_COUNTER = const(0x01)
_KNOWN_FLAGS = const(0x01)
NO_END = const(0xFFFFFF)  # valid-until hours: the card itself never expires
MAC_SIZE = const(16)
_MAC_LABEL = b"DNCRED1"

# Access conditions (C1 C2 C3 per group, reference section 6.3) for sector 1.
# Data groups 0, 1: read A|B, write B (100). Group 2: value block, decrement A|B,
# write/increment B (110) when the counter is on, else like 0/1. Trailer 011:
# key B writes keys and access bits, key A reads access bits only.
ACCESS_DATA_READ_ONLY_A = const(0b100)
ACCESS_VALUE_DEBIT_A = const(0b110)
ACCESS_TRAILER_B_MANAGES = const(0b011)
ACCESS_TRANSPORT = b"\xff\x07\x80"

# Reasons, as logged by the node and shown by doorctl.
NOT_A_SYSTEM_CARD = "not a system card"
NOT_GENUINE = "not genuine"
DAMAGED = "damaged"


class CredentialError(ValueError):
    """The card's sector 1 does not hold a credential this site issued for this UID."""

    def __init__(self, reason, detail=""):
        super().__init__(reason + (": " + detail if detail else ""))
        self.reason = reason


class Credential:
    __slots__ = ("site_id", "card_id", "issue", "valid_from_hour", "valid_until_hour", "flags")

    def __init__(self, site_id, card_id, issue, valid_from_hour, valid_until_hour, flags=0):
        self.site_id = site_id
        self.card_id = card_id
        self.issue = issue
        self.valid_from_hour = valid_from_hour
        self.valid_until_hour = valid_until_hour
        self.flags = flags

    def valid_at(self, now):
        """True while valid_from <= now (UNIX seconds) < valid_until."""
        hour = now // 3600
        return self.valid_from_hour <= hour and (
            self.valid_until_hour == NO_END or hour < self.valid_until_hour)

    def __eq__(self, other):
        return isinstance(other, Credential) and encode_credential(self) == encode_credential(other)

    def __repr__(self):
        return "Credential(site=%d, card=%d, issue=%d, from_h=%d, until_h=%d, flags=%d)" % (
            self.site_id, self.card_id, self.issue, self.valid_from_hour,
            self.valid_until_hour, self.flags)


def _check_range(name, value, bits):
    if not 0 <= value < (1 << bits):
        raise ValueError("%s out of range: %d" % (name, value))


def encode_credential(cred):
    """The 16-byte credential block (block 4)."""
    _check_range("site id", cred.site_id, 16)
    _check_range("card id", cred.card_id, 32)
    _check_range("issue", cred.issue, 8)
    _check_range("valid from", cred.valid_from_hour, 24)
    _check_range("valid until", cred.valid_until_hour, 24)
    if cred.flags & ~_KNOWN_FLAGS & 0xFF or not 0 <= cred.flags < 256:
        raise ValueError("unknown credential flags")
    b = bytearray(16)
    b[0] = LAYOUT_VERSION
    b[1] = cred.flags
    b[2:4] = cred.site_id.to_bytes(2, "big")
    b[4:8] = cred.card_id.to_bytes(4, "big")
    b[8] = cred.issue
    b[9:12] = cred.valid_from_hour.to_bytes(3, "big")
    b[12:15] = cred.valid_until_hour.to_bytes(3, "big")
    return bytes(b)


def decode_credential(block):
    """Parse block 4 without checking its MAC (use read_credential for that)."""
    if len(block) != 16 or block[0] != LAYOUT_VERSION or block[15] != 0:
        raise CredentialError(NOT_A_SYSTEM_CARD, "unknown credential layout")
    return Credential(
        int.from_bytes(block[2:4], "big"), int.from_bytes(block[4:8], "big"), block[8],
        int.from_bytes(block[9:12], "big"), int.from_bytes(block[12:15], "big"), block[1])


def credential_mac(credential_key, uid, block):
    """Block 5: binds block 4 to this card's UID, so a copied block fails on another card."""
    msg = bytearray(_MAC_LABEL)
    msg.append(len(uid))
    msg.extend(uid)
    msg.append(CREDENTIAL_BLOCK)
    msg.extend(block)
    return hmac_sha256(credential_key, msg)[:MAC_SIZE]


def read_credential(uid, block4, block5, credential_key):
    """Check blocks 4 and 5 read from the card with this UID; return the Credential.

    Raises CredentialError(NOT_GENUINE) when the MAC does not match: a block copied
    from another card, a forged block, or a key from another site.
    """
    cred = decode_credential(block4)
    if not digests_equal(credential_mac(credential_key, uid, block4), block5):
        raise CredentialError(NOT_GENUINE, "credential MAC does not match this UID")
    return cred


# --- MIFARE value block (reference section 6.7): the rolling counter ------------

def encode_value_block(value, address):
    """V || ~V || V || A || ~A || A || ~A, V little-endian signed 32-bit."""
    if not -0x80000000 <= value <= 0x7FFFFFFF:
        raise ValueError("value out of range")
    v = (value & 0xFFFFFFFF).to_bytes(4, "little")
    nv = bytes(x ^ 0xFF for x in v)
    a = address & 0xFF
    return v + nv + v + bytes((a, a ^ 0xFF, a, a ^ 0xFF))


def decode_value_block(block):
    """Value of a well-formed value block; CredentialError(DAMAGED) if the copies disagree
    (a write torn by pulling the card away, or a block that is not a value block)."""
    v = block[0:4]
    for i in range(4):
        if block[4 + i] != v[i] ^ 0xFF or block[8 + i] != v[i]:
            raise CredentialError(DAMAGED, "counter block copies disagree")
    a = block[12]
    if block[13] != a ^ 0xFF or block[14] != a or block[15] != a ^ 0xFF:
        raise CredentialError(DAMAGED, "counter block address byte corrupt")
    value = int.from_bytes(v, "little")
    return value - 0x100000000 if value & 0x80000000 else value


COUNTER_START = const(0x7FFFFFFF)  # personalised value; each use decrements by one


def counter_is_fresh(last_seen, observed):
    """Rolling counter rule: a genuine card's counter only goes down (the card refuses
    increments with key A). Seeing a value at or above the last one seen for this card
    means a copy made earlier is in use (or the original after a copy was used)."""
    return last_seen is None or observed < last_seen


# --- Access bits (reference sections 6.2 and 6.3) --------------------------------

def encode_access_bits(g0, g1, g2, g3):
    """Trailer bytes 6-8 for the C1C2C3 value (0..7) of each access group."""
    c1 = c2 = c3 = 0
    for i, c in enumerate((g0, g1, g2, g3)):
        if not 0 <= c <= 7:
            raise ValueError("access condition must be 0..7")
        c1 |= ((c >> 2) & 1) << i
        c2 |= ((c >> 1) & 1) << i
        c3 |= (c & 1) << i
    return bytes((((~c2 & 0xF) << 4) | (~c1 & 0xF), (c1 << 4) | (~c3 & 0xF), (c3 << 4) | c2))


def decode_access_bits(b):
    """(g0, g1, g2, g3) from trailer bytes 6-8; ValueError when the inverted copies do not
    match. The card checks them on every access: writing a bad pattern bricks the sector."""
    b6, b7, b8 = b[0], b[1], b[2]
    c1 = b7 >> 4
    c2 = b8 & 0xF
    c3 = b8 >> 4
    if b6 & 0xF != ~c1 & 0xF or b6 >> 4 != ~c2 & 0xF or b7 & 0xF != ~c3 & 0xF:
        raise ValueError("inconsistent access bits %02X %02X %02X" % (b6, b7, b8))
    return tuple((((c1 >> i) & 1) << 2) | (((c2 >> i) & 1) << 1) | ((c3 >> i) & 1)
                 for i in range(4))


def sector_access_bits(rolling_counter):
    """Access bits this layout writes into sector 1's trailer."""
    g2 = ACCESS_VALUE_DEBIT_A if rolling_counter else ACCESS_DATA_READ_ONLY_A
    return encode_access_bits(ACCESS_DATA_READ_ONLY_A, ACCESS_DATA_READ_ONLY_A, g2,
                              ACCESS_TRAILER_B_MANAGES)
