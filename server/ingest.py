"""Ingestion of door event batches: verify, store once, find what is missing, acknowledge.

    result = ingest_batch(session, principal, root_secret, door_id, batch)
    result["ack"]       # hex: the acknowledgement the node checks with its door key

A batch is what a laptop pulled from one node's log (host_tools/sync.py): slices of
segments (32-byte header, first index, 16-byte records) and the head the node
reported at the pull, with its MAC. For each record:
- the segment header and the record's tag must verify under the segment key
  (ratcheted from the door's log key: provisioning.event_chain), so only the door
  wrote it, and the tag chains it to the record before;
- a record already stored with the same bytes is a duplicate (a batch uploaded
  twice changes nothing); one with other bytes, or that does not verify, is refused
  with a reason and kept in event_quarantine;
- sequence numbers the district does not hold become gaps: `missing` (may still
  arrive), `lost` (the node dropped them when its log was full, proven by its
  authenticated EVENTS_LOST records), `cut_tail` (the node vouched for a head the
  batch does not reach).
The acknowledgement covers every record up to `stored_to`, the end of the
unbroken stored run (lost gaps included); the node drops segments it covers.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, insert, or_, and_, select
from sqlalchemy.orm import Session

from doornode import event_ack
from doornode import event_record as er
from provisioning.event_chain import SegmentKeys, check_slice

from . import registry
from .access import Principal
from .errors import Invalid
from .models import DoorEvent, DoorLog, EventGap, EventQuarantine
from .timeutil import utcnow

MIN_RETENTION_DAYS = 180     # GB 50396: access records kept at least 180 days
MAX_BATCH_RECORDS = 5000


@dataclass
class SliceIn:
    header: bytes
    first_index: int
    records: bytes


@dataclass
class BatchIn:
    log_id: int
    origin: int
    slices: list[SliceIn]
    head: dict | None = None        # {"seq", "tag", "time", "segment", "mac" (hex), "first"}
    last: bool = False              # the last batch of a pull: the head must be reached
    node_id: str | None = None


def _time_of(node_time: int, etype: int) -> datetime | None:
    if etype & er.CLOCK_UNSET or node_time < er.CLOCK_MIN:
        return None
    return datetime.fromtimestamp(node_time + er.EPOCH_2000, tz=timezone.utc)


def _door_log(session: Session, door_id: int, batch: BatchIn, now: datetime) -> DoorLog:
    q = select(DoorLog).where(DoorLog.door_id == door_id, DoorLog.log_id == batch.log_id)
    dl = session.scalar(q.with_for_update())
    if dl is None:
        dl = DoorLog(door_id=door_id, log_id=batch.log_id, origin=batch.origin, node_id=batch.node_id,
                     stored_to=0, stored_tag=None, max_seq=0, reported_head=0, node_first=0,
                     first_seen=now)
        session.add(dl)
        session.flush()
    return dl


def ingest_batch(session: Session, principal: Principal, root_secret: bytes, door_id: int,
                 batch: BatchIn, now: datetime | None = None) -> dict:
    principal.require("event.upload")
    door = registry.get_door(session, principal.area, door_id)      # 404 outside the caller's area
    now = now or utcnow()
    if sum(len(s.records) // er.RECORD_SIZE for s in batch.slices) > MAX_BATCH_RECORDS:
        raise Invalid(f"at most {MAX_BATCH_RECORDS} records per batch")
    keys = SegmentKeys(root_secret, door.id, batch.origin)
    if keys.key0 is None:
        raise Invalid("records of an unprovisioned node (no log key) cannot be authenticated")
    dl = _door_log(session, door.id, batch, now)
    if dl.origin != batch.origin:
        raise Invalid("this log was first uploaded with another key origin")
    quarantine: list[dict] = []
    good: dict[int, tuple] = {}        # seq -> (record, segment, boot)
    link_breaks: list[int] = []
    unverified: list[int] = []

    def refuse(seq, header, record, reason):
        quarantine.append(dict(door_id=door.id, log_id=batch.log_id, seq=seq, header=header, record=record,
                               reason=reason, uploaded_by=principal.login, received_at=now))

    tags_in_batch: dict[int, int] = {}
    for sl in batch.slices:
        h = er.unpack_header(sl.header)
        if h is None or h[er.HDR_LOG] != batch.log_id:
            refuse(None, sl.header, sl.records or None,
                   "not a segment header of this log" if h else "not an event segment header")
            continue
        seq0 = h[er.HDR_FIRST_SEQ] + sl.first_index
        prev = None
        if sl.first_index > 0:
            prev = tags_in_batch.get(seq0 - 1)
            if prev is None:
                prev = _stored_tag(session, door.id, batch.log_id, seq0 - 1)
        res = check_slice(sl.header, sl.first_index, sl.records, door.id, keys, prev_tag=prev)
        if res.problem:
            n = len(sl.records) // er.RECORD_SIZE
            for i in range(max(n, 1)):
                rec = sl.records[i * 16:(i + 1) * 16] if n else None
                refuse(seq0 + i if n else None, sl.header, rec, res.problem)
            continue
        if sl.first_index == 0:
            before = tags_in_batch.get(seq0 - 1)
            if before is None and seq0 > 1:
                before = _stored_tag(session, door.id, batch.log_id, seq0 - 1)
            if before is not None and before != h[er.HDR_PREV_TAG]:
                link_breaks.append(seq0)
        boot = h[er.HDR_BOOT]
        for r in res.records:
            tags_in_batch[r.seq] = er.record_tag(r.record)
            if r.ok:
                t, ty, re, ex, card, _tag = r.fields
                if ty & 0x7F == er.EV_BOOT:
                    boot = card & 0xFFFF
                good[r.seq] = (r.record, res.segment, boot)
            elif prev is None and r.seq == seq0:
                # Its MAC chains to a record the district does not hold yet: it cannot be
                # checked now and is left out (a gap) until an upload brings the one before.
                unverified.append(r.seq)
            else:
                refuse(r.seq, sl.header, r.record, r.reason)

    received = sum(len(s.records) // er.RECORD_SIZE for s in batch.slices)
    stored = duplicates = 0
    seqs = sorted(good)
    if seqs:
        existing = dict(session.execute(
            select(DoorEvent.seq, DoorEvent.record).where(
                DoorEvent.door_id == door.id, DoorEvent.log_id == batch.log_id,
                DoorEvent.seq.between(seqs[0], seqs[-1]))).all())
        rows = []
        for seq in seqs:
            rec, segment, boot = good[seq]
            old = existing.get(seq)
            if old is not None:
                if bytes(old) == rec:
                    duplicates += 1
                else:
                    refuse(seq, b"", rec, "differs from the record already stored for this sequence number")
                continue
            t, ty, re, ex, card, _tag = struct.unpack(">IBBHII", rec)
            rows.append(dict(door_id=door.id, log_id=batch.log_id, seq=seq, segment=segment, boot=boot,
                             at=_time_of(t, ty), node_time=t, kind=ty, reason=re, extra=ex, card_id=card,
                             record=rec, received_at=now))
        if rows:
            _insert_events(session, rows)
            stored = len(rows)
        dl.max_seq = max(dl.max_seq, seqs[-1])
    # Quarantine whatever was refused, including tampered copies of stored records.
    if quarantine:
        session.execute(insert(EventQuarantine), quarantine)

    head_note = _check_head(dl, batch, keys, now)
    _advance(session, dl, door.id, batch, now)
    gaps = _gaps(session, dl, door.id, batch, head_note, now)
    dl.last_upload = now
    if batch.node_id:
        dl.node_id = batch.node_id
    session.flush()
    ack = None
    if dl.stored_to > 0 and dl.stored_tag is not None:
        from provisioning.keys import door_key
        ack = event_ack.pack_ack(door.id, batch.log_id, dl.stored_to, dl.stored_tag,
                                 door_key(root_secret, door.id)).hex()
    return {"door_id": door.id, "log_id": batch.log_id, "received": received, "stored": stored,
            "duplicates": duplicates,
            "rejected": [{"seq": q["seq"], "reason": q["reason"]} for q in quarantine],
            "link_breaks": link_breaks, "unverified": unverified, "gaps": gaps, "head": head_note,
            "stored_to": dl.stored_to, "max_seq": dl.max_seq, "ack": ack,
            "server_time": now.timestamp()}


_EVENT_COLUMNS = ("door_id", "log_id", "seq", "segment", "boot", "at", "node_time", "kind", "reason", "extra",
                  "card_id", "record", "received_at")


def _insert_events(session: Session, rows: list[dict]) -> None:
    """Bulk insert: COPY on PostgreSQL (several times faster than INSERT), executemany elsewhere."""
    conn = session.connection()
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY door_events ({', '.join(_EVENT_COLUMNS)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row([r[c] for c in _EVENT_COLUMNS])
        return
    session.execute(insert(DoorEvent), rows)


def _stored_tag(session: Session, door_id: int, log_id: int, seq: int) -> int | None:
    rec = session.scalar(select(DoorEvent.record).where(DoorEvent.door_id == door_id,
                                                        DoorEvent.log_id == log_id, DoorEvent.seq == seq))
    return None if rec is None else er.record_tag(bytes(rec))


def _check_head(dl: DoorLog, batch: BatchIn, keys: SegmentKeys, now: datetime) -> dict | None:
    """Verify the head the node reported (its MAC under the current segment key)."""
    h = batch.head
    if not h:
        return None
    try:
        mac = keys.mac(int(h["segment"]))
        want = event_ack.head_mac(mac, dl.door_id, batch.log_id, int(h["seq"]), int(h["tag"]), int(h["time"]))
        ok = want.hex() == str(h["mac"]).lower()
    except (KeyError, TypeError, ValueError):
        ok = False
    note = {"seq": h.get("seq"), "verified": ok}
    if not ok:
        note["problem"] = "the head attestation does not verify (not what the node reported)"
        return note
    seq = int(h["seq"])
    if seq < dl.reported_head:
        note["problem"] = (f"the node reports head {seq}, below the {dl.reported_head} it reported before: "
                           "its log was cut back")
        return note
    dl.reported_head, dl.reported_head_tag, dl.reported_at = seq, int(h["tag"]), now
    if isinstance(h.get("first"), int):
        dl.node_first = max(dl.node_first, h["first"])
    return note


def _advance(session: Session, dl: DoorLog, door_id: int, batch: BatchIn, now: datetime) -> None:
    """Move stored_to over the unbroken run of stored records (and over proven-lost gaps)."""
    while True:
        rows = session.execute(
            select(DoorEvent.seq, DoorEvent.record, DoorEvent.kind).where(
                DoorEvent.door_id == door_id, DoorEvent.log_id == batch.log_id,
                DoorEvent.seq > dl.stored_to).order_by(DoorEvent.seq).limit(20000)).all()
        if not rows:
            return
        moved = False
        for seq, rec, kind in rows:
            if seq == dl.stored_to + 1:
                dl.stored_to, dl.stored_tag = seq, er.record_tag(bytes(rec))
                moved = True
                continue
            # A hole: the node may have dropped those records (full log). Accepted as lost
            # when the node admitted losing events (a verified EVENTS_LOST record after the
            # hole) and its head report says its oldest record is past the hole.
            admitted = session.scalar(select(func.count()).select_from(DoorEvent).where(
                DoorEvent.door_id == door_id, DoorEvent.log_id == batch.log_id, DoorEvent.seq > dl.stored_to,
                DoorEvent.kind.in_((er.EV_EVENTS_LOST, er.EV_EVENTS_LOST | er.CLOCK_UNSET))))
            hole = (dl.stored_to + 1, seq - 1)
            if admitted and dl.node_first > hole[1]:
                _put_gap(session, door_id, batch.log_id, hole, "lost", now)
                dl.stored_to, dl.stored_tag = seq, er.record_tag(bytes(rec))
                moved = True
                continue
            return
        if not moved:
            return


def _put_gap(session: Session, door_id: int, log_id: int, span, kind: str, now: datetime) -> None:
    row = session.scalar(select(EventGap).where(EventGap.door_id == door_id, EventGap.log_id == log_id,
                                                EventGap.from_seq == span[0]))
    if row is None:
        session.add(EventGap(door_id=door_id, log_id=log_id, from_seq=span[0], to_seq=span[1], kind=kind,
                             found_at=now))
    else:
        row.to_seq, row.kind = span[1], kind


def _gaps(session: Session, dl: DoorLog, door_id: int, batch: BatchIn, head_ok, now: datetime) -> list[dict]:
    """Missing ranges above stored_to (holes between stored records, and a cut tail)."""
    # Open gaps are recomputed from what is stored: forget the ones that filled.
    session.execute(delete(EventGap).where(EventGap.door_id == door_id, EventGap.log_id == batch.log_id,
                                           EventGap.kind != "lost", EventGap.to_seq <= dl.stored_to))
    out = []
    seqs = [s for (s,) in session.execute(select(DoorEvent.seq).where(
        DoorEvent.door_id == door_id, DoorEvent.log_id == batch.log_id,
        DoorEvent.seq > dl.stored_to).order_by(DoorEvent.seq)).all()]
    prev = dl.stored_to
    for s in seqs:
        if s > prev + 1:
            out.append({"from": prev + 1, "to": s - 1, "kind": "missing"})
        prev = s
    top = max(prev, dl.stored_to)
    if dl.reported_head > top and batch.last and head_ok and head_ok.get("verified"):
        out.append({"from": top + 1, "to": dl.reported_head, "kind": "cut_tail"})
    for g in out:
        _put_gap(session, door_id, batch.log_id, (g["from"], g["to"]), g["kind"], now)
    lost = session.execute(select(EventGap.from_seq, EventGap.to_seq).where(
        EventGap.door_id == door_id, EventGap.log_id == batch.log_id, EventGap.kind == "lost")).all()
    return [{"from": a, "to": b, "kind": "lost"} for a, b in lost] + out


# ------------------------------------------------------------ reading and retention
def door_acks(session: Session, principal: Principal, root_secret: bytes, door_ids: list[int] | None) -> list[dict]:
    """The newest acknowledgement of each door (in the caller's area) that has uploaded logs."""
    principal.require("event.upload")
    from provisioning.keys import door_key
    q = select(DoorLog).order_by(DoorLog.door_id, DoorLog.last_upload)
    if door_ids:
        q = q.where(DoorLog.door_id.in_(door_ids))
    newest: dict[int, DoorLog] = {}
    for dl in session.scalars(q):
        if dl.stored_to > 0:
            newest[dl.door_id] = dl
    out = []
    for door_id, dl in sorted(newest.items()):
        try:
            registry.get_door(session, principal.area, door_id)
        except Exception:  # noqa: BLE001 - another area's door: not listed
            continue
        out.append({"door_id": door_id, "log_id": dl.log_id, "seq": dl.stored_to,
                    "ack": event_ack.pack_ack(door_id, dl.log_id, dl.stored_to, dl.stored_tag,
                                              door_key(root_secret, door_id)).hex()})
    return out


def door_events(session: Session, principal: Principal, door_id: int, after_seq: int = 0,
                limit: int = 1000) -> list[DoorEvent]:
    principal.require("event.read")
    door = registry.get_door(session, principal.area, door_id)
    return list(session.scalars(select(DoorEvent).where(DoorEvent.door_id == door.id, DoorEvent.seq > after_seq)
                                .order_by(DoorEvent.log_id, DoorEvent.seq).limit(limit)))


def purge_events(session: Session, retention_days: int, now: datetime | None = None) -> dict:
    """Delete events (and quarantined records) older than retention_days (at least 180).

    An event's age is its node time, or when it arrived if the node's clock was not set."""
    if retention_days < MIN_RETENTION_DAYS:
        raise Invalid(f"event retention must be at least {MIN_RETENTION_DAYS} days (GB 50396)")
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    old = or_(DoorEvent.at < cutoff, and_(DoorEvent.at.is_(None), DoorEvent.received_at < cutoff))
    events = session.execute(delete(DoorEvent).where(old)).rowcount
    quarantined = session.execute(delete(EventQuarantine).where(EventQuarantine.received_at < cutoff)).rowcount
    return {"events": events, "quarantined": quarantined, "cutoff": cutoff.isoformat()}
