"""The event sink: every door event goes through emit(); for now kept in RAM and printed.

    sink = EventSink()
    sink.emit("grant", uid="04a1b2c3")
    # console: event {"seq": 1, "kind": "grant", "uid": "04a1b2c3", "ms": 1234}

The event-log issue replaces this class with a persistent log behind the same emit().
Kinds: boot, grant, deny (reason), exit, door_open, door_closed, alarm (name), alarm_clear
(name: the condition is gone, the alarm stays latched), alarm_reset, reader_fault (reason),
reader_ok, task_stalled (task), heap, config_error.
"""
import json
import time


class EventSink:
    def __init__(self, keep=32, out=print):
        self._keep = keep
        self._out = out
        self.seq = 0
        self.recent = []          # the last `keep` events, oldest first

    def emit(self, kind, **fields):
        self.seq += 1
        fields["seq"] = self.seq
        fields["kind"] = kind
        fields["ms"] = time.ticks_ms()
        self.recent.append(fields)
        if len(self.recent) > self._keep:
            self.recent.pop(0)
        self._out("event " + json.dumps(fields))
        return fields
