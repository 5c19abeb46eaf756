"""What the genuine-card check adds to a tap, on the twin: SPI transactions, virtual (air +
bus) time, host time and heap, for each path of the decision.

    .venv/bin/python bench/bench_genuine_check.py

Baseline "UID only" = poll + HLTA (what the provisional UID list needed). Each other row is
one full decision (doornode.credential_check.CardCheck.authorize) + the loop's HLTA, with the
twin's chip clock running during sleeps (as tests/firmware REAL_TIME_SLEEPS) so transaction
counts are a board's. Virtual time is the MFRC522 model's clock (air times, timeouts, 58 us
per SPI transaction at 1 MHz); host time is this machine's CPU (an ESP32 at 240 MHz runs the
bytecode roughly 10-30x slower: AES/HMAC are C in both).
"""
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from host_tools.card_command import write_card  # noqa: E402
from host_tools.transport import NodeTransport  # noqa: E402
from hw.twin.launcher import Twin  # noqa: E402
from provisioning.cardlist import CardListEntry  # noqa: E402
from provisioning.keys import enrolment_keys  # noqa: E402
from tests.genuine.conftest import (CHECK_SETUP, ROOT as DISTRICT, SITE, VALID_FROM,  # noqa: E402
                                    clone_memory, node_image)

REPS = 20
MEASURE = """
import time, gc
_chip = twin.device("reader")
_sleep_us = time.sleep_us
def _sleep_us_chip(us):
    _chip.advance_us(us)
    _sleep_us(us)
time.sleep_us = _sleep_us_chip
def measure(decide, reps):
    tr = 0; host = 0; virt = 0; heap = 0; res = None
    for _ in range(reps):
        _r.poll(wake=True) or _r.poll(wake=True)     # not counted: every tap polls
        _r.halt()
        gc.collect()
        twin.spi_stats(True)
        v0 = _chip._now
        f0 = gc.mem_free()
        t0 = time.ticks_us()
        uid = _r.poll(wake=True) or _r.poll(wake=True)
        if decide:
            res = chk.authorize(Card(bytes(uid), _r.sak, _r.atqa, _r))
        _r.halt()
        host += time.ticks_diff(time.ticks_us(), t0)
        heap += f0 - gc.mem_free()
        s = twin.spi_stats()
        tr += s["transactions"]
        virt += (_chip._now - v0) * 100 // 1356      # 13.56 MHz carrier cycles -> us
    return [tr // reps, host // reps, virt // reps, heap // reps, res]
"""


def main():
    tmp = Path(tempfile.mkdtemp())
    rows = []
    for rolling in (False, True):
        keys = enrolment_keys(DISTRICT, SITE, rolling_counter=rolling)
        enrol = Twin(node_image(tmp / "enrol.bin", keys=None, door_loop=False)).start()
        door = Twin(node_image(tmp / "door.bin", cards=[CardListEntry(4242, 1)], door_loop=False,
                               rolling=rolling)).start()
        d = NodeTransport.connect(door.url)
        try:
            d.exec(CHECK_SETUP, timeout=30)       # first, while the node's heap is fresh
            d.exec("import twin\n" + MEASURE, timeout=30)
            enrol.bench("reader.place", type="classic1k", uid="DEADBEEF")
            with NodeTransport.connect(enrol.url) as n:
                write_card(n, keys, 4242, 1, VALID_FROM)
            card = tmp / "card.json"
            enrol.bench("reader.save_card", card="DEADBEEF", path=str(card))
            clone = clone_memory(enrol, "DEADBEEF", tmp, "gen1a", "gen1a")
            cases = [("UID only (poll + HLTA)", card, False), ("genuine card, granted", card, True)]
            if not rolling:
                cases += [("blank card (transport keys)", {"type": "classic1k", "uid": "01020304"}, True),
                          ("UID-only gen1a copy", {"type": "classic1k", "uid": "DEADBEEF", "magic": "gen1a"}, True),
                          ("1:1 gen1a copy", clone, True)]
            if True:
                for name, c, decide in cases:
                    door.bench("reader.remove", all=True)
                    if isinstance(c, Path):
                        door.bench("reader.place", file=str(c))
                    else:
                        door.bench("reader.place", **c)
                    reps = 3 if rolling and decide else REPS
                    tr, host, virt, heap, res = d.eval(f"measure({decide}, {reps})", timeout=120)
                    rows.append({"case": name + (" + rolling counter" if rolling and decide else ""),
                                 "spi_transactions": tr, "host_us": host, "virtual_us": virt,
                                 "heap_bytes": heap, "decision": res})
        finally:
            d.close()
            enrol.stop()
            door.stop()
    print(f"{'case':<48} {'SPI tx':>7} {'virt ms':>8} {'host ms':>8} {'heap B':>7}  decision")
    for r in rows:
        print(f"{r['case']:<48} {r['spi_transactions']:>7} {r['virtual_us'] / 1000:>8.1f} "
              f"{r['host_us'] / 1000:>8.2f} {r['heap_bytes']:>7}  {r['decision']}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
