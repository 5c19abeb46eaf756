"""Several cards in the field: bit-by-bit merging, collisions, anticollision, HLTA/WUPA, ISO quirks."""

SETUP = """
from fakebus import *
from ds_driver import *
import cards_iso14443 as iso
chip, spi, cs, ev = rig()
r = Reader(spi, cs)
def out(*x):
    print(json.dumps(list(x)))
"""


def scan(mpy_json, uids, choose=0, kinds=None):
    kinds = kinds or ["classic1k"] * len(uids)
    src = SETUP + """
for kind, uid in zip(%r, %r):
    place(chip, kind, uid)
r.init()
out([h(u) for u in r.scan(choose=%d)])
""" % (kinds, uids, choose)
    (rows,) = mpy_json(src)
    return rows[0]


def test_two_cards_anticollision_finds_both(mpy_json):
    uids = ["DEADBEEF", "DEADBE0F"]
    assert sorted(scan(mpy_json, uids)) == sorted(uids)
    assert sorted(scan(mpy_json, uids, choose=1)) == sorted(uids)


def test_three_cards_colliding_in_different_bytes(mpy_json):
    uids = ["11223344", "11A23344", "1122334C"]
    found = scan(mpy_json, uids)
    assert sorted(found) == sorted(uids)


def test_7_byte_uids_colliding_at_cascade_level_2(mpy_json):
    # same manufacturer and first bytes: CL1 identical, the collision is in CL2
    uids = ["04112233445566", "04112233C45566", "04112233445567"]
    found = scan(mpy_json, uids, kinds=["ntag213", "classic1k", "ultralight"])
    assert sorted(found) == sorted(uids)


def test_mixed_uid_sizes(mpy_json):
    uids = ["04112233445566", "DEADBEEF", "88776655"]
    assert sorted(scan(mpy_json, uids)) == sorted(uids)


def test_collision_registers_for_first_collision(mpy_json):
    """Two cards differing first at UID bit 13 (byte 1 bit 4): CollErr, CollPos=13, later bits 0."""
    src = SETUP + """
place(chip, "classic1k", "11223344")
place(chip, "classic1k", "11323344")
r.init()
r.request()
r.wr(0x0E, 0x00)
st, data = r.transceive(b"\\x93\\x20")
out(st, r.error_reg & 0x08, r.coll_reg, h(data))
# same, with a 3-bit RxAlign offset: CollPos counts from FIFO bit 0 (reference §5.6)
r.request(); r.request()
r.wr(0x0E, 0x00)
st, data = r.transceive(b"\\x93\\x23\\x01", tx_last=3, rx_align=3)
out(st, r.coll_reg, h(data))
# ValuesAfterColl=1: bits after the collision are kept
r.request(); r.request()
r.wr(0x0E, 0x80)
st, data = r.transceive(b"\\x93\\x20")
out(st, r.coll_reg & 0x7F, h(data))
"""
    rows = mpy_json(src)
    assert rows[0] == [2, 0x08, 13, "1102000000"]
    assert rows[1] == [2, 13, "1002000000"]
    assert rows[2][0:2] == [2, 13] and rows[2][2] != "1102000000"


def test_equal_atqas_merge_without_collision_and_different_ones_collide(mpy_json):
    src = SETUP + """
place(chip, "classic1k", "11223344")
place(chip, "classic1k", "55667788")
r.init()
st, data = r.transceive(b"\\x26", tx_last=7)
out(st, h(data))
r.halt(); r.request(); r.request()
place(chip, "ntag213", "04112233445566")
r.wr(0x0E, 0x00)
st, data = r.transceive(b"\\x52", tx_last=7)
out(st, r.coll_reg)
"""
    rows = mpy_json(src)
    assert rows[0] == [0, "0400"]
    assert rows[1] == [2, 7]             # 0x0004 vs 0x0044 differ at bit 6 -> CollPos 7


def test_hlta_then_reqa_silent_then_wupa_wakes(mpy_json):
    src = SETUP + """
place(chip, "classic1k", "DEADBEEF")
r.init()
r.request(); r.select()
out(r.halt())
out(r.request(0x26)[0])
st, atqa = r.request(0x52)
out(st, h(atqa))
st, uid, sak = r.select()
out(st, h(uid), iso.STATE_NAMES[card(chip, "DEADBEEF").state])
"""
    assert mpy_json(src) == [[1], [1], [0, "0400"], [0, "DEADBEEF", "ACTIVE"]]


def test_active_card_ignores_reqa_and_drops_to_idle(mpy_json):
    """rfid #437: a card left ACTIVE without HLTA is detected only every second REQA."""
    src = SETUP + """
place(chip, "classic1k", "DEADBEEF")
r.init()
r.request(); r.select()
c = card(chip, "DEADBEEF")
out(iso.STATE_NAMES[c.state])
out(r.request()[0], iso.STATE_NAMES[c.state])
out(r.request()[0], iso.STATE_NAMES[c.state])
"""
    assert mpy_json(src) == [["ACTIVE"], [1, "IDLE"], [0, "READY"]]


def test_halted_card_woken_by_wupa_returns_to_halt_on_error(mpy_json):
    src = SETUP + """
place(chip, "classic1k", "DEADBEEF")
r.init()
r.request(); r.select(); r.halt()
r.request(0x52); r.select()
c = card(chip, "DEADBEEF")
r.transceive(b"\\x12\\x34\\x56")       # garbage frame in ACTIVE*
out(iso.STATE_NAMES[c.state], r.request()[0], r.request(0x52)[0])
"""
    assert mpy_json(src) == [["HALT", 1, 0]]


def test_antenna_off_resets_cards_and_nobody_answers(mpy_json):
    src = SETUP + """
place(chip, "classic1k", "DEADBEEF")
r.init()
r.request(); st, uid, sak = r.select()
out(r.auth(0x60, 4, b"\\xff" * 6, uid))
r.wr(0x14, r.rd(0x14) & ~0x03)            # antenna off
c = card(chip, "DEADBEEF")
out(iso.STATE_NAMES[c.state], r.request()[0], r.irq & 0x01)
r.stop_crypto()
r.wr(0x14, r.rd(0x14) | 0x03)
out(r.request()[0], iso.STATE_NAMES[c.state])
"""
    assert mpy_json(src) == [[0], ["POWER_OFF", 1, 1], [0, "READY"]]


def test_leaving_crypto_on_makes_reqa_unreadable(mpy_json):
    src = SETUP + """
place(chip, "classic1k", "DEADBEEF")
r.init()
r.request(); st, uid, sak = r.select()
r.auth(0x60, 4, b"\\xff" * 6, uid)
r.halt()
out(r.request(0x52)[0])
r.stop_crypto()
out(r.request(0x52)[0])
"""
    assert mpy_json(src) == [[1], [0]]


def test_cards_out_of_range_and_moved_in(mpy_json):
    src = SETUP + """
place(chip, "classic1k", "DEADBEEF", distance_mm=80)
r.init()
out(r.request()[0])
chip.bench("move", {"card": "DEADBEEF", "distance_mm": 10})
out(r.request()[0])
"""
    assert mpy_json(src) == [[1], [0]]
