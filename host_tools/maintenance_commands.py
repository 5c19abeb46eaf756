"""`doorctl pull`, `push`, `sync`, `status`: the maintenance visit (docs/protocol.md).

Thin CLI over host_tools.pull / push / sync and the node service; the spool is
host_tools.spool (default in the user's data directory, --spool or DOORCTL_SPOOL).
"""
from __future__ import annotations

import argparse
import json
import os

from host_tools.errors import DoorctlError


def _spool_arg(p):
    p.add_argument("--spool", default=None, metavar="PATH",
                   help="the laptop's spool file (default: $DOORCTL_SPOOL, else spool.sqlite in the "
                        "user's data directory)")


def _port_arg(p):
    p.add_argument("--port", required=True, help="the node's serial port, or a twin's socket:// URL")
    p.add_argument("--baud", type=int, default=115200, help="serial line rate (default 115200)")


def register(sub) -> None:
    p = sub.add_parser("pull", help="copy a door node's event records into the laptop's spool (resumable)")
    _port_arg(p)
    _spool_arg(p)
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_pull)

    p = sub.add_parser("push", help="set a node's clock and deliver the acknowledgement and card list "
                                    "waiting for it in the spool")
    _port_arg(p)
    _spool_arg(p)
    p.add_argument("--reset-alarms", action="store_true", help="also reset the node's latched alarms")
    p.set_defaults(func=cmd_push)

    p = sub.add_parser("sync", help="upload spooled events to the district server; fetch acknowledgements "
                                    "and card lists")
    p.add_argument("--server", required=True, metavar="URL", help="the district server, e.g. http://host:8600")
    p.add_argument("--token", default=None,
                   help="bearer token of a maintainer or installer (default: $DOORCTL_TOKEN)")
    _spool_arg(p)
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("status", help="a node's firmware, ids, card list, log head and fill, clock and alarms")
    _port_arg(p)
    p.add_argument("--json", action="store_true", help="print the node's status as JSON")
    p.set_defaults(func=cmd_status)


def _open_spool(args):
    from host_tools.spool import Spool
    return Spool.open(args.spool)


def _session(args):
    from host_tools.node_service import NodeService
    from host_tools.transport import NodeTransport
    node = NodeTransport.connect(args.port, baudrate=args.baud)
    return node, NodeService(node).begin()


def cmd_pull(args) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from host_tools.pull import pull_events
    node, svc = _session(args)
    try:
        with _open_spool(args) as spool:
            if args.quiet:
                r = pull_events(node, spool, service=svc)
            else:
                columns = (TextColumn("door {task.fields[door]}"), BarColumn(),
                           TextColumn("{task.completed}/{task.total} events"), TextColumn("{task.fields[rate]}"),
                           TimeRemainingColumn())
                with Progress(*columns) as bar:
                    task = {}

                    def show(p):
                        if "id" not in task:
                            task["id"] = bar.add_task("pull", total=p.total, door=p.door_id, rate="")
                        rate = p.done / p.elapsed_s if p.elapsed_s else 0
                        bar.update(task["id"], completed=p.done,
                                   rate=f"{rate:.0f} ev/s, {p.bytes_per_s / 1024:.1f} KiB/s")
                    r = pull_events(node, spool, progress=show, service=svc)
    finally:
        svc.finish()
        node.close()
    print(f"door {r.door_id}: {r.pulled} new events (seq {r.first}..{r.head}), {r.duplicates} already held, "
          f"{r.wire_bytes} bytes in {r.elapsed_s:.1f} s")
    for a, b, why in r.gaps:
        print(f"  not pulled: {a}..{b}: {why}")
    if r.link_breaks or r.conflicts:
        print(f"  WARNING: chain breaks at {r.link_breaks}, {r.conflicts} records differ from the spool's copy")
    return 0


def cmd_push(args) -> int:
    from host_tools.push import push
    node, svc = _session(args)
    try:
        with _open_spool(args) as spool:
            out = push(node, spool, service=svc, reset_alarms=args.reset_alarms)
    finally:
        svc.finish()
        node.close()
    c = out["clock"]
    print(f"door {out['door_id']}: clock set" + (f" (drift {c['drift_s']} s)" if c and c.get("drift_s") is not None
                                                  else " (it was not set)" if c and not c["was_set"] else ""))
    if out["ack"]:
        a = out["ack"]
        print(f"  acknowledgement up to {a['seq']}: " + (f"taken, {a['dropped']} segments freed" if a.get("ok")
                                                         else f"refused: {a.get('error')}"))
    if out["card_list"]:
        print(f"  card list version {out['card_list']['version']} installed")
    if out["alarms_reset"] is not None:
        print(f"  alarms reset: {', '.join(out['alarms_reset']) or 'none'}")
    return 0


def cmd_sync(args) -> int:
    from host_tools.sync import sync
    token = args.token or os.environ.get("DOORCTL_TOKEN")
    if not token:
        raise DoorctlError("a token is needed: --token or DOORCTL_TOKEN (doorctl server --create-user)")
    with _open_spool(args) as spool:
        r = sync(spool, args.server, token)
    print(f"uploaded {r.uploaded} events in {r.batches} batches ({r.duplicates} the server already had)")
    for door, seq in sorted(r.acks.items()):
        print(f"  door {door}: acknowledged up to {seq} (doorctl push delivers it)")
    for door, gaps in sorted(r.gaps.items()):
        for g in gaps:
            print(f"  door {door}: {g['kind']} {g['from']}..{g['to']}")
    for x in r.rejected:
        print(f"  door {x['door_id']}: seq {x['seq']} refused: {x['reason']}")
    for door, version in sorted(r.card_lists.items()):
        print(f"  door {door}: card list version {version} waiting for push")
    return 0


def cmd_status(args) -> int:
    node, svc = _session(args)
    try:
        st = svc.status()
    finally:
        svc.finish()
        node.close()
    if args.json:
        print(json.dumps(st, indent=2))
        return 0
    lg, clock = st["log"], st["clock"]
    cl = st.get("cardlist") or {}
    print(f"node {st.get('node_id')} door {st['door_id']} firmware {st['firmware']}")
    print(f"card list: version {cl.get('version', '-')} ({cl.get('count', 0)} cards)")
    print(f"log: events {lg['first']}..{lg['head']}, acknowledged up to {lg['acked']}, "
          f"{lg['unacked']} waiting, {lg['fill']}% full")
    print(f"clock: {'set' if clock['ok'] else 'NOT SET'}" +
          (f", drift {clock['drift_s']} s ({clock['drift_ppm']} ppm)" if clock.get("drift_s") is not None else ""))
    print(f"alarms: {', '.join(st['alarms']) or 'none'}; reader: {st.get('reader') or 'not running'}")
    return 0
