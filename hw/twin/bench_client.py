"""A small client for the twin's bench channel, used by the tests and the demo.

    bench = BenchClient(port)
    bench.input("exit_button", True)
    bench.wait_output("relay", 1, timeout=2)
"""
from __future__ import annotations

import itertools
import json
import socket
import time


class BenchClientError(Exception):
    pass


class BenchClient:
    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 30.0):
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._file = self._sock.makefile("rb")
        self._ids = itertools.count(1)
        self._timeline_next = 0
        self.events: list[dict] = []
        self._cursor = 0            # events before this index were consumed by wait_output

    def close(self) -> None:
        self._file.close()
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def call(self, op: str, **args) -> dict:
        rid = next(self._ids)
        self._sock.sendall(json.dumps({"id": rid, "op": op, **args}).encode() + b"\n")
        line = self._file.readline()
        if not line:
            raise BenchClientError("the twin closed the bench channel")
        reply = json.loads(line)
        if not reply.get("ok"):
            raise BenchClientError(reply.get("error", "bench request failed"))
        return reply

    def input(self, name: str, active: bool) -> None:
        self.call("input", name=name, active=active)

    def poll_timeline(self) -> list[dict]:
        """New timeline events since the last call (also kept in self.events)."""
        reply = self.call("timeline", since=self._timeline_next)
        self._timeline_next = reply["next"]
        self.events.extend(reply["events"])
        return reply["events"]

    def wait_output(self, name: str, level: int, timeout: float = 5.0) -> dict:
        """Wait for the next change of an output to level; returns its timeline event.

        Successive calls walk the timeline in order, so `wait_output("relay", 1)` then
        `wait_output("relay", 0)` finds the end of that same pulse.
        """
        deadline = time.monotonic() + timeout
        while True:
            while self._cursor < len(self.events):
                ev = self.events[self._cursor]
                self._cursor += 1
                if ev["kind"] == "out" and ev["name"] == name and ev["level"] == level:
                    return ev
            if time.monotonic() > deadline:
                raise BenchClientError(f"{name} did not go to {level} within {timeout} s")
            if not self.poll_timeline():
                time.sleep(0.005)
