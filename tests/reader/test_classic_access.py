"""MIFARE Classic authentication, access conditions, NAK codes, value blocks, sector brick (§6)."""

SETUP = """
from fakebus import *
from ds_driver import *
import cards_classic
chip, spi, cs, ev = rig()
r = Reader(spi, cs)
FF = b"\\xff" * 6
def out(*x):
    print(json.dumps(list(x)))
place(chip, "classic1k", "DEADBEEF")
r.init()
r.request()
st, UID, sak = r.select()
def fresh():
    r.end_session()
    st, uid = r.wupa_select()
    return st
"""


def test_wrong_key_times_out_and_card_needs_reselect(mpy_json):
    src = SETUP + """
st = r.auth(0x60, 4, b"\\x00" * 6, UID)
out(st, r.irq & 0x01, r.rd(0x08) & 0x08, r.rd(0x01) & 0x0F)
out(r.read(4)[0])                      # card dropped to IDLE: silent
out(fresh(), r.auth(0x60, 4, FF, UID), r.read(4)[0])
out(fresh(), r.auth(0x60, 4, FF, b"\\x01\\x02\\x03\\x04"))
out(fresh(), r.auth(0x60, 64, FF, UID))   # block out of range on a 1K
"""
    rows = mpy_json(src)
    # no IdleIRq, TimerIRq fired, MFCrypto1On clear, MFAuthent still the active command
    assert rows[0] == [1, 1, 0, 0x0E]
    assert rows[1] == [1]
    assert rows[2] == [0, 0, 0]
    assert rows[3] == [0, 1]               # wrong UID bytes fail exactly like a wrong key
    assert rows[4] == [0, 1]


def test_darkside_leak_shows_as_protocol_error_sometimes(mpy_json):
    src = SETUP + """
counts = {"timeout": 0, "protocol": 0}
for i in range(600):
    fresh()
    st = r.auth(0x60, 4, b"\\x00" * 6, UID)
    if st == TIMEOUT:
        counts["timeout"] += 1
    elif st == ERROR and r.error_reg & 0x01:
        counts["protocol"] += 1
out(counts)
"""
    (counts,) = mpy_json(src)[0]
    assert counts["timeout"] + counts["protocol"] == 600
    assert 0 < counts["protocol"] < 12     # about 1 in 256


def test_forbidden_access_naks_0x4_and_drops_authentication(mpy_json):
    src = SETUP + """
# read before auth
out(r.read(4)[0])
fresh()
st, data = r.exchange_crc(b"\\x30\\x04")
out(st, h(data))
fresh()
r.auth(0x60, 4, FF, UID)
st, data = r.exchange_crc(b"\\x30\\x08")          # block of another sector
out(st, h(data))
out(r.read(4)[0])                                   # dropped: silent until re-selected
# sector 2: data read-only for A|B (010), trailer managed by... 010 | 110 pattern 07 8F 0F
fresh(); r.auth(0x60, 11, FF, UID)
out(r.write(11, FF + bytes.fromhex("078F0F69") + FF))
fresh(); r.auth(0x60, 8, FF, UID)
out(r.read(8)[0], r.write(8, bytes(16)))
fresh(); r.auth(0x60, 11, FF, UID)
st, data = r.read(11)
out(st, h(data), r.write(11, FF + bytes.fromhex("FF078069") + FF))
"""
    rows = mpy_json(src)
    assert rows[0][0] == 4                      # selected, not authenticated: NAK
    assert rows[1] == [4, "04"]                 # not authenticated: NAK 0x4
    assert rows[2] == [4, "04"]
    assert rows[3] == [1]
    assert rows[4] == [0]
    assert rows[5] == [0, 4]
    assert rows[6] == [0, "000000000000078F0F6900000000000000"[0:32], 4]   # trailer frozen


def test_key_b_readable_cannot_be_used(mpy_json):
    src = SETUP + """
out(r.auth(0x61, 4, FF, UID))       # transport trailer: key B readable -> auth works...
out(r.read(4)[0])                   # ...but every access is refused
"""
    assert mpy_json(src) == [[0], [4]]


