"""The card list: which cards open one door. One format for host and node (docs/card-list.md).

Node:
    header = verify_stream(f, my_door_id, door_key, installed_version)  # raises CardListError
    with CardList(open("/cardlist.bin", "rb")) as cards:
        found = cards.lookup(card_id)   # None or (issue, flags, valid_until_day)

Host: encode_card_list(...) (wrapped by provisioning.cardlist.build_card_list).

File = 32-byte header || count x 8-byte entries sorted by card id || 32-byte MAC.
Header (big-endian): "DNCL", format 1, entry size 8, UTC offset of local days
(minutes, signed), door id u32, list version u32, created u32 (UNIX s), count u32,
8 zero bytes. Entry: card id u32, issue u8, flags u8, valid-until local day u16
(days since 1970-01-01, last day the card opens; 0xFFFF = no expiry).
MAC = HMAC-SHA256(list key, header || entries), list key = HMAC-SHA256(door key,
"DNCL card list key v1"), so the door key's other uses cannot yield a list MAC.

Verification streams the file in small chunks and lookup reads only the entries
a binary search touches: RAM use does not grow with the list (100,000 entries
are 800 KB, far beyond a node's heap).
"""
try:
    from micropython import const
except ImportError:
    def const(x):
        return x

from doornode.hmac_sha256 import HmacSha256, hmac_sha256, digests_equal

MAGIC = b"DNCL"
FORMAT_VERSION = const(1)
HEADER_SIZE = const(32)
ENTRY_SIZE = const(8)
MAC_SIZE = const(32)
NO_EXPIRY_DAY = const(0xFFFF)
FLAG_EXTENDED_OPEN = const(0x01)  # hold the door longer (elderly, disabled residents)
KNOWN_FLAGS = const(0x01)
_CHUNK = const(512)  # a multiple of ENTRY_SIZE: each chunk holds whole entries
_LIST_KEY_LABEL = b"DNCL card list key v1"

# Refusal reasons (CardListError.reason); the node logs them, doorctl prints them.
TRUNCATED = "truncated"
FORGED = "forged"
FOREIGN_DOOR = "foreign door"
NOT_NEWER = "not newer"
BAD_FORMAT = "bad format"
MISSING = "missing"  # install called with no incoming list


class CardListError(ValueError):
    def __init__(self, reason, detail=""):
        super().__init__(reason + (": " + detail if detail else ""))
        self.reason = reason


class Header:
    __slots__ = ("door_id", "version", "created", "count", "utc_offset_min")

    def __init__(self, door_id, version, created, count, utc_offset_min):
        self.door_id = door_id
        self.version = version
        self.created = created
        self.count = count
        self.utc_offset_min = utc_offset_min

    def file_size(self):
        return HEADER_SIZE + self.count * ENTRY_SIZE + MAC_SIZE


def list_key(door_key):
    return hmac_sha256(door_key, _LIST_KEY_LABEL)


def day_number(now, utc_offset_min):
    """Local day (days since 1970-01-01) of UNIX time `now` at this UTC offset."""
    return (now + utc_offset_min * 60) // 86400


def _u32(b, i):
    return (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]


def encode_header(header):
    b = bytearray(HEADER_SIZE)
    b[0:4] = MAGIC
    b[4] = FORMAT_VERSION
    b[5] = ENTRY_SIZE
    b[6:8] = (header.utc_offset_min & 0xFFFF).to_bytes(2, "big")
    b[8:12] = header.door_id.to_bytes(4, "big")
    b[12:16] = header.version.to_bytes(4, "big")
    b[16:20] = header.created.to_bytes(4, "big")
    b[20:24] = header.count.to_bytes(4, "big")
    return bytes(b)


def parse_header(b):
    """Header from the first 32 bytes; CardListError for a short or foreign-format file."""
    if len(b) < HEADER_SIZE:
        raise CardListError(TRUNCATED, "shorter than the header")
    if bytes(b[0:4]) != MAGIC:
        raise CardListError(BAD_FORMAT, "not a card list (magic)")
    if b[4] != FORMAT_VERSION or b[5] != ENTRY_SIZE:
        raise CardListError(BAD_FORMAT, "format %d entry size %d not supported" % (b[4], b[5]))
    for i in range(24, HEADER_SIZE):
        if b[i]:
            raise CardListError(BAD_FORMAT, "reserved header bytes set")
    offset = (b[6] << 8) | b[7]
    if offset & 0x8000:
        offset -= 0x10000
    return Header(_u32(b, 8), _u32(b, 12), _u32(b, 16), _u32(b, 20), offset)


