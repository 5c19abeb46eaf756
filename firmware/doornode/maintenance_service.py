"""The node's maintenance service: one request in, one reply out (docs/protocol.md).

    from doornode.maintenance_service import serve
    serve('{"op": "status"}')        # prints one JSON line (and, for events, a base64 line)

Today the host calls serve() over mpremote's raw REPL; the requests and replies are
self-contained JSON lines so that an authenticated serial protocol (REPL closed) can
carry the same messages later. Operations: status, clock_set, events, ack,
cardlist_begin, cardlist_chunk, cardlist_install, alarm_reset.

attach(log=..., sink=..., node=...) lets the running door application share its
objects; without it (autostart off, or the door loop stopped) the service opens the
log from flash itself.
"""
import binascii
import json
import os
import time

from doornode import event_record as er
from doornode import event_wire
from doornode import event_names
from doornode import event_log_read as rd
from doornode.event_log import EventLog, DEFAULT_SEGMENTS
from doornode.version import VERSION

LOG_DIR = "/log"
CLOCK_FILE = "/log/clock"
CARDLIST_DIR = "/"
_Z_NAME = "/cardlist.z"
MAX_RECORDS = 600



def _ctx():
    from doornode import log_sink
    return log_sink.current


def attach(log=None, sink=None, node=None):
    c = _ctx()
    c["log"], c["sink"], c["node"] = log, sink, node


def _keys():
    """(door id, door key) or None."""
    from doornode import log_sink
    return log_sink.door_key_of()


def _config():
    from doornode import node_config
    return node_config.load()


def door_id():
    k = _keys()
    if k is not None:
        return k[0]
    return _config().get("door_id") or 0


def log():
    """The node's event log (the application's own when attached)."""
    c = _ctx()
    if c["log"] is None:
        k = _keys()
        segments = (_config().get("log") or {}).get("segments", DEFAULT_SEGMENTS)
        c["log"] = EventLog(LOG_DIR, door_id(), k[1] if k else None, segments).open()
    return c["log"]


def _append(etype, reason=0, card=0, extra=0):
    try:
        return log().append(etype, reason, card, extra)
    except OSError:
        log().raise_alarm("flash_fault")
        return None


# ------------------------------------------------------------ operations
def op_status(req):
    lg = log()
    node = _ctx()["node"]
    door = getattr(node, "door", None)
    alarms = []
    for a in list(getattr(door, "latched", ())) + lg.alarms:
        if a not in alarms:
            alarms.append(a)
    cfg = _config()
    out = {"ok": True, "firmware": VERSION, "node_id": cfg.get("node_id"), "door_id": lg.door,
           "alarms": alarms, "reader": None if node is None else ("ok" if node.reader_ok else "fault")}
    out["cardlist"] = _cardlist()
    out["log"] = _log_state(lg)
    out["clock"] = _clock_state(out["log"]["head_time"])
    return out


def _cardlist():
    from doornode import cardlist_store
    h = cardlist_store.installed_header(CARDLIST_DIR)
    return None if h is None else {"version": h.version, "count": h.count}


def _log_state(lg):
    seq, tag, t, mac = rd.head(lg)
    out = {"log_id": lg.log_id, "origin": lg.origin, "first": rd.first_seq(lg), "head": seq,
           "head_tag": tag, "head_time": t, "head_mac": binascii.hexlify(mac).decode()}
    out.update(segment=lg.segment, acked=lg.acked, unacked=rd.unacked(lg), segments=len(lg.segments))
    out.update(max_segments=lg.max_segments, fill=lg.fill_percent(), boot=lg.boot)
    out.update(lost=lg.lost_total, repaired=lg.repaired, keyed=_keys() is not None)
    return out


def _clock_state(now):
    st = _read_json(CLOCK_FILE) or {}
    return {"now": now, "ok": now >= er.CLOCK_MIN, "last_set": st.get("set"),
            "drift_s": st.get("drift"), "drift_ppm": st.get("ppm"), "elapsed_s": st.get("elapsed")}


def _read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def op_clock_set(req):
    """Set the RTC to the laptop's (server-derived) time; measure the drift since the last set."""
    import machine
    new = int(req["t"])                        # seconds since 2000-01-01 UTC
    old = time.time()
    st = _read_json(CLOCK_FILE) or {}
    out = {"ok": True, "before": old, "after": new, "was_set": old >= er.CLOCK_MIN}
    rec = {"set": new}
    last = st.get("set")
    if old >= er.CLOCK_MIN and last:
        drift = old - new                      # + : the node ran fast
        elapsed = new - last
        rec.update(drift=drift, elapsed=elapsed)
        if elapsed >= 600:
            rec["ppm"] = round(drift * 1000000 / elapsed, 1)
        out.update(drift_s=drift, elapsed_s=elapsed, drift_ppm=rec.get("ppm"))
    t = time.gmtime(new)
    machine.RTC().datetime((t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0))
    try:
        tmp = CLOCK_FILE + ".tmp"
        with open(tmp, "w") as f:
            json.dump(rec, f)
        os.rename(tmp, CLOCK_FILE)
    except OSError:
        log().raise_alarm("flash_fault")
    _append(er.EV_CLOCK_SET, 0, old, 0 if old >= er.CLOCK_MIN else 1)
    return out


def op_events(req):
    """Records from seq `from` on, as compact slices (event_record.encode_slice), base64."""
    lg = log()
    start = max(int(req.get("from", 1)), rd.first_seq(lg))
    n = min(int(req.get("max", MAX_RECORDS)), MAX_RECORDS)
    out = bytearray()
    count = 0
    for header, first, recs in rd.read(lg, start, n):
        event_wire.encode_slice(header, first, recs, out)
        count += len(recs) // er.RECORD_SIZE
    head, tag, t, mac = rd.head(lg)
    return {"ok": True, "log_id": lg.log_id, "from": start, "count": count, "next": start + count,
            "head": head, "first": rd.first_seq(lg)}, out


def op_ack(req):
    k = _keys()
    if k is None:
        return {"ok": False, "error": "no keys: this node cannot check acknowledgements"}
    try:
        acked, dropped = rd.apply_ack(log(), binascii.unhexlify(req["ack"]), k[1])
    except ValueError as e:
        return {"ok": False, "error": str(e)}
    return {"ok": True, "acked": acked, "dropped": dropped, "unacked": rd.unacked(log())}


def op_alarm_reset(req):
    node = _ctx()["node"]
    gone = log().reset_alarms()
    door = getattr(node, "door", None)
    if door is not None:
        gone += door.reset_alarms()              # emits alarm_reset (logged by the sink)
    else:
        mask = 0
        for name in gone:
            mask |= 1 << event_names.ALARMS.get(name, 15)
        _append(er.EV_ALARM_RESET, 0, 0, mask)
    return {"ok": True, "reset": gone}


def op_cardlist_begin(req):
    with open(_Z_NAME, "wb"):
        pass
    return {"ok": True, "have": 0}


def op_cardlist_chunk(req):
    """Append a chunk at `offset`; a chunk for another offset is answered with what the node has."""
    try:
        have = os.stat(_Z_NAME)[6]
    except OSError:
        have = -1
    if have != int(req["offset"]):
        return {"ok": False, "have": have}
    data = binascii.a2b_base64(req["data"])
    with open(_Z_NAME, "ab") as f:
        f.write(data)
    return {"ok": True, "have": have + len(data)}


def op_cardlist_install(req):
    """Unpack (raw deflate when z) into cardlist.new, verify with the door key, install atomically."""
    from doornode import cardlist_store, maintenance
    from doornode.cardlist import CardListError
    try:
        with open(_Z_NAME, "rb") as src:
            if req.get("z"):
                import deflate
                stream = deflate.DeflateIO(src, deflate.RAW, 10)
                cardlist_store.receive(CARDLIST_DIR, stream)
            else:
                cardlist_store.receive(CARDLIST_DIR, src)
        version, count = maintenance.install_card_list(CARDLIST_DIR)
    except CardListError as e:
        return {"ok": False, "error": "card list refused: %s" % (e.args[0],)}
    except (OSError, ValueError, EOFError) as e:
        cardlist_store.discard_incoming(CARDLIST_DIR)
        return {"ok": False, "error": "card list not received whole: %r" % (e,)}
    finally:
        try:
            os.remove(_Z_NAME)
        except OSError:
            pass
    _append(er.EV_CARDLIST, 0, version, 0)
    return {"ok": True, "version": version, "count": count}


OPS = {"status": op_status, "clock_set": op_clock_set, "events": op_events, "ack": op_ack,
       "alarm_reset": op_alarm_reset, "cardlist_begin": op_cardlist_begin,
       "cardlist_chunk": op_cardlist_chunk, "cardlist_install": op_cardlist_install}


def handle(request):
    """(reply dict, binary payload or None) for one request (a JSON string or dict)."""
    req = json.loads(request) if isinstance(request, str) else request
    fn = OPS.get(req.get("op"))
    if fn is None:
        return {"ok": False, "error": "unknown op %r" % (req.get("op"),)}, None
    try:
        out = fn(req)
    except (KeyError, ValueError, TypeError) as e:
        return {"ok": False, "error": "bad request: %r" % (e,)}, None
    except OSError as e:
        return {"ok": False, "error": "flash: %r" % (e,)}, None
    if isinstance(out, tuple):
        return out
    return out, None


def serve(request):
    """The REPL binding: print the reply line, then the payload as one base64 line."""
    reply, payload = handle(request)
    if payload is not None:
        reply["bytes"] = len(payload)
    print(json.dumps(reply))
    if payload is not None:
        print(binascii.b2a_base64(payload).decode().strip())