def test_key_b_rights_after_changing_the_trailer(mpy_json):
    src = SETUP + """
KB = bytes.fromhex("B0B1B2B3B4B5")
r.auth(0x60, 7, FF, UID)
out(r.write(7, FF + bytes.fromhex("787788") + b"\\x00" + KB))     # read A|B, write B
fresh(); r.auth(0x60, 4, FF, UID)
out(r.read(4)[0], r.write(4, bytes(16)))
fresh(); r.auth(0x61, 4, KB, UID)
out(r.read(4)[0], r.write(4, bytes(range(16))), h(r.read(4)[1]))
fresh(); out(r.auth(0x61, 4, FF, UID))
"""
    rows = mpy_json(src)
    assert rows == [[0], [0, 4], [0, 0, "000102030405060708090A0B0C0D0E0F"], [1]]


def test_value_block_operations(mpy_json):
    src = SETUP + """
r.auth(0x60, 7, FF, UID)
r.write(7, FF + bytes.fromhex("08778F69") + FF)   # value blocks: read/dec A|B, write/inc B
fresh(); r.auth(0x60, 4, FF, UID)
out(r.write(4, cards_classic.value_block(100, 4)))      # write needs key B -> NAK
fresh(); r.auth(0x61, 4, FF, UID)
out(r.read(4)[0])                                       # key B readable in 08 77 8F? no: 011
out(r.write(4, cards_classic.value_block(100, 4)))
out(r.value_op(0xC1, 4, 25), r.transfer(4))             # increment 25
out(r.value_op(0xC0, 4, 7), r.transfer(5))              # decrement 7 into block 5
out(h(r.read(4)[1]), h(r.read(5)[1]))
out(r.value_op(0xC2, 5, 0), r.transfer(6))              # restore 5 -> 6
out(h(r.read(6)[1]))
fresh(); r.auth(0x60, 4, FF, UID)
out(r.value_op(0xC0, 4, 18), r.transfer(4), h(r.read(4)[1]))   # key A may decrement
fresh(); r.auth(0x60, 4, FF, UID)
st = r.value_op(0xC1, 4, 1)
out(st)                                                 # key A may not increment: NAK
fresh(); r.auth(0x61, 4, FF, UID)
out(r.write(6, bytes(16)), r.value_op(0xC1, 6, 1))       # not a value block: NAK
fresh(); r.auth(0x61, 4, FF, UID)
out(r.transfer(5))                                      # no valid transfer buffer: NAK
"""
    rows = mpy_json(src)
    vb = lambda v, a: __import__("hw.twin.node.cards_classic", fromlist=["x"]).value_block(v, a).hex().upper()
    assert rows[0] == [4]
    assert rows[1] == [0]
    assert rows[2] == [0]
    assert rows[3] == [0, 0]
    assert rows[4] == [0, 0]
    assert rows[5] == [vb(125, 4), vb(118, 4)]
    assert rows[6] == [0, 0]
    assert rows[7] == [vb(118, 4)]
    assert rows[8] == [0, 0, vb(107, 4)]
    assert rows[9] == [4]
    assert rows[10] == [0, 4]
    assert rows[11] == [4]


def test_bad_access_pattern_bricks_the_sector_forever(mpy_json):
    src = SETUP + """
r.auth(0x60, 7, FF, UID)
out(r.write(7, FF + bytes.fromhex("00000069") + FF))     # inconsistent access bits
out(r.read(4)[0])
for key in (0x60, 0x61):
    fresh(); out(r.auth(key, 4, FF, UID))
fresh(); out(r.auth(0x60, 8, FF, UID), r.read(8)[0])    # other sectors unaffected
out(card(chip, "DEADBEEF").access(1))
"""
    rows = mpy_json(src)
    assert rows == [[0], [4], [1], [1], [0, 0], [None]]
