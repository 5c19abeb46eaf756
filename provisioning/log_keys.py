"""Event-log keys: what the image builder puts on a node, and what the server verifies with.

    files = node_log_files(root, door_id)        # {"log/key": ...} for build_image(extra_files=...)
    key0 = segment_key0(root, door_id, origin)   # the server's start of the segment-key ratchet

A node's log starts from its provisioned log key (ORIGIN_PROVISIONED), derived from the
district root with its own label, so that neither the door key on the node nor any
other key reveals it. The node ratchets it forward once per segment and forgets the
old one (docs/event-log.md): a stolen node cannot re-sign its past segments.
"""
from __future__ import annotations

from doornode import event_record as er
from provisioning.keys import _check_id, _check_root, _prf, door_key


def log_key(root: bytes, door_id: int) -> bytes:
    """Segment 0's key of the door's log (32 bytes)."""
    _check_root(root)
    _check_id("door id", door_id)
    return _prf(root, "door log", door_id)


def node_log_files(root: bytes, door_id: int) -> dict[str, bytes]:
    """Files for the node's flash image: the log's key file at segment 0."""
    return {"log/key": er.key_file(er.ORIGIN_PROVISIONED, 0, log_key(root, door_id))}


def segment_key0(root: bytes, door_id: int, origin: int) -> bytes | None:
    """Segment 0's key for a log of this origin; None for an unkeyed node (nothing to verify)."""
    if origin == er.ORIGIN_PROVISIONED:
        return log_key(root, door_id)
    if origin == er.ORIGIN_DOOR_KEY:
        return er.derived_key0(door_key(root, door_id))
    return None
