"""MFRC522 register semantics, commands, timer, and bad input that must never raise (§2, §3)."""

SETUP = """
from fakebus import *
chip, spi, cs, ev = rig()
def wr(reg, v):
    cs(0); spi.write(bytes(((reg << 1) & 0x7E, v))); cs(1)
def rd(reg):
    rx = bytearray(2); cs(0); spi.write_readinto(bytes((0x80 | (reg << 1), 0)), rx); cs(1); return rx[1]
def out(*x):
    print(json.dumps(list(x)))
"""


def test_reset_values_and_irq_set_clear(mpy_json):
    src = SETUP + """
out(rd(0x01), rd(0x04), rd(0x07), rd(0x11), rd(0x14), rd(0x0E), rd(0x37))
wr(0x04, 0x7F); out(rd(0x04))
wr(0x04, 0x80 | 0x41); out(rd(0x04))        # Set1=1 sets TxIRq+TimerIRq, bit 7 reads 0
wr(0x04, 0x01); out(rd(0x04))               # Set1=0 clears TimerIRq
wr(0x05, 0x80 | 0x04); out(rd(0x05)); wr(0x05, 0x04); out(rd(0x05))
"""
    rows = mpy_json(src)
    assert rows[0] == [0x20, 0x14, 0x21, 0x3F, 0x80, 0xA0, 0x92]
    assert rows[1:] == [[0x00], [0x41], [0x40], [0x04], [0x00]]


def test_fifo_level_overflow_flush_and_water_level(mpy_json):
    src = SETUP + """
cs(0); spi.write(b"\\x12" + bytes(range(70))); cs(1)   # 70 bytes into a 64-byte FIFO
out(rd(0x0A), rd(0x06) & 0x10, rd(0x04) & 0x02, rd(0x07) & 0x03)
first = [rd(0x09) for _ in range(3)]
out(first, rd(0x0A))
wr(0x0A, 0x80)
out(rd(0x0A), rd(0x06), rd(0x09), rd(0x07) & 0x03)
wr(0x0B, 0x02); wr(0x04, 0x7F)
cs(0); spi.write(b"\\x12" + bytes(3)); cs(1)
out(rd(0x04) & 0x0C, rd(0x07) & 0x03)
"""
    rows = mpy_json(src)
    assert rows[0] == [64, 0x10, 0x02, 0x02]      # BufferOvfl, ErrIRq, HiAlert
    assert rows[1] == [[0, 1, 2], 61]
    assert rows[2] == [0, 0, 0, 0x01]             # FlushBuffer clears BufferOvfl; empty pop -> 0
    assert rows[3] == [0x04, 0x00]                # LoAlertIRq latched while passing the level


def test_burst_read_addresses_the_next_byte(mpy_json):
    src = SETUP + """
rx = bytearray(5)
cs(0); spi.write_readinto(bytes((0x80 | (0x37 << 1), 0x80 | (0x11 << 1), 0x80 | (0x14 << 1), 0x80 | 0x6F, 0)), rx); cs(1)
out(list(rx))
# split transaction: write then readinto in the same NSS frame
rx = bytearray(1)
cs(0); spi.write(bytes((0xEE,))); spi.readinto(rx, 0); cs(1)
out(list(rx))
"""
    rows = mpy_json(src)
    assert rows[0] == [[0, 0x92, 0x3F, 0x80, 0x92]]   # 0x6F: bit 0 ignored -> VersionReg
    assert rows[1] == [[0x92]]


def test_read_only_and_reserved_registers_ignore_writes(mpy_json):
    src = SETUP + """
for reg in (0x06, 0x07, 0x21, 0x22, 0x2E, 0x2F, 0x37, 0x00, 0x0F, 0x3C):
    before = rd(reg)
    wr(reg, 0x5A)
    out(reg, before == rd(reg))
wr(0x0E, 0x00); out(rd(0x0E))                   # only ValuesAfterColl is writable
wr(0x08, 0x08); out(rd(0x08) & 0x08)            # MFCrypto1On cannot be set by the host
wr(0x0C, 0xC0); out(rd(0x0C) & 0xC0)            # strobes read 0
"""
    rows = mpy_json(src)
    assert all(row[1] for row in rows[:10])
    assert rows[10:] == [[0x20], [0], [0]]


