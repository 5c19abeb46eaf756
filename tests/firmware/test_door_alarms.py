"""Held-open and forced-open alarms at their delays, the fifth refusal, latching until reset."""
import time

import pytest

from .conftest import events, wait_event

pytestmark = pytest.mark.bench


def _event_time(twin, kind, **match):
    ev = wait_event(twin, kind, timeout=6, **match)
    assert ev is not None, (kind, match, twin.console_text()[-1500:])
    return ev["ms"]


def test_held_open_alarm_at_configured_delay(door_node):
    twin = door_node(door={"relay_pulse_s": 1, "held_open_s": 2})
    twin.set_input("exit_button", True)
    assert wait_event(twin, "exit")
    twin.set_input("exit_button", False)
    twin.set_input("door_contact", True)
    opened = _event_time(twin, "door_open", authorised=True)
    alarm = _event_time(twin, "alarm", name="held_open")
    assert 2000 <= alarm - opened <= 2000 + 60
    assert events(twin, "alarm", name="forced_open") == []
    twin.set_input("door_contact", False)
    assert wait_event(twin, "alarm_clear", name="held_open")


def test_forced_open_alarm(door_node):
    twin = door_node(door={"relay_pulse_s": 1})
    twin.set_input("door_contact", True)                     # nobody granted, nobody pressed exit
    opened = _event_time(twin, "door_open", authorised=False)
    alarm = _event_time(twin, "alarm", name="forced_open")
    assert alarm - opened <= 60
    twin.set_input("door_contact", False)
    assert wait_event(twin, "alarm_clear", name="forced_open")


def test_door_opened_after_grant_is_not_forced(door_node):
    twin = door_node(door={"relay_pulse_s": 1}, cards=["deadbeef"])
    twin.bench("reader.place", type="classic1k", uid="DEADBEEF")
    assert wait_event(twin, "grant")
    twin.set_input("door_contact", True)
    assert wait_event(twin, "door_open", authorised=True)
    twin.set_input("door_contact", False)
    time.sleep(0.2)
    assert all(e["name"] != "forced_open" for e in events(twin, "alarm"))


def test_fifth_refusal_raises_the_alarm(door_node):
    twin = door_node(cards=["deadbeef"])
    for i in range(5):
        uid = "1122334%d" % i
        twin.bench("reader.place", type="classic1k", uid=uid)
        assert wait_event(twin, "deny", card=uid.lower()), i
        twin.bench("reader.remove", card=uid)
        if i < 4:
            time.sleep(0.1)
            assert events(twin, "alarm", name="refused_cards") == []
    ev = wait_event(twin, "alarm", name="refused_cards")
    assert ev and [e["refusals"] for e in events(twin, "deny")] == [1, 2, 3, 4, 5]


def test_grant_resets_the_refusal_count(door_node):
    twin = door_node(cards=["deadbeef"])
    for i in range(4):
        uid = "1122334%d" % i
        twin.bench("reader.place", type="classic1k", uid=uid)
        assert wait_event(twin, "deny", card=uid.lower())
        twin.bench("reader.remove", card=uid)
    twin.bench("reader.place", type="classic1k", uid="DEADBEEF")
    assert wait_event(twin, "grant")
    twin.bench("reader.remove", card="DEADBEEF")
    twin.bench("reader.place", type="classic1k", uid="99887766")
    assert wait_event(twin, "deny", card="99887766", refusals=1)


def test_alarms_latch_until_reset(driver):
    """The door state machine on the node, driven directly: latch, condition, reset."""
    out = driver.exec("""
from doornode.door import Door, door_settings
from doornode.events import EventSink
class Ind:
    unlocked = latched = sounding = False
    def play(self, name, now): pass
    def alarm(self, name, now): pass
relay = []
sink = EventSink(out=lambda line: None)
d = Door(relay.append, Ind(), sink, door_settings({})[0])
import time
t = time.ticks_add(time.ticks_ms(), 5000)
d.door_contact(True, t)
print(d.latched, d.active)
print(d.reset_alarms(), d.latched)          # still open: stays latched
d.door_contact(False, time.ticks_add(t, 1000))
print(d.latched, d.active)
print(d.reset_alarms(), d.latched)
print(relay)
""")
    lines = out.strip().splitlines()
    assert lines == ["['forced_open'] ['forced_open']", "[] ['forced_open']", "['forced_open'] []",
                     "['forced_open'] []", "[0]"]
