"""One card of each type, read (and written) through the datasheet-sequence test driver."""

SETUP = """
from fakebus import *
from ds_driver import *
chip, spi, cs, ev = rig()
r = Reader(spi, cs)
def out(*x):
    print(json.dumps(list(x)))
"""

KEY = 'b"\\xff" * 6'


def classic_scenario(kind, uid, block):
    return SETUP + """
place(chip, %r, %r)
r.init()
st, atqa = r.request()
st2, uid, sak = r.select()
out(st, h(atqa), st2, h(uid), sak)
out(r.auth(0x60, %d, %s, uid))
payload = bytes(range(0x40, 0x50))
out(r.write(%d, payload))
st, data = r.read(%d)
out(st, h(data))
trailer = %d | (3 if %d < 128 else 15)
st, data = r.read(trailer)
out(st, h(data))
out(ev.items[-1]["card_memory"], ev.items[-1]["offset"], ev.items[-1]["data"])
""" % (kind, uid, block, KEY, block, block, block, block)


def check_classic(rows, atqa, uid, sak, block):
    assert rows[0] == [0, atqa, 0, uid, sak]
    assert rows[1] == [0]
    assert rows[2] == [0]
    assert rows[3] == [0, "404142434445464748494A4B4C4D4E4F"]
    # trailer read with key A: key A masked, access bits + GPB, key B readable in transport config
    assert rows[4] == [0, "000000000000FF078069FFFFFFFFFFFF"]
    assert rows[5] == [uid, block * 16, "404142434445464748494A4B4C4D4E4F"]


def test_classic_1k_4_byte_uid(mpy_json):
    rows = mpy_json(classic_scenario("classic1k", "DEADBEEF", 5))
    check_classic(rows, "0400", "DEADBEEF", 0x08, 5)


def test_classic_1k_7_byte_uid(mpy_json):
    rows = mpy_json(classic_scenario("classic1k", "04112233445566", 9))
    check_classic(rows, "4400", "04112233445566", 0x08, 9)


def test_classic_4k_big_sector(mpy_json):
    rows = mpy_json(classic_scenario("classic4k", "A1B2C3D4", 200))
    check_classic(rows, "0200", "A1B2C3D4", 0x18, 200)


def test_classic_4k_7_byte_uid(mpy_json):
    rows = mpy_json(classic_scenario("classic4k", "04A1B2C3D4E5F6", 130))
    check_classic(rows, "4200", "04A1B2C3D4E5F6", 0x18, 130)


UL_SCENARIO = SETUP + """
place(chip, KIND, "04112233445566")
r.init()
st, atqa = r.request()
st2, uid, sak = r.select()
out(st, h(atqa), st2, h(uid), sak)
st, data = r.read(0)
out(st, h(data))
st, _ = r.exchange_crc(b"\\xa2\\x05\\x01\\x02\\x03\\x04")
out(st)
st, data = r.read(5)
out(st, h(data[0:4]))
st, data = r.exchange_crc(b"\\x60")
out(st, h(data))
r.halt(); r.wupa_select()
pages = card(chip, "04112233445566").pages
st, data = r.read(pages - 1)
out(st, len(data))
st, data = r.read(pages)
out(st, h(data))
"""


def ul_rows(mpy_json, kind):
    return mpy_json(UL_SCENARIO.replace("KIND", repr(kind)))


def check_ul_common(rows):
    assert rows[0] == [0, "4400", 0, "04112233445566", 0x00]
    # page 0-3: UID0-2 BCC0 | UID3-6 | BCC1 internal lock lock | OTP/CC
    assert rows[1][1].startswith("041122" + "%02X" % (0x88 ^ 0x04 ^ 0x11 ^ 0x22) + "33445566" + "%02X" % (0x33 ^ 0x44 ^ 0x55 ^ 0x66))
    assert rows[2] == [0]
    assert rows[3] == [0, "01020304"]
    assert rows[5] == [0, 16]        # last page read wraps to page 0
    assert rows[6] == [4, "00"]      # out-of-range page: NAK 0x0


def test_ultralight(mpy_json):
    rows = ul_rows(mpy_json, "ultralight")
    check_ul_common(rows)
    assert rows[4] == [4, "00"]      # no GET_VERSION on the original Ultralight


def test_ntag213_215_216(mpy_json):
    for kind, size in (("ntag213", "0F"), ("ntag215", "11"), ("ntag216", "13")):
        rows = ul_rows(mpy_json, kind)
        check_ul_common(rows)
        assert rows[4] == [0, "000404020100%s03" % size], kind


