"""`doorctl pull`: copy a door node's event records into the laptop's spool.

    with NodeTransport.connect(port) as node, Spool.open() as spool:
        result = pull_events(node, spool, progress=lambda p: ...)

Chunked (the node's `events` operation, compact encoding) and committed chunk by
chunk: a pulled cable or a dead laptop loses at most the chunk in flight, and the
next pull resumes at the first sequence number the spool does not hold. Records
are keyed by (door, log, sequence number), so nothing is stored twice.

The laptop holds no keys: it checks that every record is where the node says
(door, log, contiguous sequence numbers, each segment's header linking to the
previous segment's last tag); the district server checks every MAC (server/ingest.py).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from doornode import event_record as er
from doornode.event_wire import decode_batch
from host_tools.errors import DoorctlError
from host_tools.node_service import NodeService
from host_tools.spool import Spool

CHUNK = 600                 # records per request (the node's MAX_RECORDS)


class PullError(DoorctlError):
    pass


@dataclass
class PullProgress:
    door_id: int
    done: int               # records received in this pull
    total: int              # records to receive in this pull
    wire_bytes: int         # bytes over the line so far (base64 lines and JSON replies)
    elapsed_s: float

    @property
    def bytes_per_s(self) -> float:
        return self.wire_bytes / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        if self.done == 0 or self.elapsed_s <= 0:
            return None
        return (self.total - self.done) * self.elapsed_s / self.done


@dataclass
class PullResult:
    door_id: int
    log_id: int
    node_id: str | None
    pulled: int = 0          # new records stored
    duplicates: int = 0      # records the spool already held
    conflicts: int = 0       # records that differ from the spool's copy (kept as first pulled)
    link_breaks: list = field(default_factory=list)  # where the node's chain does not link up
    gaps: list = field(default_factory=list)         # (from, to, reason) not pulled
    refetched: int = 0       # records pulled again because the server lacks them
    first: int = 0
    head: int = 0
    wire_bytes: int = 0
    elapsed_s: float = 0.0
    status: dict | None = None

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("door_id", "log_id", "node_id", "pulled", "duplicates",
                                               "conflicts", "link_breaks", "gaps", "refetched", "first", "head",
                                               "wire_bytes", "elapsed_s")}


def pull_events(transport, spool: Spool, progress: Callable[[PullProgress], None] | None = None,
                chunk: int = CHUNK, service: NodeService | None = None) -> PullResult:
    """Pull every record the spool does not hold yet from the node on `transport`."""
    svc = service or NodeService(transport)
    t0 = time.monotonic()
    wire0 = svc.wire_bytes
    st = svc.status()
    lg = st["log"]
    door, log_id = st["door_id"], lg["log_id"]
    if not door:
        raise PullError("the node has no door id (not provisioned): nothing to pull for the district")
    result = PullResult(door, log_id, st.get("node_id"), first=lg["first"], head=lg["head"], status=st)
    with spool.transaction():
        state = spool.begin_log(door, log_id, lg["origin"], st.get("node_id"), lg["first"])
        spool.set_head(door, log_id, _head_of(st))
    start = state.next_seq
    chain_seq, chain_tag = state.chain_seq, state.chain_tag
    if start < lg["first"]:
        gap = (start, lg["first"] - 1, "dropped by the node before this pull (see its EVENTS_LOST records)")
        with spool.transaction():
            spool.add_gap(door, log_id, *gap)
            spool.advance(door, log_id, lg["first"], chain_seq, chain_tag)
        result.gaps.append(gap)
        start = lg["first"]
    head = lg["head"]
    total = max(0, head - start + 1)
    done = 0
    while start <= head:
        reply, payload = svc.call("events", **{"from": start, "max": chunk})
        if not reply.get("ok"):
            raise PullError(f"the node refused events from {start}: {reply.get('error')}")
        if reply["log_id"] != log_id:
            raise PullError("the node's log changed during the pull (was it reset?): pull again")
        slices = decode_batch(payload or b"")
        expect = reply["from"]
        if expect > start:   # the node no longer holds [start, expect)
            gap = (start, expect - 1, "dropped by the node during the pull")
            result.gaps.append(gap)
        with spool.transaction():
            if expect > start:
                spool.add_gap(door, log_id, *gap)
            for header, first_index, recs in slices:
                h = er.unpack_header(header)
                if h is None or h[er.HDR_DOOR] != door or h[er.HDR_LOG] != log_id:
                    raise PullError("the node sent a segment of another door or log: pull refused")
                seq0 = h[er.HDR_FIRST_SEQ] + first_index
                if seq0 != expect:
                    raise PullError(f"the node sent seq {seq0} where {expect} was due")
                if first_index == 0 and chain_seq == seq0 - 1 and chain_tag is not None \
                        and h[er.HDR_PREV_TAG] != chain_tag:
                    result.link_breaks.append(seq0)
                new, dup, bad = spool.store_slice(door, log_id, header, first_index, recs)
                result.pulled += new
                result.duplicates += dup
                result.conflicts += bad
                n = len(recs) // er.RECORD_SIZE
                if n:
                    chain_seq, chain_tag = seq0 + n - 1, er.record_tag(recs, len(recs) - er.RECORD_SIZE)
                expect = seq0 + n
            spool.advance(door, log_id, expect, chain_seq, chain_tag)
        done += expect - start
        result.wire_bytes = svc.wire_bytes - wire0
        if progress:
            progress(PullProgress(door, min(done, total), total, result.wire_bytes, time.monotonic() - t0))
        if reply["count"] == 0:
            break
        start = expect
    result.refetched = _refetch(svc, spool, door, log_id, lg["first"])
    result.elapsed_s = time.monotonic() - t0
    return result


def _refetch(svc: NodeService, spool: Spool, door: int, log_id: int, node_first: int) -> int:
    """Pull again what the server said it lacks (a record refused as damaged or edited in a
    spool, one never uploaded), while the node still holds it: the node keeps every record
    the district has not acknowledged, and acknowledgements stop before a hole."""
    got = 0
    for a, b in spool.server_gaps(door, log_id):
        start = max(a, node_first)
        while start <= b:
            reply, payload = svc.call("events", **{"from": start, "max": min(CHUNK, b - start + 1)})
            if not reply.get("ok") or reply["log_id"] != log_id or not reply["count"]:
                break
            with spool.transaction():
                for header, first_index, recs in decode_batch(payload or b""):
                    got += spool.refill_slice(door, log_id, header, first_index, recs)
            start = reply["next"]
    return got


def _head_of(st: dict) -> dict:
    lg = st["log"]
    return {"seq": lg["head"], "tag": lg["head_tag"], "time": lg["head_time"], "mac": lg["head_mac"],
            "segment": lg["segment"], "first": lg["first"], "acked": lg["acked"], "origin": lg["origin"],
            "fill": lg["fill"], "lost": lg["lost"], "alarms": st.get("alarms", []),
            "firmware": st.get("firmware"), "clock": st.get("clock"), "cardlist": st.get("cardlist")}
