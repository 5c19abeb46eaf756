"""The maintenance visit in one call, for `make demo`: pull -> sync -> push.

    summary = visit(twin.url, spool_path, server_url, token)
    # {"door_id", "pulled", "uploaded", "duplicates", "rejected", "gaps", "acknowledged",
    #  "trimmed" (= node_segments_freed: 254-event segments the node deleted), "node_segments_freed", "spool_trimmed", "card_list", "clock_drift_s", "node_unacked"}
"""
from __future__ import annotations

from pathlib import Path

from host_tools.node_service import NodeService
from host_tools.pull import pull_events
from host_tools.push import push
from host_tools.spool import Spool
from host_tools.sync import sync
from host_tools.transport import NodeTransport


def visit(port: str, spool_path: str | Path, server_url: str, token: str) -> dict:
    with Spool.open(spool_path) as spool:
        node = NodeTransport.connect(port)
        svc = NodeService(node).begin()
        try:
            pulled = pull_events(node, spool, service=svc)
            up = sync(spool, server_url, token)
            done = push(node, spool, service=svc)
            after = svc.status()
        finally:
            svc.finish()
            node.close()
    ack = done.get("ack") or {}
    return {"door_id": pulled.door_id, "pulled": pulled.pulled, "uploaded": up.uploaded,
            "duplicates": up.duplicates, "rejected": len(up.rejected),
            "gaps": up.gaps.get(pulled.door_id, []),
            "acknowledged": ack.get("acked") if ack.get("ok") else None,
            "trimmed": ack.get("dropped", 0), "node_segments_freed": ack.get("dropped", 0), "spool_trimmed": ack.get("spool_trimmed", 0),
            "card_list": (done.get("card_list") or {}).get("version"),
            "clock_drift_s": (done.get("clock") or {}).get("drift_s"),
            "node_unacked": after["log"]["unacked"]}
