"""Fixtures for the event log: a provisioned twin (door keys and log key in its image)."""
from __future__ import annotations

import time

import pytest

from host_tools.node_service import NodeService
from host_tools.transport import NodeTransport
from hw.twin.launcher import Twin
from provisioning.flash_image import NodeConfig, build_image
from provisioning.keys import door_node_keys
from provisioning.log_keys import node_log_files
from tests.conftest import FIRMWARE

ROOT = bytes(range(32))          # the test district's root (never used for real)
DOOR = 7
SITE = 1


def provisioned_image(segments: int | None = None, door: int = DOOR, log_key: bool = True) -> bytes:
    files = {"keys.json": door_node_keys(ROOT, door, SITE).to_bytes()}
    if log_key:
        files.update(node_log_files(ROOT, door))
    settings = {"app": {"autostart": False}}
    if segments:
        settings["log"] = {"segments": segments}
    return build_image(FIRMWARE, NodeConfig(node_id=f"door-{door:04d}", door_id=door, settings=settings),
                       extra_files=files, compile_mpy=True)


@pytest.fixture(scope="session")
def log_image_bytes():
    return provisioned_image()


@pytest.fixture
def log_twin(tmp_path, log_image_bytes):
    path = tmp_path / "node.bin"
    path.write_bytes(log_image_bytes)
    with Twin(path) as t:
        yield t


def connect(twin, reset: bool = True) -> NodeTransport:
    # Let the twin see the last connection close first: it keys clients by file
    # descriptor, and the new socket may reuse the old one's number.
    time.sleep(0.05)
    node = NodeTransport.connect(twin.url)
    if reset:
        node.soft_reset()            # a clean heap, the door loop stopped
    return node


NODE_SETUP = ("from doornode import maintenance_service as m, event_record as er, event_log_read as rd\n"
              "import twin\nlg = m.log()\n")


def setup_node(node):
    node.exec(NODE_SETUP)


def append(node, n: int, card0: int = 1000, etype: int = 2) -> None:
    node.exec(f"for i in range({n}): lg.append({etype}, 0, {card0} + i, 0)", timeout=60)


def wait_unpowered(twin, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not twin.powered:
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def service(log_twin):
    node = connect(log_twin)
    try:
        yield NodeService(node), log_twin
    finally:
        node.close()


# ------------------------------------------------------------ district server side
def district_image(autostart: bool = False) -> bytes:
    """A door node of the test district (tests/server's root), door 1: the first door the
    server's test world creates. autostart: the door loop runs (with its watchdog)."""
    from tests.server.district_world import ROOT_SECRET
    files = {"keys.json": door_node_keys(ROOT_SECRET, 1, SITE).to_bytes()}
    files.update(node_log_files(ROOT_SECRET, 1))
    return build_image(FIRMWARE, NodeConfig(node_id="door-0001", door_id=1,
                                            settings={"app": {"autostart": autostart}, "log": {"segments": 8}}),
                       extra_files=files, compile_mpy=True)


@pytest.fixture(scope="session")
def district_image_bytes():
    return district_image()


@pytest.fixture
def district_twin(tmp_path, district_image_bytes):
    path = tmp_path / "door1.bin"
    path.write_bytes(district_image_bytes)
    with Twin(path) as t:
        yield t


@pytest.fixture
def district(tmp_path):
    """(app, world, live server) on SQLite; the world's first door is door 1."""
    from server.app import create_app
    from tests.server.district_world import ROOT_SECRET, SERVER_SECRET, World
    from .live_server import LiveServer
    app = create_app(f"sqlite:///{tmp_path}/district.sqlite3", secret=SERVER_SECRET, root_secret=ROOT_SECRET)
    world = World(app).build()
    assert world.doors_a[0] == 1
    server = LiveServer(app).start()
    try:
        yield app, world, server
    finally:
        server.stop()
        app.state.context.engine.dispose()
