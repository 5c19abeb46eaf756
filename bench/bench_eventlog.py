"""Event log bench: append cost on the twin, pull throughput at 115200 and 921600 baud,
server ingestion on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_eventlog.py [--events 10000] [--no-postgres]

Targets (issue 7): 10,000 events pulled at 115200 baud in under 20 s; ingestion over
20,000 events/s on PostgreSQL. Line rate: 10 bits per byte on the wire (8N1).
"""
from __future__ import annotations

import argparse
import base64
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from host_tools.node_service import NodeService  # noqa: E402
from host_tools.pull import pull_events  # noqa: E402
from host_tools.spool import Spool  # noqa: E402
from host_tools.transport import NodeTransport  # noqa: E402
from hw.twin.launcher import Twin  # noqa: E402


def image(tmp: Path) -> Path:
    from tests.eventlog.conftest import provisioned_image
    path = tmp / "node.bin"
    path.write_bytes(provisioned_image())
    return path


def bench_twin(img: Path, baud: int | None, events: int, tmp: Path) -> dict:
    out = {"baud": baud}
    with Twin(img, baud=baud) as twin:
        node = NodeTransport.connect(twin.url, baudrate=baud or 115200)
        node.soft_reset()
        node.exec("from doornode import maintenance_service as m\nlg = m.log()\nimport time")
        n = 0
        t_node = 0
        while n < events:
            k = min(1000, events - n)
            us = int(node.exec(f"t=time.ticks_us()\nfor i in range({k}): lg.append(2, 0, 1000 + {n} + i, 0)\n"
                               "print(time.ticks_diff(time.ticks_us(), t))", timeout=120))
            t_node += us
            n += k
        out["append_ms"] = t_node / 1000 / events
        node.close()
        time.sleep(0.05)
        node = NodeTransport.connect(twin.url, baudrate=baud or 115200)
        svc = NodeService(node).begin()
        with Spool.open(tmp / f"spool-{baud}.sqlite") as spool:
            t0 = time.monotonic()
            r = pull_events(node, spool, service=svc)
            dt = time.monotonic() - t0
        node.close()
    out.update(pulled=r.pulled, pull_s=dt, events_per_s=r.pulled / dt, wire_bytes=r.wire_bytes,
               bytes_per_event=r.wire_bytes / r.pulled)
    if baud:
        out["line_fraction"] = r.wire_bytes * 10 / baud / dt
    return out


def bench_ingest(url: str, events: int, batch: int = 2000) -> dict:
    from server import access, ingest
    from server.app import create_app
    from tests.server.district_world import ROOT_SECRET, SERVER_SECRET, World
    from tests.server.event_log_writer import HostLog
    from server.db import session_scope
    app = create_app(url, secret=SERVER_SECRET, root_secret=ROOT_SECRET)
    world = World(app).build()
    door = world.doors_a[0]
    log = HostLog(ROOT_SECRET, door).fill(events)
    with session_scope(app.state.context.engine) as s:
        who = access.principal_of(s.get(access.User, world.users["maintainer_a"]))
    batches = []
    for start in range(1, events + 1, batch):
        b = log.batch(start, min(events, start + batch - 1))
        batches.append(ingest.BatchIn(b["log_id"], b["origin"], [
            ingest.SliceIn(base64.b64decode(x["header"]), x["first_index"], base64.b64decode(x["records"]))
            for x in b["slices"]], b["head"], b["last"]))
    t0 = time.monotonic()
    for b in batches:
        with session_scope(app.state.context.engine) as s:
            ingest.ingest_batch(s, who, ROOT_SECRET, door, b)
    dt = time.monotonic() - t0
    # The same over HTTP: a spool holding another door's log, `sync` to a live uvicorn server.
    from host_tools.sync import sync
    from tests.eventlog.live_server import LiveServer
    door2 = world.doors_a[1]
    log2 = HostLog(ROOT_SECRET, door2).fill(events)
    with tempfile.TemporaryDirectory() as d, Spool.open(Path(d) / "spool.sqlite") as spool:
        with spool.transaction():
            spool.begin_log(door2, log2.log_id, 0, None, 1)
            for header, recs in log2.segments:
                spool.store_slice(door2, log2.log_id, header, 0, b"".join(recs))
            spool.advance(door2, log2.log_id, events + 1, events, log2.last_tag)
            spool.set_head(door2, log2.log_id, log2.head())
        server = LiveServer(app).start()
        try:
            t0 = time.monotonic()
            r = sync(spool, server.url, world.tokens["maintainer_a"])
            dt_http = time.monotonic() - t0
        finally:
            server.stop()
    assert r.uploaded == events, r.as_dict()
    app.state.context.engine.dispose()
    return {"events": events, "seconds": dt, "events_per_s": events / dt, "http_s": dt_http,
            "http_events_per_s": events / dt_http}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10000, help="events to append and pull")
    ap.add_argument("--ingest-events", type=int, default=40000, help="events to ingest per store")
    ap.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        img = image(tmp)
        for baud in (115200, 921600):
            fresh = tmp / f"node-{baud}.bin"
            fresh.write_bytes(img.read_bytes())      # the twin writes its flash image in place
            r = bench_twin(fresh, baud, args.events, tmp)
            print(f"twin {baud} baud: append {r['append_ms']:.3f} ms/event (node time); pulled {r['pulled']} "
                  f"in {r['pull_s']:.1f} s = {r['events_per_s']:.0f} events/s, {r['bytes_per_event']:.1f} "
                  f"wire bytes/event, {100 * r['line_fraction']:.0f} % of line rate")
        r = bench_ingest(f"sqlite:///{tmp}/bench.sqlite3", args.ingest_events)
        print(f"ingest SQLite: {r['events']} events in {r['seconds']:.2f} s = {r['events_per_s']:.0f} events/s; "
              f"over HTTP (doorctl sync, uvicorn) {r['http_events_per_s']:.0f} events/s")
        if not args.no_postgres:
            from sqlalchemy import create_engine
            from sqlalchemy.engine import make_url
            from tests.server.district_world import POSTGRES_URL
            schema = f"bench_eventlog_{os.getpid()}"
            admin = create_engine(POSTGRES_URL)
            with admin.begin() as c:
                c.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            try:
                url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
                r = bench_ingest(url.render_as_string(hide_password=False), args.ingest_events)
                print(f"ingest PostgreSQL: {r['events']} events in {r['seconds']:.2f} s = "
                      f"{r['events_per_s']:.0f} events/s; over HTTP (doorctl sync, uvicorn) "
                      f"{r['http_events_per_s']:.0f} events/s")
            finally:
                with admin.begin() as c:
                    c.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
                admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
