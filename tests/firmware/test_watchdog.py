"""The watchdog is fed only while every task makes progress; boot reports the reset reason."""
import pytest

from hw.twin.launcher import Twin

from .conftest import image_for, wait_event

pytestmark = pytest.mark.bench

HUNG_TASK = """
import asyncio
import doornode.app

async def stuck(beat):
    beat()
    await asyncio.sleep_ms(500)
    await asyncio.Event().wait()          # waits forever: never beats again

doornode.app.main(extra_tasks=[("stuck", stuck)])
"""

BLOCKING_TASK = """
import asyncio
import time
import doornode.app

async def blocks(beat):
    beat()
    await asyncio.sleep_ms(500)
    while True:                           # never yields: every task stops
        time.sleep_ms(100)

doornode.app.main(extra_tasks=[("blocks", blocks)])
"""


@pytest.mark.parametrize("main_py", [HUNG_TASK, BLOCKING_TASK], ids=["hung", "blocking"])
def test_a_hung_task_reboots_the_node(tmp_path, main_py):
    image = image_for(tmp_path, "wdt", app={"wdt_ms": 1500}, extra_files={"main.py": main_py.encode()})
    with Twin(image) as twin:
        assert wait_event(twin, "boot", reset="power-on")
        assert twin.wait_console(b"reset=watchdog", timeout=8)
        assert any(e["kind"] == "wdt" for e in twin.timeline)
        if main_py is HUNG_TASK:
            assert wait_event(twin, "task_stalled", task="stuck")


def test_healthy_node_is_not_reset(door_node):
    twin = door_node(app={"wdt_ms": 1500})
    import time
    time.sleep(4)
    assert not any(e["kind"] == "wdt" for e in twin.timeline)
    assert "reset=watchdog" not in twin.console_text()
