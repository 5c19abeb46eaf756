"""Host cost of the twin's MFRC522 model, measured under the real MicroPython unix port.

Prints: median µs per single-register SPI transaction (read, write, FIFO pop; straight into the
model, and through a minimal SPI/Pin stand-in like the twin's shim), and per full
REQA -> anticollision -> select -> auth -> read cycle with a simple driver. Target: < 20 µs per
register access. Figures only, never pass/fail.

    .venv/bin/python bench/bench_reader_model.py
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MICROPYTHON = ROOT / ".venv" / "bin" / "micropython"

SCRIPT = r"""
import time, sys, gc
sys.path.insert(0, %(driver)r)
sys.path.insert(0, %(node)r)
from fakebus import rig, place
from ds_driver import Reader

chip, spi, cs, ev = rig()
place(chip, "classic1k", "DEADBEEF")
ticks_us, diff = time.ticks_us, time.ticks_diff

def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]

def per_access(fn, batches=200, n=100):
    out = []
    for _ in range(batches):
        t = ticks_us()
        fn(n)
        out.append(diff(ticks_us(), t) / n)
    return median(out)

tx_r = b"\xee\x00"; tx_w = b"\x16\x00"; tx_f = b"\x92\x00"; rx = bytearray(2)
sel, xfer, desel = chip.select, chip.transfer, chip.deselect

def direct_read(n):
    for _ in range(n):
        sel(); xfer(tx_r, rx); desel()

def direct_write(n):
    for _ in range(n):
        sel(); xfer(tx_w, None); desel()

def fifo_pop(n):
    cs(0); spi.write(b"\x12" + bytes(min(n, 64))); cs(1)
    for _ in range(n):
        sel(); xfer(tx_f, rx); desel()

def shim_read(n):
    for _ in range(n):
        cs.value(0); spi.write_readinto(tx_r, rx); cs.value(1)

class Counting:
    def __init__(self, chip):
        self.chip = chip; self.n = 0
    def select(self):
        self.n += 1; self.chip.select()

def empty(n):
    for _ in range(n):
        pass

base = per_access(empty)
print("register read, direct     median %%.2f us" %% (per_access(direct_read) - base))
print("register write, direct    median %%.2f us" %% (per_access(direct_write) - base))
print("FIFO byte pop, direct     median %%.2f us" %% (per_access(fifo_pop) - base))
print("register read, SPI+CS stand-in median %%.2f us" %% (per_access(shim_read) - base))

r = Reader(spi, cs)
r.init()
count = [0]
orig = chip.select
def counting_select():
    count[0] += 1
    orig()
cs.chip = type("C", (), {"select": staticmethod(counting_select), "deselect": staticmethod(chip.deselect)})()

def cycle():
    st, _ = r.request(0x52)
    st, uid, sak = r.select()
    r.auth(0x60, 4, b"\xff" * 6, uid)
    st, data = r.read(4)
    r.end_session()
    return st

times = []
v0 = chip._now
for i in range(100):
    t = ticks_us()
    st = cycle()
    times.append(diff(ticks_us(), t))
accesses = count[0] / 100
virt_ms = (chip._now - v0) / 100 / 13560.0
print("full cycle (WUPA, anticoll, select, auth, read, HLTA): median %%.2f ms host, %%d SPI transactions, %%.1f ms virtual, status %%d"
      %% (median(times) / 1000.0, accesses, virt_ms, st))
print("  -> %%.2f us host per transaction in the cycle (incl. the test driver's own Python)" %% (median(times) / accesses))
"""


def main():
    script = SCRIPT % {"driver": str(ROOT / "tests" / "reader" / "mpy"),
                       "node": str(ROOT / "hw" / "twin" / "node")}
    proc = subprocess.run([str(MICROPYTHON), "-X", "heapsize=256K", "-c", script],
                          capture_output=True, text=True, timeout=300)
    sys.stdout.write(proc.stdout)
    if proc.returncode:
        sys.stderr.write(proc.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
