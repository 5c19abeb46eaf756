"""A door log written on the host with the node's own format code (doornode.event_record):
what a provisioned node with this root and door id would hold, for server-only tests."""
from __future__ import annotations

import base64

from doornode import event_ack
from doornode import event_record as er
from provisioning.log_keys import log_key

CLOCK_2026 = 838_857_600         # 2026-08-01 in 2000-epoch seconds


class HostLog:
    def __init__(self, root: bytes, door_id: int, log_id: int = 0x1234ABCD, boot: int = 1):
        self.door, self.log_id, self.boot = door_id, log_id, boot
        self.key = log_key(root, door_id)
        self.segments: list[tuple[bytes, list[bytes]]] = []
        self.segment = -1
        self.next_seq = 1
        self.last_tag = 0

    def _new_segment(self):
        if self.segment >= 0:
            self.key = er.next_key(self.key)
        self.segment += 1
        self.mac = er.LogMac(self.key)
        header = er.pack_header(er.ORIGIN_PROVISIONED, self.boot, self.door, self.log_id, self.segment,
                                self.next_seq, self.last_tag, self.mac)
        self.segments.append((header, []))
        self.last_tag = er.header_tag(header)

    def append(self, etype=er.EV_GRANT, reason=0, card=1000, extra=0, t=None):
        if not self.segments or len(self.segments[-1][1]) == er.PER_SEGMENT:
            self._new_segment()
        t = CLOCK_2026 + self.next_seq if t is None else t
        rec = er.pack_record(t, etype, reason, extra, card, self.door, self.log_id, self.next_seq,
                             self.last_tag, self.mac)
        self.segments[-1][1].append(rec)
        self.last_tag = er.record_tag(rec)
        self.next_seq += 1
        return rec

    def fill(self, n, card0=1000):
        for i in range(n):
            self.append(card=card0 + i)
        return self

    def head(self, first=1):
        t = CLOCK_2026 + 10**6
        seq = self.next_seq - 1
        mac = event_ack.head_mac(self.mac, self.door, self.log_id, seq, self.last_tag, t)
        return {"seq": seq, "tag": self.last_tag, "time": t, "segment": self.segment, "mac": mac.hex(),
                "first": first}

    def slices(self, start=1, end=None):
        """JSON slices of records start..end (inclusive)."""
        end = self.next_seq - 1 if end is None else end
        out = []
        for header, recs in self.segments:
            first = er.unpack_header(header)[er.HDR_FIRST_SEQ]
            lo, hi = max(start, first), min(end, first + len(recs) - 1)
            if lo > hi:
                continue
            raw = b"".join(recs[lo - first:hi - first + 1])
            out.append({"header": base64.b64encode(header).decode(), "first_index": lo - first,
                        "records": base64.b64encode(raw).decode()})
        return out

    def batch(self, start=1, end=None, last=True, head=True, first=1):
        return {"log_id": self.log_id, "origin": er.ORIGIN_PROVISIONED, "node_id": f"door-{self.door}",
                "head": self.head(first) if head else None, "last": last, "slices": self.slices(start, end)}
