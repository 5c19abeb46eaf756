"""The reference's test vectors (§4 CRC_A, §5.3 SELECT frames, §6.2 access bits, §6.7 value blocks),
checked on the shared card/CRC modules under CPython and through the chip model under MicroPython."""

import pytest

from hw.twin.node import cards_classic, cards_iso14443, crc_a

# §4 table: input -> CRC bytes as sent
CRC_VECTORS = [
    ("5000", "57CD"), ("0000", "A01E"), ("1234", "26CF"), ("3000", "02A8"), ("3004", "26EE"),
    ("6000", "F57B"), ("A004", "7BF7"), ("E050", "BCA5"), ("08", "B6DD"), ("18", "37CD"),
    ("00", "FE51"), ("04", "DA17"), ("20", "FC70"), ("00" * 16, "3749"),
    ("000000000000FF078069FFFFFFFFFFFF", "D455"), ("9370DEADBEEF22", "B99C"),
]


@pytest.mark.parametrize("data,expected", CRC_VECTORS)
def test_crc_a_vectors(data, expected):
    assert crc_a.crc_a(bytes.fromhex(data)).hex().upper() == expected
    # check property: CRC over data||CRC is 0 (Status1.CRCOk)
    assert crc_a.check(bytes.fromhex(data + expected))


def test_crc_preset_ffff_is_what_a_driver_without_mode_reg_gets():
    crc = crc_a.crc16(b"\x50\x00", crc_a.PRESETS[3])
    assert bytes((crc & 0xFF, crc >> 8)).hex().upper() == "4F23"


def test_chip_calc_crc_matches_vectors_for_all_presets(mpy_json):
    """CalcCRC through SPI (ModeReg presets 00..11, and MSBFirst) against the CPython module."""
    inputs = [d for d, _ in CRC_VECTORS]
    src = """
from fakebus import *
chip, spi, cs, ev = rig()
def wr(reg, v):
    cs(0); spi.write(bytes(((reg << 1) & 0x7E, v))); cs(1)
def rd(reg):
    rx = bytearray(2); cs(0); spi.write_readinto(bytes((0x80 | (reg << 1), 0)), rx); cs(1); return rx[1]
out = []
for mode in (0x3C, 0x3D, 0x3E, 0x3F, 0xBD):
    for data in %r:
        wr(0x01, 0x00); wr(0x05, 0x04); wr(0x0A, 0x80); wr(0x11, mode)
        for b in bytes.fromhex(data):
            wr(0x09, b)
        wr(0x01, 0x03)
        out.append([mode, data, rd(0x22), rd(0x21), rd(0x05) & 0x04, rd(0x07) & 0x60, rd(0x01) & 0x0F])
print(json.dumps(out))
""" % (inputs,)
    (rows,) = mpy_json(src)
    for mode, data, lsb, msb, crc_irq, status, command in rows:
        raw = bytes.fromhex(data)
        if mode & 0x80:
            expected = crc_a.reverse16(crc_a.update_msb_first(crc_a.PRESETS[1], raw))
        else:
            expected = crc_a.crc16(raw, crc_a.PRESETS[mode & 3])
        assert (msb << 8 | lsb) == expected, (mode, data)
        assert crc_irq == 0x04 and status & 0x20  # CRCIRq and CRCReady
        assert command == 0x03  # CalcCRC never ends by itself (§3.1)


def test_calc_crc_of_frame_with_its_crc_sets_crc_ok(mpy_json):
    src = """
from fakebus import *
chip, spi, cs, ev = rig()
def wr(reg, v):
    cs(0); spi.write(bytes(((reg << 1) & 0x7E, v))); cs(1)
def rd(reg):
    rx = bytearray(2); cs(0); spi.write_readinto(bytes((0x80 | (reg << 1), 0)), rx); cs(1); return rx[1]
wr(0x11, 0x3D); wr(0x01, 0x03)
for b in b"\\x50\\x00":
    wr(0x09, b)
ok_before = rd(0x07) & 0x40
for b in b"\\x57\\xcd":            # bytes written later are still consumed
    wr(0x09, b)
print(json.dumps([ok_before, rd(0x07) & 0x40, rd(0x0A)]))
"""
    assert mpy_json(src) == [[0, 0x40, 0]]


