"""A reader that hangs comes back by itself; the door keeps working meanwhile."""
import time

import pytest

from .conftest import events, wait_event, wait_output

pytestmark = pytest.mark.bench


@pytest.mark.parametrize("mode", ["version0", "stuck"])
def test_hung_reader_recovers_with_fault_raised_and_cleared(door_node, mode):
    twin = door_node(door={"relay_pulse_s": 1}, cards=["deadbeef"])
    t0 = time.monotonic()
    twin.bench("reader.fault", set="hang", mode=mode)
    fault = wait_event(twin, "reader_fault", timeout=3)
    ok = wait_event(twin, "reader_ok", timeout=3)
    assert fault and ok and ok["seq"] > fault["seq"]
    assert ok["ms"] - fault["ms"] < 3000 and time.monotonic() - t0 < 3
    assert wait_event(twin, "alarm", name="reader_fault")
    twin.bench("reader.place", type="classic1k", uid="DEADBEEF")   # reads again
    assert wait_event(twin, "grant", timeout=3)


def test_reader_that_loses_its_configuration_is_reinitialised(door_node):
    twin = door_node(cards=["deadbeef"], app={"reader_check_ms": 200})
    twin.bench("reader.version", value=0x92)
    # A brown-out of the reader alone: its registers go back to reset values.
    twin.bench("reader.fault", set="hang", mode="version0")
    assert wait_event(twin, "reader_ok", timeout=3)


def test_exit_button_works_while_the_reader_is_dead(door_node):
    twin = door_node(door={"relay_pulse_s": 1}, app={"reader_retry_ms": 200})
    twin.bench("reader.version", value=0x00)                # no MFRC522 answers any more
    twin.bench("reader.fault", set="hang", mode="version0")
    assert wait_event(twin, "reader_fault", timeout=3)
    t0 = time.time()
    twin.set_input("exit_button", True)
    on = wait_output(twin, "relay", 1, since_t=t0)
    twin.set_input("exit_button", False)
    assert on and on - t0 < 0.3
    assert events(twin, "reader_ok") == []
