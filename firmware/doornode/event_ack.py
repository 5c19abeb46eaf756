"""Head attestations and acknowledgements of the event log (node and host).

    mac16 = head_mac(LogMac(segment_key), door, log_id, head_seq, head_tag, node_time)
    ack = pack_ack(door, log_id, seq, tag, door_key)       # the district server
    check_ack(ack, door, door_key) -> (log_id, seq, tag) or None   # the node
"""
import struct

from doornode.event_record import LogMac

# ------------------------------------------------------------------ head attestation
def head_mac(mac, door, log_id, head_seq, head_tag, node_time):
    """The node vouches for its head (last seq and tag) with the current segment key."""
    return mac.mac(struct.pack(">4sIIIII", b"HEAD", door, log_id, head_seq, head_tag, node_time))[:16]


# ------------------------------------------------------------------ acknowledgements
ACK_MAGIC = b"DNAK"
ACK_SIZE = 36


def ack_key(door_key):
    return LogMac(door_key).mac(b"DNEV ack key v1")


def pack_ack(door, log_id, seq, tag, door_key):
    """The district's acknowledgement: every event of this log up to seq is stored."""
    body = struct.pack(">4sIIII", ACK_MAGIC, door, log_id, seq, tag)
    return body + LogMac(ack_key(door_key)).mac(body)[:16]


def check_ack(data, door, door_key):
    """(log_id, seq, tag) of a genuine acknowledgement for this door, or None."""
    if len(data) != ACK_SIZE:
        return None
    magic, a_door, log_id, seq, tag = struct.unpack(">4sIIII", data[:20])
    if magic != ACK_MAGIC or a_door != door:
        return None
    want = LogMac(ack_key(door_key)).mac(bytes(data[:20]))[:16]
    diff = 0
    for i in range(16):
        diff |= want[i] ^ data[20 + i]
    if diff:
        return None
    return log_id, seq, tag