def test_commands_idle_irq_and_never_ending_ones(mpy_json):
    src = SETUP + """
for code in (0x05, 0x06, 0x09, 0x0A, 0x0B, 0x0D):       # unknown codes
    wr(0x04, 0x7F); wr(0x01, code); out(code, rd(0x01) & 0x0F, rd(0x04) & 0x10)
wr(0x04, 0x7F); wr(0x01, 0x0C); out(rd(0x01) & 0x0F, rd(0x04) & 0x10)   # Transceive waits
wr(0x01, 0x00); out(rd(0x01) & 0x0F, rd(0x04) & 0x10)   # host-written Idle sets no IdleIRq
wr(0x04, 0x7F); wr(0x01, 0x08); [rd(0x04) for _ in range(100)]; out(rd(0x01) & 0x0F)
wr(0x04, 0x7F); wr(0x01, 0x02); out(rd(0x01) & 0x0F, rd(0x04) & 0x10)   # GenerateRandomID
wr(0x01, 0x01); out(rd(0x0A))                            # Mem with empty FIFO: buffer -> FIFO
cs(0); spi.write(b"\\x12" + bytes(range(1, 26))); cs(1)
out(rd(0x0A)); wr(0x0A, 0x80)
cs(0); spi.write(b"\\x12" + bytes(range(100, 125))); cs(1); wr(0x01, 0x01); out(rd(0x0A))
wr(0x01, 0x01); out([rd(0x09) for _ in range(25)][:3])
"""
    rows = mpy_json(src)
    for row in rows[:6]:
        assert row[1:] == [0, 0x10]
    assert rows[6] == [0x0C, 0]
    assert rows[7] == [0, 0]
    assert rows[8] == [0x08]
    assert rows[9] == [0, 0x10]
    assert rows[10] == [25]
    assert rows[11] == [50]
    assert rows[12] == [0]
    assert rows[13] == [[100, 101, 102]]


def test_soft_reset_turns_the_antenna_off_and_restores_registers(mpy_json):
    src = SETUP + """
place(chip, "classic1k", "DEADBEEF")
wr(0x14, 0x83); wr(0x11, 0x3D); wr(0x2A, 0x8D)
out(chip.field.powered)
wr(0x01, 0x0F)
out(chip.field.powered, rd(0x14), rd(0x11), rd(0x2A), rd(0x01))
"""
    assert mpy_json(src) == [[True], [False, 0x80, 0x3F, 0x00, 0x20]]


def test_timer_counts_on_virtual_time_with_reload_and_auto_restart(mpy_json):
    src = SETUP + """
wr(0x2A, 0x0D); wr(0x2B, 0x3E); wr(0x2C, 0); wr(0x2D, 30)   # WD: 500 us ticks, 31 ticks
wr(0x04, 0x7F); wr(0x0C, 0x40)                               # TStartNow
polls = 0
while not rd(0x04) & 0x01:
    polls += 1
out(polls, rd(0x07) & 0x08, rd(0x2E) << 8 | rd(0x2F))
wr(0x2A, 0x1D); wr(0x04, 0x7F); wr(0x0C, 0x40)              # TAutoRestart
for _ in range(400):
    rd(0x04)
out(rd(0x04) & 0x01, rd(0x07) & 0x08)
wr(0x0C, 0x80); v = rd(0x2F); [rd(0x04) for _ in range(50)]
out(rd(0x07) & 0x08, rd(0x2F) == v)
"""
    rows = mpy_json(src)
    # 15.5 ms at 58 us of virtual time per single-register transaction -> ~267 polls
    assert 200 < rows[0][0] < 320
    assert rows[0][1:] == [0, 0]
    assert rows[1] == [1, 0x08]
    assert rows[2] == [0, True]


def test_empty_poll_times_out_by_timer_within_the_loop_bound(mpy_json):
    """No card: TimerIRq comes long before a 2000-poll loop runs out (TAuto, 25 ms)."""
    src = SETUP + """
from ds_driver import Reader
r = Reader(spi, cs)
r.init()
polls = 0
st, data = r.transceive(b"\\x26", tx_last=7)
out(st, r.irq & 0x01)
wr(0x04, 0x7F); wr(0x0A, 0x80); wr(0x09, 0x26); wr(0x0D, 0x07); wr(0x01, 0x0C); wr(0x0D, 0x87)
while not rd(0x04) & 0x01:
    polls += 1
out(polls)
"""
    rows = mpy_json(src)
    assert rows[0] == [1, 1]
    assert 300 < rows[1][0] < 600


