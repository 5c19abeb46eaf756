"""The ESP-IDF partition table (binary form at flash offset 0x8000).

One definition for the host's image builder (CPython) and the twin's ROM
(MicroPython): 32-byte entries `<2sBBLL16sL` (magic AA 50, type, subtype,
offset, size, name, flags), then an MD5 entry (EB EB, 14 x FF, MD5 of the
entries before it), padded with FF to 0xC00 bytes.
"""
import struct
import hashlib

TABLE_OFFSET = 0x8000
TABLE_SIZE = 0xC00
ENTRY = "<2sBBLL16sL"
ENTRY_SIZE = 32
MAGIC = b"\xaa\x50"
MD5_MAGIC = b"\xeb\xeb"

TYPE_APP = 0x00
TYPE_DATA = 0x01
SUBTYPE_FACTORY = 0x00
SUBTYPE_PHY = 0x01
SUBTYPE_NVS = 0x02
SUBTYPE_FAT = 0x81

# MicroPython's ESP32_GENERIC table (4 MB): the vfs partition is not listed;
# since MicroPython 1.26 it is added at run time from the end of the last
# partition to the end of flash.
ESP32_GENERIC = (
    ("nvs", TYPE_DATA, SUBTYPE_NVS, 0x9000, 0x6000),
    ("phy_init", TYPE_DATA, SUBTYPE_PHY, 0xF000, 0x1000),
    ("factory", TYPE_APP, SUBTYPE_FACTORY, 0x10000, 0x1F0000),
)


def encode(entries):
    """Binary table for [(name, type, subtype, offset, size), ...]."""
    body = b"".join(
        struct.pack(ENTRY, MAGIC, t, st, off, size, name.encode(), 0)
        for name, t, st, off, size in entries)
    md5 = MD5_MAGIC + b"\xff" * 14 + hashlib.md5(body).digest()
    table = body + md5
    return table + b"\xff" * (TABLE_SIZE - len(table))


def decode(table):
    """[(name, type, subtype, offset, size)] from a binary table; ValueError if damaged."""
    entries = []
    pos = 0
    while pos + ENTRY_SIZE <= len(table):
        raw = table[pos:pos + ENTRY_SIZE]
        if raw[:2] == MD5_MAGIC:
            if hashlib.md5(table[:pos]).digest() != raw[16:32]:
                raise ValueError("partition table MD5 mismatch")
            return entries
        if raw[:2] != MAGIC:
            if raw == b"\xff" * ENTRY_SIZE:
                raise ValueError("partition table has no MD5 entry")
            raise ValueError("partition %d invalid magic number 0x%02x%02x" % (len(entries), raw[1], raw[0]))
        _, t, st, off, size, name, _flags = struct.unpack(ENTRY, raw)
        entries.append((name.rstrip(b"\x00").decode(), t, st, off, size))
        pos += ENTRY_SIZE
    raise ValueError("partition table has no MD5 entry")


def vfs_region(table, flash_size):
    """(offset, size) of the vfs partition: a listed one, or the space after the last."""
    entries = decode(table)
    if not entries:
        raise ValueError("partition table is empty")
    for name, t, st, off, size in entries:
        if name == "vfs" and t == TYPE_DATA:
            return off, size
    end = max(off + size for _, _, _, off, size in entries)
    if end >= flash_size:
        raise ValueError("no room for a vfs partition after 0x%x" % end)
    return end, flash_size - end
