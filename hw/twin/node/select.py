"""`select` for the twin: poll objects that also apply bench actions while waiting.

asyncio waits in select.poll; on the twin such a wait must still see the exit
button pressed on the bench, so the link to the launcher is polled alongside
whatever the firmware registered, and hidden from the results.
"""
import sys

_saved_path = sys.path[:]
sys.path[:] = []
from select import POLLIN, POLLOUT, POLLERR, POLLHUP  # noqa: re-exported
import select as _cselect
import time as _ctime
sys.path[:] = _saved_path
del _saved_path

import world


class poll:
    def __init__(self):
        self._poll = _cselect.poll()
        self._link = world.fileno_object()
        if self._link is not None:
            self._poll.register(self._link, POLLIN)

    def register(self, obj, eventmask=POLLIN | POLLOUT):
        self._poll.register(obj, eventmask)

    def unregister(self, obj):
        self._poll.unregister(obj)

    def modify(self, obj, eventmask):
        self._poll.modify(obj, eventmask)

    def poll(self, timeout=-1):
        link = self._link
        if timeout is None or timeout < 0:
            deadline = None
        else:
            deadline = _ctime.ticks_add(_ctime.ticks_ms(), timeout)
        while True:
            left = -1 if deadline is None else max(0, _ctime.ticks_diff(deadline, _ctime.ticks_ms()))
            start = _ctime.ticks_ms()
            events = self._poll.poll(left)
            waited = _ctime.ticks_diff(_ctime.ticks_ms(), start)
            if waited > 0:
                world.advance_devices(waited * 1000)   # the hardware's clocks ran meanwhile
            result = [(o, e) for o, e in events if o is not link]
            if len(result) != len(events):
                world.service(0)
            if result or left == 0:
                return result

    def ipoll(self, timeout=-1, flags=0):
        result = self.poll(timeout)
        if flags & 1:
            for obj, _ in result:
                self._poll.modify(obj, 0)
        return result
