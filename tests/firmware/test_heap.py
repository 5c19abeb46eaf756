"""The door loop's heap high-water mark on the twin's 128 KiB heap."""
import time

import pytest

from .conftest import events, wait_event

pytestmark = pytest.mark.bench


def test_heap_high_water_mark_leaves_room(door_node):
    twin = door_node(door={"relay_pulse_s": 1}, app={"heap_report_s": 1}, cards=["deadbeef"])
    for i in range(6):                                        # taps, refusals, exit, door
        uid = "DEADBEEF" if i % 2 else "1122334%d" % i
        twin.bench("reader.place", type="classic1k", uid=uid)
        time.sleep(0.25)
        twin.bench("reader.remove", card=uid)
    twin.set_input("exit_button", True)
    twin.set_input("door_contact", True)
    time.sleep(0.3)
    twin.set_input("exit_button", False)
    twin.set_input("door_contact", False)
    time.sleep(1.2)
    reports = events(twin, "heap")
    assert reports, twin.console_text()[-800:]
    live_peak = twin.heap - min(r["min_live_free"] for r in reports)
    with_garbage = twin.heap - min(r["min_free"] for r in reports)
    print("heap high-water mark: live %d, with 500 ms of garbage %d, of %d bytes"
          % (live_peak, with_garbage, twin.heap))
    # On the twin the card models and bench messages live in the node's heap too, so this is
    # an upper bound of the firmware's own figure. Room to spare: at least 24 KiB stay free.
    assert live_peak < twin.heap - 24 * 1024
    assert with_garbage < twin.heap                            # and the loop never ran out
