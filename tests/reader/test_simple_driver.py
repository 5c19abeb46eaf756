"""A driver in the style of the common MicroPython drivers (one register per transaction, byte-wise
FIFO, CalcCRC, loop-count waits) reads cards exactly as the burst-transfer test driver does."""

SETUP = """
from fakebus import *
from simple_driver import *
from ds_driver import Reader
chip, spi, cs, ev = rig()
s = Simple(spi, cs)
def out(*x):
    print(json.dumps(list(x)))
"""


def test_simple_driver_reads_and_writes_a_4_byte_uid_card(mpy_json):
    src = SETUP + """
place(chip, "classic1k", "DEADBEEF")
s.init()
out(s.request())
uid = s.read_uid()
out(h(uid))
out(s.auth(0x60, 8, [0xFF] * 6, uid))
out(s.write(8, bytes(range(16))))
out(h(s.read(8)))
s.stop_crypto1()
# the burst-transfer driver sees the same memory
r = Reader(spi, cs)
r.init(); r.request(); st, uid2, sak = r.select()
r.auth(0x60, 8, b"\\xff" * 6, uid2)
out(h(r.read(8)[1]))
"""
    rows = mpy_json(src)
    assert rows[0] == [[0, 16]]
    assert rows[1] == ["DEADBEEF"]
    assert rows[2] == [0]
    assert rows[3] == [0]
    assert rows[4] == ["000102030405060708090A0B0C0D0E0F"]
    assert rows[5] == rows[4]


def test_simple_driver_reads_a_7_byte_uid(mpy_json):
    src = SETUP + """
for kind in ("classic1k", "ntag216"):
    place(chip, kind, "04A1B2C3D4E5F6", card_id=kind)
    s.init()
    out(kind, s.request(), h(s.read_uid()))
    out(kind, h(s.read(0) if kind == "ntag216" else [0]))
    chip.bench("remove", {"card": kind})
"""
    rows = mpy_json(src)
    assert rows[0] == ["classic1k", [0, 16], "04A1B2C3D4E5F6"]
    assert rows[2] == ["ntag216", [0, 16], "04A1B2C3D4E5F6"]
    assert rows[3][1].startswith("04A1B2")


def test_simple_driver_empty_poll_and_wrong_key(mpy_json):
    src = SETUP + """
s.init()
out(s.request())
place(chip, "classic1k", "DEADBEEF")
s.request(); uid = s.read_uid()
out(s.auth(0x60, 8, [0] * 6, uid))
"""
    rows = mpy_json(src)
    assert rows[0] == [[2, 0]]   # no card: error after the timeout, no exception
    assert rows[1] == [2]
