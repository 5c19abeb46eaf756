"""`make demo`: the main job end to end on the embedded defaults.

Today: build a door-node image, boot a twin from it, show its boot banner,
list its files with mpremote, drive the relay through the firmware and show
the bench timeline. Later issues extend the story (cards, the district server,
log sync).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from host_tools.transport import NodeTransport
from hw.twin.bench_client import BenchClient
from hw.twin.launcher import Twin
from provisioning.flash_image import NodeConfig, build_image, write_image

ROOT = Path(__file__).resolve().parent.parent
console = Console()


def step(text: str) -> None:
    console.print(f"\n[bold cyan]==>[/] [bold]{text}[/]")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="doorctl-demo-") as tmp:
        image_path = Path(tmp) / "door-0001.bin"
        step("Build a 4 MB flash image for node door-0001 (ESP32_GENERIC layout, littlefs vfs at 0x200000)")
        t0 = time.monotonic()
        write_image(image_path, build_image(ROOT / "firmware", NodeConfig(node_id="door-0001", door_id=1)))
        console.print(f"  {image_path.name}: {image_path.stat().st_size // 1024} KiB in {time.monotonic() - t0:.2f} s")

        step("Boot a hardware twin from the image (MicroPython unix port, 128 KiB heap)")
        t0 = time.monotonic()
        twin = Twin(image_path).start()
        try:
            twin.wait_console(b"doornode ", 5)
            console.print(f"  booted in {time.monotonic() - t0:.2f} s; REPL at [green]{twin.url}[/], "
                          f"bench at 127.0.0.1:{twin.bench_port}")
            for line in twin.console_text().splitlines():
                if line.startswith(("rst:", "doornode ")):
                    console.print(f"  [dim]console:[/] {line}")
            run_story(twin)
        finally:
            twin.stop()
    console.print("\n[bold green]demo finished[/]")
    return 0


def run_story(twin: Twin) -> None:
    step(f"List the node's files with unmodified mpremote (mpremote connect {twin.url} fs ls)")
    mpremote = Path(sys.executable).with_name("mpremote")
    out = subprocess.run([str(mpremote), "connect", twin.url, "fs", "ls"], capture_output=True, text=True,
                         timeout=30)
    for line in out.stdout.splitlines():
        console.print(f"  {line}")

    with BenchClient(twin.bench_port) as bench, NodeTransport.connect(twin.url) as node:
        from host_tools.commands import node_info
        info = node_info(node)
        console.print(f"  node_info(): {info}")
        step("Drive the relay through the firmware's board file, then read the bench timeline")
        node.exec("from doornode import board\nimport time\nb = board.load('twin')\n"
                  "b.relay.on(); time.sleep_ms(250); b.relay.off()\n"
                  "b.led_green.on(); time.sleep_ms(100); b.led_green.off()")
        events = bench.poll_timeline()
        table = Table("t (ms)", "event", "detail")
        t0 = next((e["t"] for e in events if e["kind"] == "out"), events[0]["t"] if events else 0)
        for ev in events:
            detail = {k: v for k, v in ev.items() if k not in ("t", "kind")}
            table.add_row(f"{(ev['t'] - t0) * 1000:8.1f}", ev["kind"], str(detail))
        console.print(table)
        pulses = [e for e in events if e["kind"] == "out" and e["name"] == "relay"]
        if len(pulses) >= 2:
            console.print(f"  relay pulse: {(pulses[1]['t'] - pulses[0]['t']) * 1000:.0f} ms")


if __name__ == "__main__":
    sys.exit(main())