def encode_entry(card_id, issue, flags, valid_until_day):
    if not 0 <= card_id <= 0xFFFFFFFF or not 0 <= issue <= 0xFF:
        raise ValueError("card id or issue out of range")
    if not 0 <= flags <= 0xFF or flags & ~KNOWN_FLAGS:
        raise ValueError("unknown card list flags 0x%02x" % flags)
    if not 0 <= valid_until_day <= NO_EXPIRY_DAY:
        raise ValueError("valid-until day out of range")
    return card_id.to_bytes(4, "big") + bytes((issue, flags)) + valid_until_day.to_bytes(2, "big")


def decode_entry(b):
    """(card_id, issue, flags, valid_until_day)"""
    return (_u32(b, 0), b[4], b[5], (b[6] << 8) | b[7])


def encode_card_list(header, encoded_entries, door_key):
    """The list file: header || entries || MAC. Entries must be encoded and sorted by card id."""
    head = encode_header(header)
    mac = HmacSha256(list_key(door_key))
    mac.update(head)
    body = b"".join(encoded_entries)
    mac.update(body)
    return head + body + mac.digest()


def verify_stream(f, door_id, door_key, installed_version=None):
    """Check a whole list file open in binary mode, reading it in 512-byte chunks.

    Returns its Header; raises CardListError(reason) when the list is truncated, of
    another door, forged (MAC), malformed, or not newer than installed_version.
    """
    head = f.read(HEADER_SIZE)
    header = parse_header(head)
    size = f.seek(0, 2)
    if size < header.file_size():
        raise CardListError(TRUNCATED, "%d of %d bytes" % (size, header.file_size()))
    if size > header.file_size():
        raise CardListError(BAD_FORMAT, "%d bytes after the MAC" % (size - header.file_size()))
    if header.door_id != door_id:
        raise CardListError(FOREIGN_DOOR, "list for door %d, this is door %d" % (header.door_id, door_id))
    mac = HmacSha256(list_key(door_key))
    mac.update(head)
    f.seek(HEADER_SIZE)
    buf = bytearray(_CHUNK)
    view = memoryview(buf)
    left = header.count * ENTRY_SIZE
    previous_hi = previous_lo = -1  # card ids as two 16-bit halves: no big ints on a 32-bit node
    sorted_ok = True
    while left:
        n = f.readinto(view[:min(left, _CHUNK)])
        if not n:
            raise CardListError(TRUNCATED, "file shrank while reading")
        mac.update(view[:n])
        for i in range(0, n, ENTRY_SIZE):
            hi = (buf[i] << 8) | buf[i + 1]
            lo = (buf[i + 2] << 8) | buf[i + 3]
            if hi < previous_hi or (hi == previous_hi and lo <= previous_lo):
                sorted_ok = False
            previous_hi, previous_lo = hi, lo
        left -= n
    stored = f.read(MAC_SIZE)
    if not digests_equal(mac.digest(), stored):
        raise CardListError(FORGED, "MAC does not match this door's key")
    if not sorted_ok:
        raise CardListError(BAD_FORMAT, "entries not sorted by card id")
    if installed_version is not None and header.version <= installed_version:
        raise CardListError(NOT_NEWER, "version %d, installed %d" % (header.version, installed_version))
    return header


class CardList:
    """An installed (already verified) list file; lookups seek and read 8 bytes at a time."""

    def __init__(self, f):
        self._f = f
        self._buf = bytearray(ENTRY_SIZE)
        f.seek(0)
        self.header = parse_header(f.read(HEADER_SIZE))

    def lookup(self, card_id):
        """(issue, flags, valid_until_day) for a listed card, else None. Binary search:
        at most 17 reads of 8 bytes for 100,000 entries."""
        hi = card_id >> 16
        lo = card_id & 0xFFFF
        buf = self._buf
        f = self._f
        first = 0
        last = self.header.count - 1
        while first <= last:
            mid = (first + last) >> 1
            f.seek(HEADER_SIZE + mid * ENTRY_SIZE)
            if f.readinto(buf) != ENTRY_SIZE:
                raise OSError("card list file shorter than its header says")
            mid_hi = (buf[0] << 8) | buf[1]
            mid_lo = (buf[2] << 8) | buf[3]
            if mid_hi == hi and mid_lo == lo:
                return (buf[4], buf[5], (buf[6] << 8) | buf[7])
            if mid_hi < hi or (mid_hi == hi and mid_lo < lo):
                first = mid + 1
            else:
                last = mid - 1
        return None

    def close(self):
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
