"""Reader driver figures on the twin: SPI transactions and bytes per empty poll and per full read
(4-byte UID Classic: UID + authenticate + read one block), next to a driver written the way the
common MicroPython MFRC522 drivers are (bench/common_mfrc522.py); tap-to-relay latency and heap
of the door firmware. Prints figures, never fails on them.

    .venv/bin/python bench/bench_reader_driver.py
"""
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from host_tools.transport import NodeTransport  # noqa: E402
from hw.twin.launcher import Twin  # noqa: E402
from tests.firmware.conftest import DRIVER_SETUP, REAL_TIME_SLEEPS, events, image_for  # noqa: E402

OURS = """
import gc, time
def empty():
    r.init()                               # the chip is shared with the common driver
    r.poll(); twin.spi_stats(True); r.poll(); return twin.spi_stats(True)
def full():
    r.init()
    r.poll(); r.halt()
    twin.spi_stats(True)
    u = r.poll(wake=True); r.authenticate(KEY_A, 4, b'\\xff' * 6); r.read(4); r.halt()
    return twin.spi_stats(True)
"""

COMMON = """
from common_mfrc522 import CommonMFRC522
c = CommonMFRC522(spi, cs, rst)
def empty_common():
    c.init()
    c.request(); twin.spi_stats(True); c.request(); return twin.spi_stats(True)
def full_common():
    c.init()
    c.request(); c.anticoll(); c.halt()     # card powered and halted, as for ours
    twin.spi_stats(True)
    ok = c.request(0x52); ser = c.anticoll(); c.select_tag(ser)
    c.auth(0x60, 4, [0xff] * 6, ser); data = c.read(4); c.halt(); c.stop_crypto1()
    s = twin.spi_stats(True)
    return s if data is not None else None
def timed(fn):
    t = time.ticks_us(); fn(); return time.ticks_diff(time.ticks_us(), t)
"""

ALLOC = """
import gc
def alloc(fn):
    gc.collect(); gc.disable(); a = gc.mem_alloc()
    try:
        fn()
    except MemoryError:
        gc.enable(); return -gc.mem_free()         # ran through all free heap
    b = gc.mem_alloc(); gc.enable()
    return b - a
"""


def driver_figures(real_time_sleeps):
    with tempfile.TemporaryDirectory() as tmp:
        twin = Twin(image_for(Path(tmp), "bench", app={"autostart": False})).start()
        twin.wait_console(b"event {", 5)           # booted to the REPL
        try:
            with NodeTransport.connect(twin.url) as node:
                time.sleep(0.5)
                node.write_file("common_mfrc522.py", (ROOT / "bench" / "common_mfrc522.py").read_bytes())
                node.exec(DRIVER_SETUP + OURS + COMMON + ALLOC)
                if real_time_sleeps:
                    node.exec(REAL_TIME_SLEEPS)
                e_ours, e_common = node.eval("empty()"), node.eval("empty_common()")
                node.exec("r.init()")
                a_ours = node.eval("alloc(r.poll)")
                node.exec("c.init()")
                a_common = node.eval("alloc(c.request)")
                twin.bench("reader.place", type="classic1k", uid="DEADBEEF")
                f_ours, f_common = node.eval("full()"), node.eval("full_common()")
                t_ours, t_common = node.eval("timed(full)"), node.eval("timed(full_common)")
                ours, common = (e_ours, f_ours), (e_common, f_common)
                return ours, common, (t_ours, t_common), (a_ours, a_common)
        finally:
            twin.stop()


def door_figures():
    with tempfile.TemporaryDirectory() as tmp:
        image = image_for(Path(tmp), "door", door={"relay_pulse_s": 1}, app={"heap_report_s": 1},
                          cards=["deadbeef"])
        twin = Twin(image).start()
        try:
            time.sleep(1.0)
            lat = []
            for i in range(5):
                t0 = time.time()
                twin.bench("reader.place", type="classic1k", uid="DEADBEEF") if i == 0 else \
                    twin.bench("reader.place", card="DEADBEEF")
                deadline = time.monotonic() + 3
                while time.monotonic() < deadline:
                    on = [e["t"] for e in list(twin.timeline) if e["kind"] == "out" and e["name"] == "relay"
                          and e["level"] == 1 and e["t"] >= t0]
                    if on:
                        lat.append((on[0] - t0) * 1000)
                        break
                    time.sleep(0.002)
                time.sleep(1.2)
                twin.bench("reader.remove", card="DEADBEEF")
                time.sleep(1.6)            # past repeat_ms
            heap = events(twin, "heap")
            return lat, heap[-1] if heap else None, twin.heap
        finally:
            twin.stop()


def main():
    print("MFRC522 driver on the twin (4-byte UID MIFARE Classic 1K)")
    for real in (True,):
        ours, common, times, allocs = driver_figures(real)
        print("  %-44s %12s %12s" % ("", "doornode", "common"))
        print("  %-44s %12d %12d" % ("empty poll: SPI transactions", ours[0]["transactions"],
                                    common[0]["transactions"]))
        print("  %-44s %12d %12d" % ("empty poll: SPI bytes", ours[0]["bytes"], common[0]["bytes"]))
        print("  %-44s %12d %12d" % ("full read: SPI transactions", ours[1]["transactions"],
                                    common[1]["transactions"]))
        print("  %-44s %12d %12d" % ("full read: SPI bytes", ours[1]["bytes"], common[1]["bytes"]))
        print("  %-44s %12.1f %12.1f" % ("full read incl. init: twin wall time, ms", times[0] / 1000,
                                        times[1] / 1000))
        print("  %-44s %12s %12s" % ("heap bytes per empty poll (incl. twin shim)", allocs[0],
                                    allocs[1] if allocs[1] >= 0 else "> all free"))
    lat, heap, size = door_figures()
    print("\nDoor firmware on the twin")
    print("  tap-to-relay latency, ms (5 taps, poll 50 ms): median %.1f, max %.1f"
          % (statistics.median(lat), max(lat)) if lat else "  no relay seen")
    if heap:
        print("  heap (node heap %d): free %d, lowest free after collect %d (live peak %d), "
              "lowest free before collect %d" % (size, heap["free"], heap["min_live_free"],
                                                 size - heap["min_live_free"], heap["min_free"]))


if __name__ == "__main__":
    main()
