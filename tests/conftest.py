"""Fixtures for the whole suite: fresh flash images, running twins, the bench, a node transport.

`pytest --board /dev/ttyUSB0` runs the hardware tests on a real node instead of
the twin: tests that need the bench (inputs, power and flash faults) are marked
`bench` and are skipped there with the reason printed.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from host_tools.transport import NodeTransport
from hw.twin.bench_client import BenchClient
from hw.twin.launcher import Twin
from provisioning.flash_image import NodeConfig, build_image

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"


def pytest_addoption(parser):
    parser.addoption("--board", default=None, metavar="PORT",
                     help="run the hardware tests on the door node at PORT instead of a twin")


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--board"):
        return
    skip = pytest.mark.skip(reason="needs the twin's bench (inputs, outputs, power and flash faults); "
                                   "on a real board the bench is a person or a fixture")
    for item in items:
        if "bench" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def board_port(request):
    return request.config.getoption("--board")


@pytest.fixture(scope="session")
def image_bytes():
    """A door-node image built once per session from firmware/ (4 MB)."""
    return build_image(FIRMWARE, NodeConfig(node_id="door-test-0001"))


@pytest.fixture
def image_path(tmp_path, image_bytes):
    """A fresh copy of the image: each test's flash starts as provisioned."""
    path = tmp_path / "node.bin"
    path.write_bytes(image_bytes)
    return path


@pytest.fixture
def twin(image_path):
    with Twin(image_path) as t:
        yield t


@pytest.fixture
def bench(twin):
    with BenchClient(twin.bench_port) as client:
        yield client


@pytest.fixture
def node(request, board_port):
    """A transport to the node under test: a fresh twin, or the board given with --board."""
    if board_port:
        with NodeTransport.connect(board_port) as n:
            yield n
        return
    twin = request.getfixturevalue("twin")
    with NodeTransport.connect(twin.url) as n:
        yield n


def build_twin_image(tmp_path: Path, firmware_dir: Path = FIRMWARE, **config) -> Path:
    """An image from a modified copy of the firmware (tests that change a file)."""
    cfg = NodeConfig(node_id=config.pop("node_id", "door-test-0002"), **config)
    path = tmp_path / "custom.bin"
    path.write_bytes(build_image(firmware_dir, cfg))
    return path


def copy_firmware(tmp_path: Path) -> Path:
    dest = tmp_path / "firmware"
    shutil.copytree(FIRMWARE, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest
