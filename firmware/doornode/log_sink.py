"""The door's event sink with the persistent log behind it (doornode.events' interface).

    log = EventLog("/log", door_id, door_key).open()
    sink = EventLogSink(log)                     # prints and keeps recent events as EventSink
    sink.on_alarm = lambda name: door.alarm(name, time.ticks_ms(), condition=False)
    sink.emit("grant", card="04a1b2c3")          # -> also on flash, fields["log_seq"] = its seq

A log that cannot write (flash fault, full file system) never stops the door: emit()
still returns, the alarm flash_fault is raised once, and the failures are counted.
"""
from doornode import event_names as en
from doornode import event_record as er
from doornode.events import EventSink


def encode(kind, fields):
    """(type, reason, card, extra) of an event kind and its fields."""
    etype = en.TYPES.get(kind, er.EV_OTHER)
    reason = card = extra = 0
    if etype == er.EV_GRANT or etype == er.EV_DENY:
        card, ck = en.card_field(fields.get("card"))
        extra = en.card_extra(ck, fields.get("refusals", 0), fields.get("several", False))
        if etype == er.EV_DENY:
            reason = en.DENY_REASONS.get(fields.get("reason"), en.OTHER_REASON)
    elif etype == er.EV_ALARM or etype == er.EV_ALARM_CLEAR:
        reason = en.ALARMS.get(fields.get("name"), en.OTHER_REASON)
    elif etype == er.EV_ALARM_RESET:
        for name in fields.get("names") or ():
            extra |= 1 << en.ALARMS.get(name, 15)
    elif etype == er.EV_DOOR_OPEN:
        reason = 1 if fields.get("authorised") else 0
    elif etype == er.EV_BOOT:
        reason = en.RESET_CAUSES.get(fields.get("reset"), en.OTHER_REASON)
    elif etype == er.EV_TASK_STALLED:
        reason = en.TASKS.get(fields.get("task"), en.OTHER_REASON)
    elif etype == er.EV_HEAP:
        card = fields.get("free", 0)
    elif etype in (er.EV_CARDLIST, er.EV_CLOCK_SET, er.EV_EVENTS_LOST):
        card = fields.get("value", 0)
    return etype, reason, card, extra


class EventLogSink:
    def __init__(self, log, inner=None):
        self.log = log
        self.inner = inner or EventSink()
        self.on_alarm = None        # e.g. the door's alarm(): rings and latches it there too
        self.failures = 0
        self.last_error = None

    @property
    def seq(self):
        return self.inner.seq

    @property
    def recent(self):
        return self.inner.recent

    def emit(self, kind, **fields):
        out = self.inner.emit(kind, **fields)
        log = self.log
        try:
            etype, reason, card, extra = encode(kind, fields)
            if etype == er.EV_BOOT:
                card = log.start_boot()
            out["log_seq"] = log.append(etype, reason, card, extra)
        except (OSError, MemoryError, ValueError) as e:
            self.failures += 1
            self.last_error = repr(e)
            log.raise_alarm("flash_fault")
        while log.new_alarms:
            self._ring(log.new_alarms.pop(0))
        return out

    def _ring(self, name):
        if self.on_alarm is not None:
            self.on_alarm(name)         # the door latches it and emits "alarm" back here
        else:
            self.emit("alarm", name=name)


# What the maintenance service uses: the running application's log, sink and node.
current = {"log": None, "sink": None, "node": None}
KEYS_PATH = "/keys.json"


def door_key_of(path=KEYS_PATH):
    """(door id, door key) from the node's key bundle (node_keys' file), or None.
    Read with json alone: the log opens at boot before the card modules are loaded."""
    import json
    import binascii
    try:
        with open(path) as f:
            obj = json.load(f)
        return int(obj["door_id"]), binascii.unhexlify(obj["door_key"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def open_sink(cfg, directory="/log"):
    """The application's sink: the persistent log when it opens, else a RAM sink and an alarm."""
    from doornode.event_log import EventLog, DEFAULT_SEGMENTS
    keys = door_key_of()
    door = keys[0] if keys else (cfg.get("door_id") or 0)
    segments = (cfg.get("log") or {}).get("segments", DEFAULT_SEGMENTS)
    try:
        log = EventLog(directory, door, keys[1] if keys else None, segments).open()
    except (OSError, ValueError, MemoryError) as e:
        sink = EventSink()
        sink.emit("alarm", name="flash_fault", error=repr(e))
        return sink
    sink = EventLogSink(log)
    current["log"] = log
    current["sink"] = sink
    return sink


def wire(sink, node):
    """After the Node is built: log alarms ring on the door; the service sees the door."""
    import time
    current["node"] = node
    if isinstance(sink, EventLogSink):
        sink.on_alarm = lambda name: node.door.alarm(name, time.ticks_ms(), condition=False)