def test_self_test_bytes(mpy_json):
    import re
    from pathlib import Path
    ref = (Path(__file__).resolve().parents[2] / ".." / "shared" / "docs" / "mfrc522-reference.md")
    src = SETUP + """
for v in (0x91, 0x92):
    chip.bench("version", {"value": v})
    wr(0x01, 0x0F); wr(0x0A, 0x80)
    cs(0); spi.write(b"\\x12" + bytes(25)); cs(1); wr(0x01, 0x01)
    wr(0x36, 0x09); wr(0x09, 0x00); wr(0x01, 0x03)
    n = rd(0x0A)
    out(v, n, h([rd(0x09) for _ in range(n)]))
    wr(0x01, 0x00); wr(0x36, 0x00)
"""
    rows = mpy_json(src)
    assert [r[1] for r in rows] == [64, 64]
    if ref.exists():
        text = ref.read_text()
        for v, _, data in rows:
            m = re.search(r"\(0x%02x\): `([0-9A-F ]+)`" % v, text)
            assert m and m.group(1).replace(" ", "") == data


def test_garbage_spi_traffic_never_raises(mpy_json):
    """A fuzzing driver: random transactions of random length to every register, cards present."""
    src = SETUP + """
import random
random.seed(7)
place(chip, "classic1k", "DEADBEEF"); place(chip, "ntag213", "04112233445566")
place(chip, "classic4k", "04A1B2C3D4E5F6", magic=None); place(chip, "classic1k", "11223344", magic="gen1a")
n = 0
for i in range(6000):
    length = random.randint(0, 70)
    tx = bytes(random.getrandbits(8) for _ in range(length))
    if i % 7 == 0 and length > 1:               # bias: commands, StartSend, antenna
        tx = bytes((random.choice((0x02, 0x1A, 0x28, 0x12, 0x10)),)) + tx[1:]
    rx = bytearray(length)
    cs(0); spi.write_readinto(tx, rx); cs(1)
    n += 1
out(n, ev.errors())
"""
    assert mpy_json(src) == [[6000, []]]


def test_garbage_frames_to_cards_get_silence_or_nak(mpy_json):
    src = SETUP + """
import random
from ds_driver import Reader, crc_a
random.seed(3)
r = Reader(spi, cs)
r.init()
place(chip, "classic1k", "DEADBEEF"); place(chip, "ntag215", "04112233445566")
results = set()
for i in range(300):
    if i % 20 == 0:
        r.halt(); r.request(0x52); r.select()
    n = random.randint(1, 20)
    frame = bytes(random.getrandbits(8) for _ in range(n))
    if i % 2:
        frame += crc_a(frame)
    st, data = r.transceive(frame, tx_last=random.choice((0, 0, 0, 3, 7)))
    results.add((st, r.last_bits if st == 0 else -1))
out(sorted(results))
"""
    (rows,) = mpy_json(src)
    # silence (1), a 4-bit NAK (0, 4), a collision between the two cards' answers (2), whole bytes (0, 0)
    assert [1, -1] in rows[0]
    assert all(st in (0, 1, 2) for st, _ in rows[0])


def test_wrong_command_order_never_raises(mpy_json):
    src = SETUP + """
from ds_driver import Reader
r = Reader(spi, cs)
r.init()
place(chip, "classic1k", "DEADBEEF")
wr(0x0D, 0x87)                                  # StartSend without Transceive: ignored
out(rd(0x04) & 0x40)
wr(0x04, 0x7F); wr(0x01, 0x0E); wr(0x09, 0x60)  # MFAuthent with one byte: waits
[rd(0x04) for _ in range(600)]
out(rd(0x01) & 0x0F, rd(0x04) & 0x11)
wr(0x01, 0x0C); wr(0x0D, 0x80)                  # Transceive with an empty FIFO
[rd(0x04) for _ in range(600)]
out(rd(0x04) & 0x41)
wr(0x01, 0x0C); wr(0x09, 0x26); wr(0x0D, 0x87); wr(0x09, 0x11); wr(0x09, 0x22)  # FIFO writes mid-exchange
[rd(0x04) for _ in range(10)]
out(rd(0x06) & 0x80, rd(0x0A))
wr(0x01, 0x00)
wr(0x08, 0x00); wr(0x01, 0x0E)
cs(0); spi.write(b"\\x12" + bytes(12)); cs(1)    # MFAuthent with a zero command byte
[rd(0x04) for _ in range(600)]
out(rd(0x08) & 0x08, rd(0x04) & 0x01)
"""
    rows = mpy_json(src)
    assert rows[0] == [0]
    assert rows[1] == [0x0E, 0]
    assert rows[2] == [0x41]                     # TxIRq, TimerIRq: nothing sent, nobody answers
    assert rows[3][0] == 0x80                     # WrErr
    assert rows[4] == [0, 1]
