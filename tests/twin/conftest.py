"""The twin's own tests run a bare firmware: the door node's banner, then the REPL.

The door firmware's main loop arms the watchdog (a board then resets when left at
the REPL); the twin's REPL, flash and bench tests need a node that just boots.
"""
import pytest

from provisioning.flash_image import NodeConfig, build_image
from tests.conftest import copy_firmware

BARE_MAIN = """\
# Bare node for the twin's tests: the banner, then the REPL (no door loop, no watchdog).
from doornode import app, node_config
print(app.banner(node_config.load()))
"""


@pytest.fixture(scope="session")
def bare_firmware(tmp_path_factory):
    fw = copy_firmware(tmp_path_factory.mktemp("bare"))
    (fw / "main.py").write_text(BARE_MAIN)
    return fw


@pytest.fixture(scope="session")
def image_bytes(bare_firmware):
    return build_image(bare_firmware, NodeConfig(node_id="door-test-0001"))
