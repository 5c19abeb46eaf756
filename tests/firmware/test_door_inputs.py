"""Exit button, fire alarm, tamper: the door opens from inside, on fire, and reports tamper."""
import time

import pytest

from .conftest import events, outputs, wait_event, wait_output

pytestmark = pytest.mark.bench


def test_exit_button_opens(door_node):
    twin = door_node(door={"relay_pulse_s": 1})
    t0 = time.time()
    twin.set_input("exit_button", True)
    on = wait_output(twin, "relay", 1, since_t=t0)
    twin.set_input("exit_button", False)
    assert on is not None and on - t0 < 0.3
    assert wait_event(twin, "exit")
    off = wait_output(twin, "relay", 0, timeout=3, since_t=on)
    assert off and abs((off - on) - 1.0) < 0.06


def test_exit_button_glitch_is_debounced(door_node):
    twin = door_node(door={"relay_pulse_s": 1}, app={"exit_debounce_ms": 80})
    t0 = time.time()
    twin.set_input("exit_button", True)
    twin.set_input("exit_button", False)                    # far shorter than 80 ms
    time.sleep(0.4)
    assert outputs(twin, "relay", t0) == [] and events(twin, "exit") == []


def test_fire_alarm_opens_and_holds(door_node):
    twin = door_node(door={"relay_pulse_s": 1})
    t0 = time.time()
    twin.set_input("fire_alarm", True)
    assert wait_output(twin, "relay", 1, since_t=t0)
    assert wait_event(twin, "alarm", name="fire")
    time.sleep(2.0)                                          # well past the relay pulse
    assert twin.outputs["relay"] == 1
    twin.set_input("door_contact", True)                     # people leave: no forced-open alarm
    time.sleep(0.2)
    assert events(twin, "alarm", name="forced_open") == []
    twin.set_input("door_contact", False)
    t1 = time.time()
    twin.set_input("fire_alarm", False)
    assert wait_output(twin, "relay", 0, since_t=t1)
    assert wait_event(twin, "alarm_clear", name="fire")


def test_fire_alarm_at_boot_opens(door_node, tmp_path):
    from hw.twin.launcher import Twin
    from .conftest import image_for
    twin = Twin(image_for(tmp_path, "fire")).start()
    try:
        twin.set_input("fire_alarm", True)
        twin.power_cycle()
        assert wait_output(twin, "relay", 1, timeout=3, since_t=time.time() - 0.5)
    finally:
        twin.stop()


def test_tamper_raises_alarm(door_node):
    twin = door_node()
    twin.set_input("tamper", True)
    assert wait_event(twin, "alarm", name="tamper")
    twin.set_input("tamper", False)
    assert wait_event(twin, "alarm_clear", name="tamper")
