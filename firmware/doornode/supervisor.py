"""The task watchdog: the hardware WDT is fed only while every task shows progress.

    sup = Supervisor(machine.WDT(timeout=8000), stall_ms=4000, sink=sink)
    beat = sup.register("reader")        # the task calls beat() every loop
    asyncio.create_task(sup.run())

A task that blocks the loop stops every task, run() included: no feed, the WDT resets the
node. A task that hangs while the others go on stops beating: run() reports it once and
stops feeding, and the WDT resets the node.
"""
import asyncio
import time


class Supervisor:
    def __init__(self, wdt, stall_ms, sink):
        self._wdt = wdt
        self._stall = stall_ms
        self._sink = sink
        self._names = []
        self._beats = []
        self.stalled = None

    def register(self, name):
        i = len(self._names)
        self._names.append(name)
        self._beats.append(time.ticks_ms())
        beats = self._beats

        def beat():
            beats[i] = time.ticks_ms()
        return beat

    def check(self, now):
        """The name of a task that has not beaten within stall_ms, or None."""
        for i in range(len(self._names)):
            if time.ticks_diff(now, self._beats[i]) > self._stall:
                return self._names[i]
        return None

    async def run(self, period_ms=250):
        while True:
            stalled = self.check(time.ticks_ms())
            if stalled is None:
                self._wdt.feed()
            elif self.stalled is None:
                self.stalled = stalled
                self._sink.emit("task_stalled", task=stalled)
            await asyncio.sleep_ms(period_ms)
