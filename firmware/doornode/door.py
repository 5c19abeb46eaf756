"""The door: lock relay, door contact, exit button, fire alarm, tamper, refusals and alarms.

    door = Door(relay, indicator, sink, settings)     # settings: DOOR_DEFAULTS keys
    door.card(card_hex, granted, reason, now)         # a decision for a presented card
    door.exit_request(now); door.door_contact(True, now); door.fire(True, now)
    door.tick(now)                                    # timers: relay pulse, held open

All times are time.ticks_ms() values. The door never waits: every method returns at once.
Alarms (GB 50396): forced_open, held_open, refused_cards, tamper, fire, reader_fault. An alarm
latches until reset_alarms(); its condition (door still open, tamper still off) is tracked
apart, so the indicator can tell "happening now" from "happened".
"""
from micropython import const
import time

_GRACE_MS = const(500)        # an opening this soon after relock still counts as authorised

DOOR_DEFAULTS = {
    "relay_pulse_s": 3,       # 1-10 s unlocked per grant or exit request
    "lock": "fail_secure",    # fail_secure: relay energised = unlocked (strike);
                              # fail_safe: relay energised = locked (magnetic lock)
    "held_open_s": 30,        # 1-255 s before the held-open alarm
    "relock_on_close": True,  # relock as soon as the door closes after opening
    "refusal_limit": 5,       # consecutive refused cards before the alarm (1-5)
    "door_contact": True,     # a door contact is fitted
}
_RANGES = {"relay_pulse_s": (1, 10), "held_open_s": (1, 255), "refusal_limit": (1, 5)}


def door_settings(cfg):
    """Door settings from config.json's "door" section; returns (settings, problems)."""
    out = dict(DOOR_DEFAULTS)
    problems = []
    given = cfg.get("door") or {}
    for key, value in given.items():
        if key not in out:
            problems.append("door.%s unknown" % key)
            continue
        lo_hi = _RANGES.get(key)
        if lo_hi and not (isinstance(value, (int, float)) and lo_hi[0] <= value <= lo_hi[1]):
            problems.append("door.%s must be %s..%s" % (key, lo_hi[0], lo_hi[1]))
            continue
        if key == "lock" and value not in ("fail_secure", "fail_safe"):
            problems.append("door.lock must be fail_secure or fail_safe")
            continue
        out[key] = value
    return out, problems


class Door:
    def __init__(self, relay, indicator, sink, settings):
        self._relay = relay
        self._ind = indicator
        self._sink = sink
        self.pulse_ms = int(settings["relay_pulse_s"] * 1000)
        self.held_ms = int(settings["held_open_s"] * 1000)
        self._fail_safe = settings["lock"] == "fail_safe"
        self._relock_on_close = settings["relock_on_close"]
        self._limit = settings["refusal_limit"]
        self._has_contact = settings["door_contact"]
        self.unlocked = False
        self._unlock_until = 0
        self._auth_until = time.ticks_ms()
        self.is_open = False
        self._opened_at = 0
        self.fire_active = False
        self.refusals = 0
        self.latched = []          # alarm names, in the order raised
        self.active = []           # alarm conditions still present
        self._drive(False)

    # ------------------------------------------------------------ lock
    def _drive(self, unlocked):
        self.unlocked = unlocked
        self._relay(1 if unlocked != self._fail_safe else 0)
        self._ind.unlocked = unlocked

    def _unlock(self, now):
        self._unlock_until = time.ticks_add(now, self.pulse_ms)
        self._auth_until = time.ticks_add(self._unlock_until, _GRACE_MS)
        if not self.unlocked:
            self._drive(True)

    def _relock(self, now):
        if self.unlocked and not self.fire_active:
            self._drive(False)
            self._auth_until = time.ticks_add(now, _GRACE_MS)

    # ------------------------------------------------------------ requests
    def card(self, who, granted, reason, now, **extra):
        if granted:
            self.refusals = 0
            self._sink.emit("grant", card=who, **extra)
            self._ind.play("grant", now)
            self._unlock(now)
            return
        self.refusals += 1
        self._sink.emit("deny", card=who, reason=reason, refusals=self.refusals, **extra)
        self._ind.play("deny", now)
        if self.refusals >= self._limit:
            self.refusals = 0
            self.alarm("refused_cards", now, condition=False)

    def exit_request(self, now):
        self._sink.emit("exit")
        self._ind.play("exit", now)
        self._unlock(now)

    # ------------------------------------------------------------ inputs
    def door_contact(self, is_open, now):
        if not self._has_contact or is_open == self.is_open:
            return
        self.is_open = is_open
        if is_open:
            self._opened_at = now
            authorised = self.unlocked or time.ticks_diff(self._auth_until, now) > 0
            self._sink.emit("door_open", authorised=authorised)
            if not authorised:
                self.alarm("forced_open", now)
            return
        self._sink.emit("door_closed")
        self.clear("forced_open")
        self.clear("held_open")
        if self._relock_on_close and self.unlocked:
            self._relock(now)

    def fire(self, active, now):
        if active == self.fire_active:
            return
        self.fire_active = active
        if active:
            self.alarm("fire", now)
            if not self.unlocked:
                self._drive(True)
            return
        self.clear("fire")
        if time.ticks_diff(self._unlock_until, now) <= 0:
            self._relock(now)

    def tamper(self, active, now):
        if active:
            self.alarm("tamper", now)
        else:
            self.clear("tamper")

    def reader_fault(self, faulty, reason, now):
        if faulty:
            self._sink.emit("reader_fault", reason=reason)
            self.alarm("reader_fault", now)
        else:
            self._sink.emit("reader_ok")
            self.clear("reader_fault")

    # ------------------------------------------------------------ alarms
    def alarm(self, name, now, condition=True):
        if condition and name not in self.active:
            self.active.append(name)
        if name in self.latched:
            return
        self.latched.append(name)
        self._sink.emit("alarm", name=name)
        self._ind.alarm(name, now)

    def clear(self, name):
        if name in self.active:
            self.active.remove(name)
            self._sink.emit("alarm_clear", name=name)

    def reset_alarms(self):
        """Unlatch every alarm whose condition is gone (the maintenance service calls this)."""
        gone = [a for a in self.latched if a not in self.active]
        for name in gone:
            self.latched.remove(name)
        self._sink.emit("alarm_reset", names=gone)
        return gone

    # ------------------------------------------------------------ time
    def tick(self, now):
        if self.unlocked and not self.fire_active and time.ticks_diff(self._unlock_until, now) <= 0:
            self._relock(now)
        if (self.is_open and not self.fire_active and "held_open" not in self.active
                and time.ticks_diff(now, self._opened_at) >= self.held_ms):
            self.alarm("held_open", now)
        self._ind.latched = len(self.latched) > 0
        self._ind.sounding = len(self.active) > 0 and self.active != ["fire"]
