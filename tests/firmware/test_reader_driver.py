"""The MFRC522 driver on the twin's bus: activation, cascade levels, collisions, Classic, Ultralight."""
import pytest

from .conftest import REAL_TIME_SLEEPS

pytestmark = pytest.mark.bench


def place(node, uid, kind="classic1k", **kw):
    node.twin.bench("reader.place", type=kind, uid=uid, **kw)


def test_version_and_self_check(driver):
    assert driver.eval("r.version") == 0x92
    assert driver.eval("r.check()") is True
    assert driver.eval("r.calc_crc(b'\\x12\\x34')") == 0xCF26      # reference §4: 12 34 -> 26 CF


def test_empty_field_is_none(driver):
    assert driver.eval("r.poll()") is None
    assert driver.eval("r.poll(wake=True)") is None


def test_4_byte_uid_classic(driver):
    place(driver, "DEADBEEF")
    out = driver.exec("u = r.poll(); print(bytes(u).hex(), r.uid_len, hex(r.sak), hex(r.atqa), r.several)")
    assert out.split() == ["deadbeef", "4", "0x8", "0x4", "False"]


def test_7_byte_uid_classic(driver):
    place(driver, "04112233445566")
    out = driver.exec("u = r.poll(); print(bytes(u).hex(), hex(r.sak), hex(r.atqa)); r.halt()")
    assert out.split() == ["04112233445566", "0x8", "0x44"]


def test_classic_authenticate_read_write_value(driver):
    place(driver, "04112233445566")
    out = driver.exec("""
r.poll()
r.authenticate(KEY_A, 4, b'\\xff' * 6)
r.write(5, bytes(range(16)))
print(bytes(r.read(5)).hex())
# value block 100 at address 6 (reference §6.7), then -30 +5 and transfer
r.write(6, bytes((100, 0, 0, 0, 155, 255, 255, 255, 100, 0, 0, 0, 6, 249, 6, 249)))
r.decrement(6, 30); r.transfer(6)
r.increment(6, 5); r.transfer(6)
print(bytes(r.read(6)).hex())
r.halt()
""")
    lines = out.split()
    assert lines[0] == bytes(range(16)).hex()
    assert lines[1] == bytes((75, 0, 0, 0, 180, 255, 255, 255, 75, 0, 0, 0, 6, 249, 6, 249)).hex()


def test_wrong_key_is_card_error_then_card_again(driver):
    place(driver, "DEADBEEF")
    out = driver.exec("""
r.poll()
try:
    r.authenticate(KEY_A, 4, b'\\x00' * 6)
except CardError as e:
    print('refused', e)
u = r.poll(wake=True)
print(bytes(u).hex())
r.authenticate(KEY_A, 4, b'\\xff' * 6); print(len(r.read(4)))
""")
    assert out.split() == ["refused", "authentication", "failed", "deadbeef", "16"]


def test_ultralight_read_pages(driver):
    place(driver, "04AABBCCDDEEFF", kind="ultralight")
    out = driver.exec("u = r.poll(); print(bytes(u).hex(), hex(r.sak)); print(bytes(r.read(0)).hex())")
    uid_line, pages = out.split("\n")[:2]
    assert uid_line.split() == ["04aabbccddeeff", "0x0"]
    uid = bytes.fromhex("04AABBCCDDEEFF")
    assert pages.strip()[:8] == (uid[:3] + bytes([0x88 ^ uid[0] ^ uid[1] ^ uid[2]])).hex()
    assert pages.strip()[8:16] == uid[3:].hex()
    out = driver.exec("r.write_page(4, b'\\x01\\x02\\x03\\x04'); print(bytes(r.read(4))[:4].hex())")
    assert out.strip() == "01020304"


INVENTORY = """
found = []
for _ in range(6):
    u = r.poll()
    if u is None:
        break
    found.append((bytes(u).hex(), r.several))
    r.halt()
print(found)
"""


@pytest.mark.parametrize("uids", [
    ["DEADBEEF", "DEADBE0F"],                                     # differ in the last byte
    ["11223344", "04112233445566", "81223344"],                   # 4- and 7-byte, collide at bit 1 and 8
])
def test_several_cards_each_found_deterministically(driver, uids):
    for uid in uids:
        place(driver, uid)
    out1 = driver.exec(INVENTORY)
    found = eval(out1)
    assert sorted(u for u, _ in found) == sorted(u.lower() for u in uids)
    assert found[0][1] is True                   # the first poll saw a collision
    assert found[-1][1] is False                 # the last card was alone
    # Same field again (cards powered down and up): the same card wins first.
    driver.twin.bench("reader.remove", all=True)
    for uid in uids:
        driver.twin.bench("reader.place", card=uid)
    assert eval(driver.exec(INVENTORY)) == found


