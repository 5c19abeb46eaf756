"""`doorctl push`: give a door node what waits for it in the spool, and set its clock.

    with NodeTransport.connect(port) as node, Spool.open() as spool:
        result = push(node, spool)

In this order: the clock (laptop time corrected to the server's, as measured at the
last sync; the node reports its drift), the newest acknowledgement from the server
(the node checks its MAC with the door key, then drops the segments it covers), and
the newest card list (chunked, raw deflate when that is smaller; the node checks it
with the door key and installs it atomically). Each is marked delivered in the
spool only once the node said yes.
"""
from __future__ import annotations

import base64
import zlib

from doornode import event_record as er
from host_tools.errors import DoorctlError
from host_tools.node_service import NodeService
from host_tools.spool import Spool

CARD_LIST_CHUNK = 3072


def push(transport, spool: Spool, service: NodeService | None = None, set_clock: bool = True,
         reset_alarms: bool = False) -> dict:
    svc = service or NodeService(transport)
    st = svc.status()
    door = st["door_id"]
    log_id = st["log"]["log_id"]
    out = {"door_id": door, "clock": None, "ack": None, "card_list": None, "alarms_reset": None}
    if set_clock:
        t = int(spool.server_time()) - er.EPOCH_2000
        out["clock"] = svc.ok("clock_set", t=t)
    waiting = spool.waiting_ack(door)
    if waiting is not None:
        a_log, a_seq, ack = waiting
        if a_log != log_id:
            out["ack"] = {"ok": False, "seq": a_seq, "error": "acknowledgement of an earlier log of this node"}
            spool.ack_delivered(door)           # nothing on the node it could apply to
        else:
            reply, _ = svc.call("ack", ack=ack.hex())
            out["ack"] = {"seq": a_seq, **reply}
            if reply.get("ok"):
                with spool.transaction():
                    spool.ack_delivered(door)
                    out["ack"]["spool_trimmed"] = spool.trim_uploaded(door, log_id, reply["acked"])
    waiting_list = spool.waiting_card_list(door)
    if waiting_list is not None:
        version, content = waiting_list
        have = (st.get("cardlist") or {}).get("version")
        if have is not None and have >= version:
            spool.card_list_delivered(door)
            out["card_list"] = {"ok": True, "version": have, "already": True}
        else:
            out["card_list"] = send_card_list(svc, content)
            spool.card_list_delivered(door)
    if reset_alarms:
        out["alarms_reset"] = svc.ok("alarm_reset").get("reset")
    return out


def send_card_list(svc: NodeService, content: bytes) -> dict:
    """Chunked install; a chunk the node did not take whole is sent again from what it has."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -10)
    packed = comp.compress(content) + comp.flush()
    z = len(packed) < len(content)
    data = packed if z else content
    svc.ok("cardlist_begin")
    offset = 0
    tries = 0
    while offset < len(data):
        piece = data[offset:offset + CARD_LIST_CHUNK]
        reply, _ = svc.call("cardlist_chunk", offset=offset, data=base64.b64encode(piece).decode())
        if reply.get("ok"):
            offset = reply["have"]
            continue
        tries += 1
        if tries > 3 or reply.get("have", -1) < 0:
            raise DoorctlError(f"the node did not take the card list: {reply}")
        offset = reply["have"]
    reply = svc.ok("cardlist_install", z=z)
    return {"ok": True, "version": reply["version"], "count": reply["count"], "bytes": len(data),
            "compressed": z}
