"""Card list on the node: lookup time and heap at 1,000 / 10,000 / 100,000 entries, and
verify + install time of a 100,000-entry list, on the MicroPython interpreter (128 KB heap).

    .venv/bin/python bench/bench_cardlist.py

The twin's CPU is the host's, so times are for comparison between runs and list sizes,
not ESP32 figures (an ESP32 at 240 MHz is roughly 10-30x slower for this bytecode; its
flash reads are slower too). Heap figures are the interpreter's own and carry over.
Targets (issue 5): lookup < 2 ms at 100,000 entries with < 4 KB heap, independent of size.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from provisioning.cardlist import CardListEntry, build_card_list  # noqa: E402
from provisioning.keys import door_key  # noqa: E402

MICROPYTHON = ROOT / ".venv" / "bin" / "micropython"
KEY = door_key(bytes(range(32)), 7)  # the test district's root; never used for real
SIZES = (1_000, 10_000, 100_000)
PROBES = 2_000

NODE = """
import sys, gc, json, os, vfs, time
sys.path.insert(0, {firmware!r}); sys.path.insert(0, {helpers!r})
from doornode.cardlist import CardList
from doornode import cardlist_store as store
from flash_with_power_cut import FlashWithPowerCut
KEY = {key!r}
out = {{}}
for n, path in {lists!r}:
    cards = CardList(open(path, "rb"))
    count = cards.header.count
    step = 0x100000000 // {probes}
    gc.collect()
    worst = 0
    t0 = time.ticks_us()
    for i in range({probes}):
        before = gc.mem_alloc()
        if i & 1:
            cards.lookup((i * step) & 0xFFFFFFFF)  # mostly absent: the longest search
        else:
            cards.lookup(1000 + (i * 7919 % n) * (0xFFFF0000 // n))  # listed: returns a tuple
        worst = max(worst, gc.mem_alloc() - before)
        if i % 64 == 0:
            gc.collect()
    t1 = time.ticks_us()
    cards.close()
    out[n] = {{"lookup_us": time.ticks_diff(t1, t0) / {probes}, "heap": worst}}

# verify + install of the largest list into a 2 MB littlefs (ESP32_GENERIC 4 MB layout)
flash = FlashWithPowerCut({img!r}, 512, erase=True)
vfs.VfsLfs2.mkfs(flash)
vfs.mount(vfs.VfsLfs2(flash), "/flash")
t0 = time.ticks_ms()
with open({lists!r}[-1][1], "rb") as s:
    store.receive("/flash", s)
t1 = time.ticks_ms()
version = store.install("/flash", 7, KEY).version
t2 = time.ticks_ms()
st = os.statvfs("/flash")
out["install"] = {{"receive_ms": time.ticks_diff(t1, t0), "verify_install_ms": time.ticks_diff(t2, t1),
                   "flash_writes": flash.writes, "free_bytes": st[0] * st[3]}}
cards = store.open_active("/flash")
gc.collect()
t0 = time.ticks_us()
for i in range({probes}):
    cards.lookup((i * 0x20C49B) & 0xFFFFFFFF)
out["littlefs_lookup_us"] = time.ticks_diff(time.ticks_us(), t0) / {probes}
print(json.dumps(out))
"""


def main():
    with tempfile.TemporaryDirectory() as tmp:
        lists = []
        for n in SIZES:
            path = Path(tmp) / f"list-{n}.bin"
            entries = [CardListEntry(card_id=1000 + i * (0xFFFF0000 // n), issue=i % 3) for i in range(n)]
            path.write_bytes(build_card_list(7, 1, entries, KEY, created=1_750_000_000))
            lists.append((n, str(path)))
        code = NODE.format(firmware=str(ROOT / "firmware"),
                           helpers=str(ROOT / "tests" / "credentials" / "node"),
                           key=KEY, lists=lists, probes=PROBES, img=str(Path(tmp) / "flash.img"))
        proc = subprocess.run([str(MICROPYTHON), "-X", "heapsize=128K", "-c", code],
                              capture_output=True, text=True, timeout=300)
        if proc.returncode:
            sys.exit(f"bench_cardlist: MicroPython failed:\n{proc.stderr}")
        out = json.loads(proc.stdout)
    print("card list on MicroPython (unix port, 128 KB heap), host file system")
    print(f"{'entries':>9} {'file bytes':>11} {'lookup us':>10} {'lookup heap B':>14}")
    for n in SIZES:
        r = out[str(n)]
        print(f"{n:>9,} {32 + 8 * n + 32:>11,} {r['lookup_us']:>10.1f} {r['heap']:>14}")
    i = out["install"]
    print(f"100,000-entry list into a 2 MB littlefs: receive {i['receive_ms']} ms, "
          f"verify + install {i['verify_install_ms']} ms, {i['flash_writes']} flash writes, "
          f"{i['free_bytes']:,} bytes free after")
    print(f"lookup from littlefs at 100,000 entries: {out['littlefs_lookup_us']:.1f} us")


if __name__ == "__main__":
    main()
