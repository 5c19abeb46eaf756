"""Compact encoding of event records for a pull (node -> host), one definition for both.

    out = bytearray(); encode_slice(header, first_index, records, out)   # node
    for header, first_index, records in decode_batch(bytes(out)): ...   # host

About 8-10 bytes per 16-byte record for door traffic (docs/protocol.md); the host
rebuilds the exact records, so the tags the node wrote are what the server checks.
"""
import struct

from doornode.event_record import HEADER_SIZE, RECORD_SIZE

_RECORD = ">IBBHII"


# ------------------------------------------------------------------ compact wire encoding
# A pull batch: slices of segments. Each slice: b"S", the 32-byte header, u16 first
# index, u16 count, then count compact records. A compact record is a flag byte and
# only the fields that differ from the record before (within the slice):
#   bits 0-1 time: 0 same, 1 +u8, 2 +u16, 3 u32     bit 2: type and reason as before
#   bit 3: extra is 0                                bits 4-5 card: 0 same, 1 zero, 2 u32, 3 u16
# then the 4-byte tag. The host rebuilds the exact 16-byte records and checks them.

def encode_slice(header, first_index, records, out):
    """Append one slice (records: bytes of count*16) to bytearray out."""
    n = len(records) // RECORD_SIZE
    out += b"S"
    out += header
    out += struct.pack(">HH", first_index, n)
    pt = 0
    ptr = -1
    pcard = 0
    for i in range(n):
        o = i * RECORD_SIZE
        t, ty, re, ex, card, tag = struct.unpack_from(_RECORD, records, o)
        flags = 0
        d = t - pt
        if d == 0 and i:
            tf = b""
        elif 0 < d < 256 and i:
            flags, tf = 1, bytes((d,))
        elif 0 < d < 65536 and i:
            flags, tf = 2, struct.pack(">H", d)
        else:
            flags, tf = 3, struct.pack(">I", t)
        trv = (ty << 8) | re
        if trv == ptr:
            tr = b""
            flags |= 4
        else:
            tr = bytes((ty, re))
        if ex == 0:
            flags |= 8
            ef = b""
        else:
            ef = struct.pack(">H", ex)
        if card == pcard and i:
            cf = b""
        elif card == 0:
            flags |= 0x10
            cf = b""
        elif card < 65536:
            flags |= 0x30
            cf = struct.pack(">H", card)
        else:
            flags |= 0x20
            cf = struct.pack(">I", card)
        out.append(flags)
        out += tf
        out += tr
        out += ef
        out += cf
        out += struct.pack(">I", tag)
        pt, ptr, pcard = t, trv, card


def decode_batch(data):
    """[(header bytes, first index, records bytes)] from a pull batch; ValueError if malformed."""
    out = []
    pos = 0
    end = len(data)
    try:
        while pos < end:
            if data[pos:pos + 1] != b"S":
                raise ValueError("batch: no slice at byte %d" % pos)
            header = bytes(data[pos + 1:pos + 1 + HEADER_SIZE])
            pos += 1 + HEADER_SIZE
            first, n = struct.unpack_from(">HH", data, pos)
            pos += 4
            recs = bytearray()
            t = ty = re = card = 0
            for _ in range(n):
                flags = data[pos]
                pos += 1
                tm = flags & 3
                if tm == 1:
                    t += data[pos]
                    pos += 1
                elif tm == 2:
                    t += struct.unpack_from(">H", data, pos)[0]
                    pos += 2
                elif tm == 3:
                    t = struct.unpack_from(">I", data, pos)[0]
                    pos += 4
                if not flags & 4:
                    ty, re = data[pos], data[pos + 1]
                    pos += 2
                if flags & 8:
                    ex = 0
                else:
                    ex = struct.unpack_from(">H", data, pos)[0]
                    pos += 2
                cm = (flags >> 4) & 3
                if cm == 1:
                    card = 0
                elif cm == 2:
                    card = struct.unpack_from(">I", data, pos)[0]
                    pos += 4
                elif cm == 3:
                    card = struct.unpack_from(">H", data, pos)[0]
                    pos += 2
                tag = struct.unpack_from(">I", data, pos)[0]
                pos += 4
                recs += struct.pack(_RECORD, t & 0xFFFFFFFF, ty, re, ex, card, tag)
            out.append((header, first, bytes(recs)))
    except (IndexError, struct.error) as e:
        raise ValueError("batch truncated at byte %d (%s)" % (pos, e))
    if pos != end:
        raise ValueError("batch: trailing bytes")
    return out