def test_ntag_fast_read_and_password(mpy_json):
    src = SETUP + """
place(chip, "ntag213", "04AABBCCDDEEFF")
r.init(); r.request(); r.select()
st, data = r.exchange_crc(b"\\x3a\\x03\\x04")
out(st, h(data))
# protect from page 4 on with password 11223344 (AUTH0 in CFG0 page 0x29, PWD page 0x2B)
out(r.exchange_crc(b"\\xa2\\x2b\\x11\\x22\\x33\\x44")[0])
out(r.exchange_crc(b"\\xa2\\x29\\x04\\x00\\x00\\x04")[0])
r.halt(); r.wupa_select()
st, _ = r.exchange_crc(b"\\xa2\\x04\\x09\\x09\\x09\\x09")
out(st)                                   # write refused without PWD_AUTH
r.wupa_select()
st, pack = r.exchange_crc(b"\\x1b\\x99\\x99\\x99\\x99")
out(st)                                   # wrong password: NAK
r.wupa_select()
st, pack = r.exchange_crc(b"\\x1b\\x11\\x22\\x33\\x44")
out(st, h(pack))
out(r.exchange_crc(b"\\xa2\\x04\\x09\\x09\\x09\\x09")[0])
st, data = r.read(0x2A)
out(st, h(data))                          # PWD and PACK read back as zeros
"""
    rows = mpy_json(src)
    assert rows[0] == [0, "E1101200" + "0300FE00"]
    assert rows[1] == [0] and rows[2] == [0]
    assert rows[3] == [4] and rows[4] == [4]
    assert rows[5] == [0, "0000"]
    assert rows[6] == [0]
    assert rows[7][1][0:24] == "00050000" + "0" * 16


def test_gen1a_backdoor_rewrites_the_uid(mpy_json):
    src = SETUP + """
place(chip, "classic1k", "11223344", card_id="clone", magic="gen1a")
r.init(); r.request(); r.select()
out(r.halt())
st, data = r.transceive(b"\\x40", tx_last=7)
out(st, h(data), r.last_bits)
st, data = r.transceive(b"\\x43")
out(st, h(data), r.last_bits)
uid = bytes.fromhex("DEADBEEF")
block0 = uid + bytes((0x22, 0x08, 0x04, 0x00)) + bytes(8)
out(r.write(0, block0))
st, data = r.read(0)
out(st, h(data))
r.halt()
st, atqa = r.request(0x52)
st, uid2, sak = r.select()
out(st, h(uid2), sak)
# a genuine card does not answer the backdoor
place(chip, "classic1k", "55667788")
r.halt()
chip.bench("remove", {"card": "clone"})
st, data = r.transceive(b"\\x40", tx_last=7)
out(st)
"""
    rows = mpy_json(src)
    assert rows[0] == [1]                      # HLTA: no answer
    assert rows[1] == [0, "0A", 4]
    assert rows[2] == [0, "0A", 4]
    assert rows[3] == [0]
    assert rows[4] == [0, "DEADBEEF22080400" + "00" * 8]
    assert rows[5] == [0, "DEADBEEF", 0x08]
    assert rows[6] == [1]


def test_gen1a_wrong_bcc_breaks_anticollision(mpy_json):
    src = SETUP + """
place(chip, "classic1k", "11223344", magic="gen1a")
r.init()
r.transceive(b"\\x40", tx_last=7); r.transceive(b"\\x43")
r.write(0, bytes.fromhex("DEADBEEF00080400") + bytes(8))
r.halt()
out(r.request(0x52)[0], r.select()[0])
"""
    assert mpy_json(src) == [[0, 3]]             # ATQA fine, BCC check fails


def test_gen2_block0_by_authenticated_write_and_genuine_refuses(mpy_json):
    src = SETUP + """
for kind, magic in (("gen2", "gen2"), ("genuine", None)):
    place(chip, "classic1k", "11223344", card_id=kind, magic=magic)
    r.init(); r.request(); st, uid, _ = r.select()
    out(kind, r.auth(0x60, 0, b"\\xff" * 6, uid), r.write(0, bytes.fromhex("CAFEBABE") + bytes((0xCA ^ 0xFE ^ 0xBA ^ 0xBE, 8, 4, 0)) + bytes(8)))
    st, uid = r.reselect()
    out(kind, h(uid))
    chip.bench("remove", {"card": kind})
"""
    rows = mpy_json(src)
    assert rows == [["gen2", 0, 0], ["gen2", "CAFEBABE"], ["genuine", 0, 4], ["genuine", "11223344"]]
