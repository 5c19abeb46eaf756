"""Power cuts at every flash write point of our own write patterns: the image stays mountable
and every file holds either its old or its new content (littlefs's power-loss claims, checked)."""
import time

import pytest

from host_tools.transport import NodeTransport
from hw.twin.launcher import Twin
from provisioning.flash_image import read_image

pytestmark = pytest.mark.bench

OLD = "old-" * 300
NEW = "new-" * 700

# The storage layer's pattern: write a temporary file, then rename it over the old one.
ATOMIC_REPLACE = f"""
with open('/state.tmp', 'w') as f:
    f.write({NEW!r})
import os
os.rename('/state.tmp', '/state')
"""

# A log's pattern: append a record and close.
APPEND = """
with open('/log', 'a') as f:
    f.write('record-2;' * 50)
"""


def _write_points(image_path, action):
    """How many flash write points the action makes (and that, uncut, it completes)."""
    with Twin(image_path) as twin, NodeTransport.connect(twin.url) as node:
        node.exec("import twin")
        before = node.eval("twin.flash_writes()")
        node.exec(action)
        return node.eval("twin.flash_writes()") - before


def _cut_during(twin, action, cut_at, tear):
    with NodeTransport.connect(twin.url) as node:
        twin.set_flash_fault(cut_at, tear=tear)
        node.raw.exec_raw_no_follow(action)
        deadline = time.monotonic() + 5
        while twin.powered and time.monotonic() < deadline:
            time.sleep(0.005)
        assert not twin.powered, "the power cut did not happen"
        assert any(e["kind"] == "power" and e.get("why") == "flash fault" for e in twin.timeline)
        node.raw.close()


def _boot_after_cut(twin, path):
    """Power on again: the node must mount its flash and boot; returns its files."""
    mark = twin.console_mark()
    twin.power_on()
    assert twin.wait_console(b"doornode ", 5, since=mark), twin.console_text()[-500:]
    return read_image(path).files()


@pytest.mark.parametrize("tear", [False, True], ids=["cut", "torn-write"])
def test_atomic_replace_survives_a_cut_at_every_write_point(tmp_path, base_image_with, tear):
    base = base_image_with({"state": OLD})
    points = _write_points(base, ATOMIC_REPLACE)
    assert read_image(base).files()["state"].decode() == NEW       # uncut, the new state is there
    assert points >= 3
    for n in range(1, points + 1):
        path = base_image_with({"state": OLD}, name=f"cut{n}.bin")
        with Twin(path) as twin:
            _cut_during(twin, ATOMIC_REPLACE, n, tear)
            files = _boot_after_cut(twin, path)
        assert files["state"].decode() in (OLD, NEW), f"cut at write point {n}: state is damaged"


def test_append_survives_a_torn_write_at_every_write_point(base_image_with):
    old, new = "record-1;" * 50, "record-1;" * 50 + "record-2;" * 50
    base = base_image_with({"log": old})
    points = _write_points(base, APPEND)
    assert read_image(base).files()["log"].decode() == new
    for n in range(1, points + 1):
        path = base_image_with({"log": old}, name=f"cut{n}.bin")
        with Twin(path) as twin:
            _cut_during(twin, APPEND, n, tear=True)
            files = _boot_after_cut(twin, path)
        assert files["log"].decode() in (old, new), f"cut at write point {n}: log is damaged"


@pytest.fixture
def base_image_with(tmp_path, bare_firmware):
    """Images of the bare firmware with extra files (built once per content)."""
    from provisioning.flash_image import NodeConfig, build_image
    cache = {}

    def make(files, name="base.bin"):
        key = tuple(sorted(files.items()))
        if key not in cache:
            cache[key] = build_image(bare_firmware, NodeConfig(node_id="door-test-0001"),
                                     extra_files={k: v.encode() for k, v in files.items()})
        path = tmp_path / name
        path.write_bytes(cache[key])
        return path
    return make
