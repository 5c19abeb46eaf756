"""Reading the event log for a pull, its head, and acknowledgements (maintenance only).

    slices = read(log, from_seq, 500)        # [(header, first index, records bytes)]
    seq, tag, t, mac16 = head(log)
    acked, dropped = apply_ack(log, ack_bytes, door_key)

Kept apart from doornode.event_log so that the door loop does not carry this code
in RAM: it is imported when the maintenance service runs.
"""
from doornode import event_ack
from doornode import event_record as er



def first_seq(log):
    """The oldest sequence number still on the node (next_seq when empty)."""
    if not log.segments:
        return log.next_seq
    return log._extent(log.segments[0])[0]


def head(log):
    """(last seq, its tag, node time, MAC of these under the current segment key)."""
    t = log.now()
    seq = log.next_seq - 1
    return seq, log.last_tag, t, event_ack.head_mac(log.mac, log.door, log.log_id, seq, log.last_tag, t)


# ------------------------------------------------------------ reading (pull)

def read(log, from_seq, max_records):
    """Slices [(header, first index, records bytes)] from from_seq (or the oldest kept)."""
    out = []
    left = max_records
    for seg in log.segments:
        if left <= 0:
            break
        first, n = log._extent(seg)
        if first + n <= from_seq:
            continue
        start = max(0, from_seq - first)
        take = min(n - start, left)
        if take <= 0:
            continue
        with open(log._seg_path(seg), "rb") as f:
            f.seek(er.HEADER_SIZE + start * er.RECORD_SIZE)
            recs = f.read(take * er.RECORD_SIZE)
        out.append((log._header(seg), start, recs))
        left -= take
    return out


def record_tag_at(log, seq):
    for seg in log.segments:
        first, n = log._extent(seg)
        if first <= seq < first + n:
            with open(log._seg_path(seg), "rb") as f:
                f.seek(er.HEADER_SIZE + (seq - first) * er.RECORD_SIZE)
                return er.record_tag(f.read(er.RECORD_SIZE))
    return None


# ------------------------------------------------------------ acknowledgements

def apply_ack(log, ack, door_key):
    """Check the district's acknowledgement; keep it; drop the segments it covers.
    Returns (acked seq, segments dropped); raises ValueError(reason) for a bad one."""
    got = event_ack.check_ack(ack, log.door, door_key)
    if got is None:
        raise ValueError("forged or foreign acknowledgement")
    log_id, seq, tag = got
    if log_id != log.log_id:
        raise ValueError("acknowledgement of another log")
    if seq >= log.next_seq:
        raise ValueError("acknowledgement ahead of the log")
    if seq > log.acked:
        mine = record_tag_at(log, seq)
        if mine is not None and mine != tag:
            raise ValueError("acknowledged record differs from the node's")
        log._replace("ack", bytes(ack))
        log.acked = seq
        log.append(er.EV_ACK, 0, seq, 0)
    dropped = 0
    while len(log.segments) > 1:
        first, n = log._extent(log.segments[0])
        if first + n - 1 > log.acked:
            break
        log._drop_oldest()
        dropped += 1
    return log.acked, dropped


def unacked(log):
    return log.next_seq - 1 - max(log.acked, first_seq(log) - 1)

