"""Test helpers: read a node's whole log through the service and check every record."""
from doornode import event_record as er
from doornode.event_wire import decode_batch
from provisioning.event_chain import SegmentKeys, check_slice

from .conftest import DOOR, ROOT


def read_log(svc, start: int = 1):
    """[(header, first index, records)] of every record from start on."""
    slices = []
    while True:
        reply, payload = svc.call("events", **{"from": start, "max": 600})
        slices += decode_batch(payload)
        if reply["count"] == 0 or reply["next"] > reply["head"]:
            return slices, reply
        start = reply["next"]


def checked_records(slices, door: int = DOOR):
    """Every record with its verdict; raises AssertionError on a refused header."""
    out = []
    keys = None
    prev = None
    for header, first, recs in slices:
        h = er.unpack_header(header)
        keys = keys or SegmentKeys(ROOT, door, h[er.HDR_ORIGIN])
        res = check_slice(header, first, recs, door, keys, prev_tag=prev)
        assert res.problem is None, res.problem
        out += res.records
        prev = er.record_tag(recs, len(recs) - 16) if recs else prev
    return out


def verified_cards(svc):
    """Card fields of the verified records, in order; every record must verify and seqs run on."""
    slices, _ = read_log(svc)
    recs = checked_records(slices)
    assert all(r.ok for r in recs), [r for r in recs if not r.ok][:3]
    seqs = [r.seq for r in recs]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))) if seqs else True
    return [(r.fields[1] & 0x7F, r.fields[4]) for r in recs]
