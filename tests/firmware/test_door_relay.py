"""Grant and deny: relay pulse length, tap-to-relay latency, fail-safe locks, LED/buzzer."""
import time

import pytest

from .conftest import events, outputs, wait_event, wait_output

pytestmark = pytest.mark.bench

POLL_MS = 50


def test_grant_pulses_relay_for_the_configured_time(door_node):
    twin = door_node(door={"relay_pulse_s": 1}, app={"poll_ms": POLL_MS}, cards=["deadbeef"])
    t0 = time.time()
    twin.bench("reader.place", type="classic1k", uid="DEADBEEF")
    on = wait_output(twin, "relay", 1, since_t=t0)
    off = wait_output(twin, "relay", 0, timeout=3, since_t=on)
    assert on is not None and off is not None
    assert on - t0 < 0.5                                     # tap to relay (twin, bench clock)
    assert abs((off - on) - 1.0) <= POLL_MS / 1000           # within one poll period of the setting
    assert wait_event(twin, "grant", card="deadbeef")
    assert wait_output(twin, "buzzer", 1, since_t=t0)        # grant beep
    assert wait_output(twin, "led_green", 1, since_t=t0)


def test_unknown_card_is_denied_and_relay_stays(door_node):
    twin = door_node(door={"relay_pulse_s": 1}, cards=["deadbeef"])
    t0 = time.time()
    twin.bench("reader.place", type="classic1k", uid="11223344")
    ev = wait_event(twin, "deny")
    assert ev["card"] == "11223344" and ev["reason"] == "unknown card"
    assert wait_output(twin, "led_red", 1, since_t=t0)
    time.sleep(0.3)
    assert outputs(twin, "relay", t0) == []


def test_card_left_on_reader_is_one_event(door_node):
    twin = door_node(door={"relay_pulse_s": 1}, cards=["deadbeef"])
    twin.bench("reader.place", type="classic1k", uid="DEADBEEF")
    assert wait_event(twin, "grant")
    time.sleep(2.5)
    assert len(events(twin, "grant")) == 1
    twin.bench("reader.remove", card="DEADBEEF")
    time.sleep(0.2)
    twin.bench("reader.place", card="DEADBEEF")              # a second tap, after repeat_ms
    deadline = time.monotonic() + 3
    while len(events(twin, "grant")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(events(twin, "grant")) == 2


def test_fail_safe_lock_is_powered_while_locked(door_node):
    twin = door_node(door={"relay_pulse_s": 1, "lock": "fail_safe"}, cards=["deadbeef"])
    assert twin.outputs["relay"] == 1                         # magnetic lock held
    t0 = time.time()
    twin.bench("reader.place", type="classic1k", uid="DEADBEEF")
    released = wait_output(twin, "relay", 0, since_t=t0)
    held = wait_output(twin, "relay", 1, timeout=3, since_t=released)
    assert released and held and abs((held - released) - 1.0) <= POLL_MS / 1000


def test_seven_byte_and_ultralight_cards_open(door_node):
    twin = door_node(door={"relay_pulse_s": 1}, cards=["04112233445566", "04aabbccddeeff"])
    twin.bench("reader.place", type="classic1k", uid="04112233445566")
    assert wait_event(twin, "grant", card="04112233445566")
    twin.bench("reader.place", type="ultralight", uid="04AABBCCDDEEFF")
    assert wait_event(twin, "grant", card="04aabbccddeeff")
