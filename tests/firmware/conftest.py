"""Fixtures for the firmware tests: door nodes on twins with chosen settings, driver sessions.

    def test_x(door_node):
        twin = door_node(door={"relay_pulse_s": 1}, cards=["deadbeef"])
        twin.bench("reader.place", type="classic1k", uid="DEADBEEF")
        wait_event(twin, "grant")
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from host_tools.transport import NodeError, NodeTransport, NodeUnreachable
from hw.twin.launcher import Twin
from provisioning.flash_image import NodeConfig, build_image

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware"

# Run on the node before driver work: the reader on the twin's bus, initialised.
DRIVER_SETUP = """
from boards.twin import Board
from doornode.mfrc522 import MFRC522, CardError, KEY_A, KEY_B
import twin
_b = Board()
spi, cs, rst = _b.reader_bus()
r = MFRC522(spi, cs, rst)
r.init()
"""

# The twin's time shim does not let the MFRC522 model's virtual clock run while the firmware
# sleeps (the model only advances per SPI transaction; rc522.MFRC522Chip.advance_us exists for
# this). A real chip's timer runs during sleeps; this patch gives the model the same, so SPI
# transaction counts are those of a board.
REAL_TIME_SLEEPS = """
import time, world
if not hasattr(world, "advance_devices"):      # a twin whose sleeps already advance the devices
    _chip = twin.device("reader")
    _sleep_us = time.sleep_us
    def _sleep_us_chip(us):
        _chip.advance_us(us)
        _sleep_us(us)
    time.sleep_us = _sleep_us_chip
"""


def image_for(tmp_path, name="node", *, compile_mpy=True, cards=(), extra_files=None, **settings):
    files = {"cards.txt": "".join(c + "\n" for c in cards).encode()}
    files.update(extra_files or {})
    # The door's mechanics are tested with the provisional UID list; genuine-card decisions
    # have their own tests (tests/genuine).
    settings["app"] = dict(settings.get("app") or {})
    settings["app"].setdefault("decision", "uid_list")
    cfg = NodeConfig(node_id="door-fw-test", settings=settings)
    path = tmp_path / (name + ".bin")
    path.write_bytes(build_image(FIRMWARE, cfg, compile_mpy=compile_mpy, extra_files=files))
    return path


@pytest.fixture
def door_node(tmp_path):
    """Factory: a twin running the door firmware with the given config sections."""
    twins = []

    def start(image=None, **settings):
        settings.setdefault("app", {})
        cards = settings.pop("cards", ())
        path = image or image_for(tmp_path, "door%d" % len(twins), cards=cards, **settings)
        twin = Twin(path).start()
        twins.append(twin)
        assert wait_event(twin, "boot", timeout=5)
        time.sleep(0.3)                    # the tasks start after the boot event
        return twin

    yield start
    for t in twins:
        t.stop()


@pytest.fixture
def driver(tmp_path):
    """A twin idling at its REPL (autostart off) with an initialised reader `r` on the node."""
    twin = Twin(image_for(tmp_path, "driver", app={"autostart": False})).start()
    twin.wait_console(b"event {", 5)               # booted as far as the REPL
    time.sleep(0.3)
    try:
        node = _connect(twin)
        try:
            node.twin = twin
            yield node
        finally:
            node.close()
    finally:
        twin.stop()


def _connect(twin, tries=4):
    # The first raw paste right after boot is sometimes refused ("could not complete raw
    # paste: b''", a twin bridge issue reported to the lead): try again on a fresh connection.
    # Right after boot the twin sometimes does not enter the raw REPL, or runs the first exec
    # before its ROM has put / on sys.path ("no module named 'boards'"): wait and try again.
    for attempt in range(tries):
        node = None
        try:
            node = NodeTransport.connect(twin.url)
            node.exec(DRIVER_SETUP)
            return node
        except (NodeUnreachable, NodeError):
            if node is not None:
                node.close()
            if attempt == tries - 1:
                raise
            time.sleep(0.5)


def events(twin, kind=None, since=0, **match):
    """Events the node printed on its console (EventSink), optionally of one kind and matching."""
    out = []
    for line in twin.console_text()[since:].splitlines():
        if line.startswith("event {"):
            ev = json.loads(line[6:])
            if (kind is None or ev["kind"] == kind) and all(ev.get(k) == v for k, v in match.items()):
                out.append(ev)
    return out


def wait_event(twin, kind, timeout=5.0, since=0, **match):
    deadline = time.monotonic() + timeout
    while True:
        for ev in events(twin, kind, since):
            if all(ev.get(k) == v for k, v in match.items()):
                return ev
        if time.monotonic() > deadline:
            return None
        time.sleep(0.02)


def outputs(twin, name, since_t=0.0):
    """(t, level) changes of an output on the bench timeline."""
    return [(e["t"], e["level"]) for e in list(twin.timeline)
            if e["kind"] == "out" and e["name"] == name and e["t"] >= since_t]


def wait_output(twin, name, level, timeout=5.0, since_t=0.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for t, lv in outputs(twin, name, since_t):
            if lv == level:
                return t
        time.sleep(0.01)
    return None