# §5.3: UID 04 11 22 33 44 55 66 -> SELECT frames
def test_select_frames_for_a_7_byte_uid():
    class Card(cards_iso14443.Picc):
        def uid(self):
            return bytes.fromhex("04112233445566")
    card = Card()
    cl1, cl2 = card.cascade_bytes(0), card.cascade_bytes(1)
    assert (b"\x93\x70" + cl1 + crc_a.crc_a(b"\x93\x70" + cl1)).hex().upper() == "9370880411 22BFB3F9".replace(" ", "")
    assert (b"\x95\x70" + cl2 + crc_a.crc_a(b"\x95\x70" + cl2)).hex().upper() == "95703344556644ECA3"


def test_card_answers_the_reference_select_frames_with_sak(mpy_json):
    src = """
import card_image, crc_a, cards_iso14443 as iso
c = card_image.make_card(card_image.new_state("classic1k", "04112233445566"))
c.power(True)
other = crc_a.with_crc(bytes.fromhex("9370881104 22BF".replace(" ", "")))
out = [c.receive(b"\\x26", 7, False)]
out.append(c.receive(other, 72, False))
out.append(c.receive(bytes.fromhex("937088041122BFB3F9"), 72, False))
out.append(c.receive(bytes.fromhex("95703344556644ECA3"), 72, False))
out.append(iso.STATE_NAMES[c.state])
print(json.dumps(out))
"""
    (out,) = mpy_json(src)
    assert out[0] == [0x0044, 16]
    assert out[1] is None                                  # another card's CL1: silent
    sak04 = int.from_bytes(b"\x04" + crc_a.crc_a(b"\x04"), "little")
    sak08 = int.from_bytes(b"\x08" + crc_a.crc_a(b"\x08"), "little")
    assert out[2] == [sak04, 24] and out[3] == [sak08, 24]
    assert out[4] == "ACTIVE"


ACCESS_PATTERNS = [  # bytes 6-8 -> (data groups code, trailer code) (§6.2)
    ("FF0780", 0b000, 0b001), ("7F0788", 0b000, 0b011), ("787788", 0b100, 0b011),
    ("08778F", 0b110, 0b011), ("078F0F", 0b010, 0b110),
]


@pytest.mark.parametrize("hexbytes,data,trailer", ACCESS_PATTERNS)
def test_access_bit_patterns(hexbytes, data, trailer):
    b = bytes.fromhex(hexbytes)
    acc = cards_classic.decode_access(*b)
    assert acc is not None
    assert [cards_classic.group_code(acc, g) for g in range(4)] == [data, data, data, trailer]
    assert cards_classic.encode_access([data, data, data, trailer]) == b


def test_inconsistent_access_bits_are_rejected():
    assert cards_classic.decode_access(0xFF, 0x07, 0x81) is None
    assert cards_classic.decode_access(0x00, 0x00, 0x00) is None


def test_value_block_vectors():
    assert cards_classic.value_block(1234567, 17).hex().upper() == "87D6120078 29EDFF87D612001 1EE11EE".replace(" ", "")
    assert cards_classic.value_block(100, 0).hex().upper() == "640000009BFFFFFF6400000000FF00FF"
    assert cards_classic.parse_value_block(bytes.fromhex("87D6120078 29EDFF87D6120011EE11EE".replace(" ", ""))) == (1234567, 17)
    assert cards_classic.parse_value_block(cards_classic.value_block(-5, 3)) == (-5, 3)
    broken = bytearray(cards_classic.value_block(100, 0))
    broken[9] ^= 1
    assert cards_classic.parse_value_block(broken) is None


def test_sector_layout_of_a_4k_card():
    assert cards_classic.sector_of(143) == 32 and cards_classic.trailer_of(143) == 143
    assert cards_classic.sector_of(144) == 33 and cards_classic.trailer_of(144) == 159
    assert [cards_classic.group_of(b) for b in (128, 132, 133, 142, 143)] == [0, 0, 1, 2, 3]
