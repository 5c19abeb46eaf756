"""LEDs and buzzer: one-shot patterns over a background that follows the door's state.

    ind = Indicator(led_green, led_red, buzzer)
    ind.play("grant", now)    # or "deny", "exit"
    ind.tick(now)             # every few ms from the inputs task; pins change only on edges

Patterns (docs/firmware.md): green on while unlocked; grant 1 beep 150 ms; deny red 1 s with
3 beeps 100/100 ms; alarm raised: buzzer 1 s; alarm condition present (door forced or held
open, tamper): buzzer 500/500 ms; alarm latched: red blinks 250/250 ms; reader fault
(latched alarm "reader_fault"): the same red blink.
"""
import time

# name -> (green, red, buzzer) each a tuple of alternating on/off durations in ms, or None
_PATTERNS = {
    "grant": (None, None, (150,)),
    "exit": (None, None, (60,)),
    "deny": (None, (1000,), (100, 100, 100, 100, 100)),
    "alarm": (None, None, (1000,)),
}


def _level(seq, t):
    """On/off at t ms into an alternating sequence; None once it has ended."""
    on = True
    for d in seq:
        if t < d:
            return on
        t -= d
        on = not on
    return None


class Indicator:
    def __init__(self, led_green, led_red, buzzer):
        self._pins = (led_green, led_red, buzzer)
        self._out = [0, 0, 0]
        self._shot = None
        self._shot_at = 0
        self.unlocked = False
        self.latched = False
        self.sounding = False
        for p in self._pins:
            p(0)

    def play(self, name, now):
        self._shot = _PATTERNS[name]
        self._shot_at = now

    def alarm(self, name, now):
        self.play("alarm", now)

    def tick(self, now):
        phase = now % 1000
        base = (1 if self.unlocked else 0,
                1 if self.latched and phase % 500 < 250 else 0,
                1 if self.sounding and phase < 500 else 0)
        shot = self._shot
        t = time.ticks_diff(now, self._shot_at)
        busy = False
        for i in range(3):
            level = base[i]
            if shot is not None and shot[i] is not None:
                on = _level(shot[i], t)
                if on is not None:
                    busy = True
                    level = 1 if on else 0
            if level != self._out[i]:
                self._out[i] = level
                self._pins[i](level)
        if shot is not None and not busy and t > 0:
            self._shot = None