def test_collision_deep_in_a_7_byte_uid(driver):
    # Same CL1 (88 04 11 22), collision in cascade level 2 at bit 27.
    uids = ["04112233445566", "04112233445526"]
    for uid in uids:
        place(driver, uid)
    found = eval(driver.exec(INVENTORY))
    assert sorted(u for u, _ in found) == sorted(u.lower() for u in uids)


def test_card_removed_mid_read(driver):
    place(driver, "DEADBEEF")
    driver.twin.bench("reader.fault", set="remove_mid", card="DEADBEEF", after_frames=4)
    out = driver.exec("""
print(bytes(r.poll()).hex())
r.authenticate(KEY_A, 4, b'\\xff' * 6)
try:
    r.read(4)
except CardError as e:
    print('error', e)
print(r.poll(), r.poll(wake=True))
""")
    assert out.split() == ["deadbeef", "error", "no", "answer", "None", "None"]


def test_crc_errors_never_give_a_wrong_uid(driver):
    place(driver, "DEADBEEF")
    driver.twin.bench("reader.fault", set="crc", rate=0.3)
    out = driver.exec("""
ok = bad = err = 0
for i in range(40):
    try:
        u = r.poll(wake=True)
        if u is None:
            continue
        if bytes(u) == b'\\xde\\xad\\xbe\\xef':
            ok += 1
        else:
            bad += 1
        r.halt()
    except CardError:
        err += 1
print(ok, bad, err)
""", timeout=30)
    ok, bad, err = map(int, out.split())
    assert bad == 0 and ok >= 3 and err >= 3
    driver.twin.bench("reader.fault", set="crc", rate=1.0)
    out = driver.exec("""
try:
    r.poll(wake=True); print('no error')
except CardError as e:
    print('error', e)
""")
    assert out.startswith("error")


def test_bus_fault_raises_oserror(driver):
    driver.twin.bench("reader.fault", set="hang", mode="stuck")
    out = driver.exec("""
try:
    r.poll()
except OSError as e:
    print('oserror', e)
r.init(); print(r.poll())
""")
    assert out.split() == ["oserror", "MFRC522", "bus", "fault", "None"]


def test_spi_transactions_empty_poll_and_full_read(driver):
    driver.exec(REAL_TIME_SLEEPS)
    empty = driver.exec("r.poll(); r.poll(); twin.spi_stats(True); r.poll(); print(twin.spi_stats()['transactions'])")
    assert int(empty) <= 12
    place(driver, "DEADBEEF")
    out = driver.exec("""
twin.spi_stats(True)
u = bytes(r.poll()); r.authenticate(KEY_A, 4, b'\\xff' * 6); r.read(4); r.halt()
s = twin.spi_stats(); print(u.hex(), s['transactions'], s['bytes'])
""")
    uid, transactions, nbytes = out.split()
    assert uid == "deadbeef" and int(transactions) <= 80


REPLAY = """
import micropython
class ReplaySPI:
    # Plays back MISO bytes recorded from the twin's chip: no model code under heap_lock.
    def __init__(self, rec):
        self.rx = [x for _, x in rec]
        self.i = 0
    def write(self, buf):
        self.i += 1
    def write_readinto(self, tx, rx):
        src = self.rx[self.i]
        self.i += 1
        for j in range(len(rx)):
            rx[j] = src[j]
class NoPin:
    def __call__(self, v=None):
        return 0
def replayed_poll(rec):
    # The twin's sleep shim talks to its device models (and allocates): sleep in C instead.
    import time
    shim_sleep = time.sleep_us
    time.sleep_us = getattr(time, "_ctime", time).sleep_us
    r2 = MFRC522(ReplaySPI(rec), NoPin())
    r2._reload = r._reload
    micropython.heap_lock()
    try:
        u = r2.poll()
    finally:
        micropython.heap_unlock()
        time.sleep_us = shim_sleep
    return u
"""


def test_poll_allocates_nothing(driver):
    driver.exec(REPLAY)
    # empty field
    out = driver.exec("r.poll(); twin.spi_trace(True); r.poll(); rec = twin.spi_trace(False); "
                      "print(replayed_poll(rec))")
    assert out.strip() == "None"
    # a 4-byte and a 7-byte card: full anticollision and SELECT with CRC checks
    for uid in ("DEADBEEF", "04112233445566"):
        place(driver, uid)
        out = driver.exec("twin.spi_trace(True); r.poll(); rec = twin.spi_trace(False); r.halt(); "
                          "print(bytes(replayed_poll(rec)).hex())")
        assert out.strip() == uid.lower()
        driver.twin.bench("reader.remove", card=uid)
