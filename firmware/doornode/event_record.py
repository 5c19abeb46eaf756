"""Event log formats, one definition for the node (MicroPython) and the host (CPython).

    mac = LogMac(segment_key)
    header = pack_header(origin, boot, door, log_id, segment, first_seq, prev_tag, mac)
    rec = pack_record(time2000, EV_GRANT, 0, extra, card, door, log_id, seq, prev_tag, mac)
    h = unpack_header(header)          # tuple, see HDR_* indexes; tag checked by header_ok()
    ack = pack_ack(door, log_id, seq, tag, door_key); check_ack(ack, door, door_key)

On flash a segment file is one 4096-byte littlefs block: a 32-byte header, then
up to 254 records of 16 bytes. Every record carries a 32-bit tag that chains it
to the record before (the header's tag for the first), under the segment's key;
each segment has its own key, the next one derived one-way from it
(forward security: the node forgets old keys). Format: docs/event-log.md.
"""
import hashlib
import struct

MAGIC = b"DNEV"
FORMAT_VERSION = 1
HEADER_SIZE = 32
RECORD_SIZE = 16
SEGMENT_SIZE = 4096                                        # one littlefs block
PER_SEGMENT = (SEGMENT_SIZE - HEADER_SIZE) // RECORD_SIZE  # 254
EPOCH_2000 = 946684800       # UNIX time of 2000-01-01, the ESP32 RTC's epoch
CLOCK_MIN = 757382400        # 2024-01-01 in 2000-epoch seconds: below it the clock was not set

_HEADER = ">4sBBHIIIIII"
_RECORD = ">IBBHII"

# Header fields (unpack_header)
HDR_ORIGIN = 1
HDR_BOOT = 2
HDR_DOOR = 3
HDR_LOG = 4
HDR_SEGMENT = 5
HDR_FIRST_SEQ = 6
HDR_PREV_TAG = 7
HDR_TAG = 8

# Key origins: where segment 0's key came from.
ORIGIN_PROVISIONED = 0       # the provisioned log key (provisioning.log_keys): forward secure
ORIGIN_DOOR_KEY = 1          # derived from the door key (a node provisioned without a log key)
ORIGIN_NONE = 2              # all-zero key: an unprovisioned node (records are only checksummed)

# Event types (low 7 bits of the type byte); bit 7 = the clock was not set when it happened.
CLOCK_UNSET = 0x80
EV_BOOT = 1            # card: boot counter; reason: reset cause
EV_GRANT = 2           # card; extra: card kind, several cards
EV_DENY = 3            # card; reason; extra: card kind, refusals so far, several cards
EV_EXIT = 4
EV_DOOR_OPEN = 5       # reason 1: authorised, 0: not
EV_DOOR_CLOSED = 6
EV_ALARM = 7           # reason: alarm
EV_ALARM_CLEAR = 8     # reason: alarm whose condition is gone
EV_ALARM_RESET = 9     # extra: bit mask of the alarms unlatched (1 << alarm code)
EV_READER_FAULT = 10   # reason: fault
EV_READER_OK = 11
EV_TASK_STALLED = 12   # reason: task
EV_CONFIG_ERROR = 13
EV_READER_ERROR = 14
EV_CLOCK_SET = 15      # card: the clock before (2000-epoch seconds); extra: 1 if it was unset
EV_CARDLIST = 16       # card: version of the card list installed
EV_EVENTS_LOST = 17    # card: number of unacknowledged events dropped because the log was full
EV_LOG_REPAIRED = 18   # card: bytes of damaged records dropped at boot
EV_ACK = 19            # card: sequence number acknowledged by the district
EV_HEAP = 20           # card: free heap bytes
EV_OTHER = 127         # a kind this firmware version has no code for

# ------------------------------------------------------------------ MAC
class LogMac:
    """HMAC-SHA256 under one segment key, pads prepared once (the key's life is a segment)."""

    def __init__(self, key):
        self.key = bytes(key)
        ipad = bytearray(64)
        opad = bytearray(64)
        for i in range(64):
            b = self.key[i] if i < len(self.key) else 0
            ipad[i] = b ^ 0x36
            opad[i] = b ^ 0x5C
        self._ipad = bytes(ipad)
        self._opad = bytes(opad)

    def mac(self, data):
        inner = hashlib.sha256(self._ipad)
        inner.update(data)
        outer = hashlib.sha256(self._opad)
        outer.update(inner.digest())
        return outer.digest()

    def tag(self, data):
        return int.from_bytes(self.mac(data)[:4], "big")


def next_key(key):
    """The next segment's key: one-way, so a key reveals nothing about the ones before."""
    return LogMac(key).mac(b"DNEV next segment key")


def key_at(key0, segment, start=0):
    """Key of `segment` from the key of segment `start` (the server's side of the ratchet)."""
    k = key0
    for _ in range(segment - start):
        k = next_key(k)
    return k


def key_file(origin, segment, key):
    """The node's key file (log/key): origin u8, segment u32, that segment's key."""
    return struct.pack(">BI", origin, segment) + bytes(key)


def derived_key0(door_key):
    """Segment 0 key of a node provisioned without a log key (ORIGIN_DOOR_KEY)."""
    return LogMac(door_key).mac(b"DNEV log key from door key v1")


# ------------------------------------------------------------------ header and records
def pack_header(origin, boot, door, log_id, segment, first_seq, prev_tag, mac):
    body = struct.pack(_HEADER, MAGIC, FORMAT_VERSION, origin, boot & 0xFFFF, door, log_id,
                       segment, first_seq, prev_tag, 0)[:HEADER_SIZE - 4]
    return body + struct.pack(">I", mac.tag(b"H" + body))


def unpack_header(data):
    """Header fields as a tuple, or None when the bytes are not a header of this format."""
    if len(data) < HEADER_SIZE:
        return None
    h = struct.unpack(_HEADER, data[:HEADER_SIZE])
    if h[0] != MAGIC or h[1] != FORMAT_VERSION:
        return None
    return (h[0],) + h[2:]


def header_ok(data, mac):
    return mac.tag(b"H" + bytes(data[:HEADER_SIZE - 4])) == struct.unpack(">I", data[HEADER_SIZE - 4:HEADER_SIZE])[0]


def header_tag(data):
    return struct.unpack(">I", data[HEADER_SIZE - 4:HEADER_SIZE])[0]


def _record_mac_input(door, log_id, seq, body, prev_tag):
    return b"R" + struct.pack(">III", door, log_id, seq) + body + struct.pack(">I", prev_tag)


def pack_record(time2000, etype, reason, extra, card, door, log_id, seq, prev_tag, mac):
    body = struct.pack(">IBBHI", time2000 & 0xFFFFFFFF, etype, reason, extra & 0xFFFF, card & 0xFFFFFFFF)
    return body + struct.pack(">I", mac.tag(_record_mac_input(door, log_id, seq, body, prev_tag)))


def unpack_record(data, offset=0):
    """(time2000, type byte, reason, extra, card, tag)"""
    return struct.unpack_from(_RECORD, data, offset)


def record_ok(data, offset, door, log_id, seq, prev_tag, mac):
    """True when the record at data[offset:] carries the right tag for its place in the chain."""
    body = bytes(data[offset:offset + 12])
    tag = struct.unpack_from(">I", data, offset + 12)[0]
    return mac.tag(_record_mac_input(door, log_id, seq, body, prev_tag)) == tag


def record_tag(data, offset=0):
    return struct.unpack_from(">I", data, offset + 12)[0]
