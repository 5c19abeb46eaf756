"""CRC_A of ISO/IEC 14443-3 and the MFRC522 CRC coprocessor (reference §4, §2.2 ModeReg).

Runs under MicroPython (the twin's node) and CPython (launcher, tests).

    crc_a(b"\\x50\\x00")                 # HLTA -> b"\\x57\\xcd", low byte first as sent
    crc16(b"\\x50\\x00", PRESETS[3])     # 0x234F: what a driver gets without ModeReg=0x3D
"""

# ModeReg.CRCPreset[1:0] -> preset value (reference §2.2).
PRESETS = (0x0000, 0x6363, 0xA671, 0xFFFF)
CRC_A_PRESET = 0x6363


def _make_table():
    # Reflected polynomial 0x8408 (x^16 + x^12 + x^5 + 1), LSB first (§4).
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


def _make_msb_table():
    # The same polynomial processed MSB first (ModeReg.MSBFirst=1).
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()
_MSB_TABLE = _make_msb_table()


def update(crc, data, start=0, end=-1):
    """Continue an LSB-first CRC over data[start:end] (end=-1: to the end)."""
    if end < 0:
        end = len(data)
    table = _TABLE
    for i in range(start, end):
        crc = (crc >> 8) ^ table[(crc ^ data[i]) & 0xFF]
    return crc


def update_msb_first(crc, data, start=0, end=-1):
    """Continue an MSB-first CRC (ModeReg.MSBFirst=1) over data[start:end]."""
    if end < 0:
        end = len(data)
    table = _MSB_TABLE
    for i in range(start, end):
        crc = ((crc << 8) & 0xFFFF) ^ table[((crc >> 8) ^ data[i]) & 0xFF]
    return crc


def crc16(data, preset=CRC_A_PRESET):
    """The CRC register value after data (16-bit int)."""
    return update(preset, data)


def crc_a(data):
    """The two CRC_A bytes as transmitted: low byte first (§4)."""
    crc = update(CRC_A_PRESET, data)
    return bytes((crc & 0xFF, crc >> 8))


def with_crc(data):
    """data followed by its CRC_A."""
    return bytes(data) + crc_a(data)


def check(frame, start=0, end=-1):
    """True when frame[start:end] ends with a correct CRC_A (CRC over data+CRC is 0)."""
    if end < 0:
        end = len(frame)
    if end - start < 3:
        return False
    return update(CRC_A_PRESET, frame, start, end) == 0


def reverse16(value):
    """Bit-reverse a 16-bit value (CRCResultReg with MSBFirst=1)."""
    out = 0
    for _ in range(16):
        out = (out << 1) | (value & 1)
        value >>= 1
    return out
