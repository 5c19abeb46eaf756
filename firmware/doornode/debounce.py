"""A debounced digital input, sampled by the inputs task.

    exit_button = Debounced(pin, active_level=0, settle_ms=50)
    if exit_button.sample(now):        # True when the debounced state changed
        print(exit_button.active)
"""
import time


class Debounced:
    def __init__(self, pin, active_level, settle_ms):
        self._pin = pin
        self._active_level = active_level
        self._settle = settle_ms
        self.active = pin() == active_level
        self._raw = self.active
        self._since = time.ticks_ms()

    def sample(self, now):
        raw = self._pin() == self._active_level
        if raw != self._raw:
            self._raw = raw
            self._since = now
            return False
        if raw != self.active and time.ticks_diff(now, self._since) >= self._settle:
            self.active = raw
            return True
        return False
