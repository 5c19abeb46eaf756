"""Faults on demand: CRC/parity error rates, removal mid-transaction, weak and slow cards, chip hang."""

SETUP = """
from fakebus import *
from ds_driver import *
import cards_iso14443 as iso
chip, spi, cs, ev = rig()
r = Reader(spi, cs)
FF = b"\\xff" * 6
def out(*x):
    print(json.dumps(list(x)))
place(chip, "classic1k", "DEADBEEF")
r.init()
def session():
    r.end_session()
    st, uid = r.wupa_select()
    if st != OK:
        r.request()
        st, uid = r.wupa_select()
    return st == OK and r.auth(0x60, 4, FF, uid) == OK
"""


def test_crc_error_rate_corrupts_about_that_share_of_answers(mpy_json):
    src = SETUP + """
r.request(); r.select()
chip.bench("fault", {"name": "crc", "rate": 0.25})
counts = [0, 0]
for i in range(200):
    if not session():
        continue
    st, data = r.read(4)
    counts[0 if st == OK else 1] += 1
out(counts)
chip.bench("clear_fault", {"name": "crc"})
bad = 0
for i in range(30):
    bad += 0 if session() and r.read(4)[0] == OK else 1
out(bad)
"""
    rows = mpy_json(src)
    good, bad = rows[0][0]
    assert good + bad > 50
    assert 0.08 < bad / (good + bad) < 0.5   # the driver's CRC check catches the flipped bits
    assert rows[1] == [0]


def test_parity_error_rate_sets_parity_err(mpy_json):
    src = SETUP + """
chip.bench("fault", {"name": "parity", "rate": 1.0})
st, data = r.transceive(b"\\x26", tx_last=7)
out(st, r.error_reg & 0x02, r.irq & 0x02)
chip.bench("fault", {"name": "parity", "rate": 0.0})
r.request()
out(r.request()[0])
"""
    assert mpy_json(src) == [[3, 2, 2], [0]]


def test_card_removed_in_the_middle_of_a_write(mpy_json):
    src = SETUP + """
r.request(); st, uid, sak = r.select()
r.auth(0x60, 4, FF, uid)
# the card hears WRITE part 1 and is gone before part 2
chip.bench("fault", {"name": "remove_mid", "card": "DEADBEEF", "after_frames": 1})
st, _ = r.exchange_crc(b"\\xa0\\x04")
out(st)
st, _ = r.exchange_crc(bytes(range(16)))
out(st, [e for e in ev.items if "card_removed" in e], [e for e in ev.items if "card_memory" in e])
out(r.request()[0], chip.field.find("DEADBEEF"))
"""
    rows = mpy_json(src)
    assert rows[0] == [0]
    assert rows[1] == [1, [{"card_removed": "DEADBEEF"}], []]   # timeout, no memory change
    assert rows[2] == [1, None]


def test_weak_card_loses_answers(mpy_json):
    src = SETUP + """
chip.bench("fault", {"name": "weak", "card": "DEADBEEF", "loss": 0.5})
ok = 0
for i in range(100):
    st, _ = r.transceive(b"\\x52", tx_last=7)
    ok += st == OK
    r.halt()
out(ok)
chip.bench("move", {"card": "DEADBEEF", "distance_mm": 45})   # far: weak coupling too
chip.bench("clear_fault", {"name": "weak"})
ok = 0
for i in range(100):
    st, _ = r.transceive(b"\\x52", tx_last=7)
    ok += st == OK
    r.halt()
out(ok)
"""
    rows = mpy_json(src)
    assert 25 < rows[0][0] < 75
    assert 5 < rows[1][0] < 50


def test_slow_card_answers_after_the_timer_expired(mpy_json):
    """The answer comes 30 ms late: the 25 ms timer fires first (TimerIRq), the data still arrives."""
    src = SETUP + """
chip.bench("fault", {"name": "slow", "card": "DEADBEEF", "delay_us": 30000})
st, _ = r.transceive(b"\\x26", tx_last=7)
out(st, r.irq & 0x21)
for i in range(200):
    if r.rd(0x04) & 0x20:
        break
out(r.rd(0x0A), r.rd(0x04) & 0x21)
chip.bench("fault", {"name": "slow", "card": "DEADBEEF", "delay_us": 2000})
r.halt()
st, atqa = r.request(0x52)
out(st, h(atqa))
"""
    rows = mpy_json(src)
    assert rows[0] == [1, 0x01]
    assert rows[1] == [2, 0x21]
    assert rows[2] == [0, "0400"]


def test_chip_hang_until_hard_reset(mpy_json):
    src = SETUP + """
for mode in ("version0", "stuck"):
    chip.bench("fault", {"name": "hang", "mode": mode})
    out(mode, r.rd(0x37), r.init(), r.request()[0])
    chip.set_reset(0)
    chip.set_reset(1)
    out(r.rd(0x37), r.init(), r.request()[0])
"""
    rows = mpy_json(src)
    assert rows == [["version0", 0, 0, 1], [0x92, 0x92, 0], ["stuck", 255, 255, 3], [0x92, 0x92, 0]]


def test_version_register_values(mpy_json):
    src = SETUP + """
for v in (0x91, 0x92, 0x88, 0x89, 0xB2, 0x12, 0x90):
    chip.bench("version", {"value": v})
    out(r.rd(0x37), r.init())
"""
    rows = mpy_json(src)
    assert [row[0] for row in rows] == [0x91, 0x92, 0x88, 0x89, 0xB2, 0x12, 0x90]
    assert all(row[0] == row[1] for row in rows)    # survives SoftReset


def test_bench_errors_are_reported_not_raised(mpy_json):
    src = SETUP + """
chip.bench("fault", {"name": "weak", "card": "nope", "loss": 1})
chip.bench("place", {"card": "x", "state": {"type": "classic9k"}})
chip.bench("launch", {})
out(ev.errors())
"""
    (errors,) = mpy_json(src)[0]
    assert len(errors) == 3
    assert "no card nope" in errors[0] and "classic9k" in errors[1] and "launch" in errors[2]
