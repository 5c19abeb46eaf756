"""Checking a door's event records on the host: the door wrote them, the chain is whole.

    keys = SegmentKeys(root, door_id, origin)            # ratchets segment keys, cached
    result = check_slice(header, first_index, records, door_id, keys, prev_tag=None)
    result.problem        # None, or why the header itself is refused
    for r in result.records: r.seq, r.ok, r.reason, r.fields

Used by the district server's ingestion and by the tests. A record is accepted only
when its tag is the MAC, under its segment's key, of its place in the log (door, log,
sequence number), its content and the tag before it (docs/event-log.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from doornode import event_record as er
from provisioning.log_keys import segment_key0


class SegmentKeys:
    """Keys of one door log's segments, ratcheted forward from segment 0 and cached."""

    def __init__(self, root: bytes, door_id: int, origin: int):
        self.key0 = segment_key0(root, door_id, origin)
        self._cache: dict[int, er.LogMac] = {}
        self._last = (0, self.key0)

    def mac(self, segment: int) -> er.LogMac | None:
        if self.key0 is None:
            return None
        got = self._cache.get(segment)
        if got is None:
            start, key = self._last if self._last[0] <= segment else (0, self.key0)
            key = er.key_at(key, segment, start)
            self._last = (segment, key)
            got = self._cache[segment] = er.LogMac(key)
        return got


@dataclass
class CheckedRecord:
    seq: int
    record: bytes
    ok: bool
    reason: str | None = None

    @property
    def fields(self):
        return er.unpack_record(self.record)


@dataclass
class SliceCheck:
    segment: int | None
    log_id: int | None
    first_seq: int | None
    problem: str | None = None
    records: list[CheckedRecord] = field(default_factory=list)


def check_slice(header: bytes, first_index: int, records: bytes, door_id: int, keys: SegmentKeys,
                prev_tag: int | None = None) -> SliceCheck:
    """Check one slice of a segment. prev_tag: the tag of the record before first_index
    (needed when the slice does not start at the segment's first record)."""
    h = er.unpack_header(header)
    if h is None:
        return SliceCheck(None, None, None, "not an event segment header")
    origin, segment, log_id, first = h[er.HDR_ORIGIN], h[er.HDR_SEGMENT], h[er.HDR_LOG], h[er.HDR_FIRST_SEQ]
    out = SliceCheck(segment, log_id, first)
    if h[er.HDR_DOOR] != door_id:
        out.problem = f"segment written by door {h[er.HDR_DOOR]}, not {door_id}"
        return out
    mac = keys.mac(segment)
    if mac is None:
        out.problem = "written by an unprovisioned node (no log key): cannot be authenticated"
        return out
    if not er.header_ok(header, mac):
        out.problem = "segment header tag does not verify (forged, or another key)"
        return out
    if len(records) % er.RECORD_SIZE or first_index + len(records) // er.RECORD_SIZE > er.PER_SEGMENT:
        out.problem = "records do not fit the segment"
        return out
    prev = er.header_tag(header) if first_index == 0 else prev_tag
    for i in range(len(records) // er.RECORD_SIZE):
        seq = first + first_index + i
        rec = records[i * er.RECORD_SIZE:(i + 1) * er.RECORD_SIZE]
        if prev is None:
            out.records.append(CheckedRecord(seq, rec, False, "the record before is unknown"))
        elif er.record_ok(rec, 0, door_id, log_id, seq, prev, mac):
            out.records.append(CheckedRecord(seq, rec, True))
        else:
            out.records.append(CheckedRecord(seq, rec, False, "tag does not verify (edited or damaged)"))
        prev = er.record_tag(rec)
    return out
