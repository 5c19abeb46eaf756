"""Twin figures: start-up to REPL-ready, mpremote `fs cp` throughput, heap after boot.

    .venv/bin/python bench/bench_twin.py [--quick]

Prints figures; never fails on timing. `--quick` copies 20 KB instead of 100 KB.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from host_tools.transport import NodeTransport  # noqa: E402
from hw.twin.launcher import Twin  # noqa: E402
from provisioning.flash_image import NodeConfig, build_image  # noqa: E402

MPREMOTE = str(Path(sys.executable).with_name("mpremote"))
BARE_MAIN = "from doornode import app, node_config\nprint(app.banner(node_config.load()))\n"


def bare_image(tmp: Path) -> bytes:
    import shutil
    fw = tmp / "fw"
    shutil.copytree(ROOT / "firmware", fw, ignore=shutil.ignore_patterns("__pycache__"))
    (fw / "main.py").write_text(BARE_MAIN)
    return build_image(fw, NodeConfig(node_id="bench-0001"))


def start_to_repl(image: Path, runs: int = 10) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        twin = Twin(image).start()
        try:
            with NodeTransport.connect(twin.url) as node:
                node.eval("1")
            times.append(time.perf_counter() - t0)
        finally:
            twin.stop()
    return times


def fs_cp(image: Path, size: int, baud: int | None, tmp: Path) -> tuple[float, float]:
    import random
    data = random.Random(7).randbytes(size)     # incompressible: mpremote may compress what it can
    src = tmp / "blob.bin"
    src.write_bytes(data)
    back = tmp / "back.bin"
    with Twin(image, baud=baud) as twin:
        t0 = time.perf_counter()
        subprocess.run([MPREMOTE, "connect", twin.url, "fs", "cp", str(src), ":blob.bin"], check=True,
                       capture_output=True, timeout=600)
        up = time.perf_counter() - t0
        t0 = time.perf_counter()
        subprocess.run([MPREMOTE, "connect", twin.url, "fs", "cp", ":blob.bin", str(back)], check=True,
                       capture_output=True, timeout=600)
        down = time.perf_counter() - t0
    if back.read_bytes() != data:
        raise SystemExit("copy came back different")
    return len(data) / up, len(data) / down


def heap_after_boot(image: Path) -> dict:
    with Twin(image) as twin:
        twin.wait_console(b"doornode ", 5)
        with NodeTransport.connect(twin.url) as node:
            node.exec("import gc, world\ngc.collect()")
            return {"free": node.eval("gc.mem_free()"), "twin_modules": node.eval("world.twin_heap_used")}


def main() -> None:
    quick = "--quick" in sys.argv
    size = 20_000 if quick else 100_000
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        image = tmp / "node.bin"
        image.write_bytes(bare_image(tmp))
        times = start_to_repl(image, 5 if quick else 10)
        print(f"twin start to REPL-ready: median {statistics.median(times) * 1000:.0f} ms, "
              f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms over {len(times)} runs")
        heap = heap_after_boot(image)
        print(f"heap free after boot under the 128 KiB heap: {heap['free']} bytes "
              f"({heap['free'] / 1024:.1f} KiB); the twin's own modules use {heap['twin_modules'] / 1024:.1f} KiB "
              "outside that budget")
        door = tmp / "door.bin"
        door.write_bytes(build_image(ROOT / "firmware", NodeConfig(node_id="bench-0002")))
        with Twin(door) as twin:
            twin.wait_console(b"doornode ", 5)
            time.sleep(0.5)
            with NodeTransport.connect(twin.url) as node:
                node.exec("import gc\ngc.collect()")
                print(f"heap free with the door firmware loaded (main loop interrupted): "
                      f"{node.eval('gc.mem_free()')} bytes")
        pristine = image.read_bytes()
        for baud in (None, 115200):
            image.write_bytes(pristine)       # a fresh flash: mpremote skips files already there
            up, down = fs_cp(image, size, baud, tmp)
            line = f"at {baud} baud (line rate {baud / 10:.0f} B/s)" if baud else "unthrottled"
            frac = (lambda r: f", {r / (baud / 10) * 100:.0f} % of the line rate") if baud else (lambda r: "")
            print(f"mpremote fs cp {size // 1000} KB {line}: host->node {up / 1000:.1f} KB/s{frac(up)}, "
                  f"node->host {down / 1000:.1f} KB/s{frac(down)}")


if __name__ == "__main__":
    main()
