"""Door to district on a real twin, a real spool and a real HTTP server, one test per fault:
a pulled cable, the server going down mid-upload, a laptop crash mid-sync, an event
edited in the spool, a node that lost its clock, a full log. After each, the district
holds every event exactly once (or says precisely which it does not), and the node
takes the acknowledgement."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from doornode import event_record as er
from host_tools.node_service import NodeService
from host_tools.pull import pull_events
from host_tools.push import push
from host_tools.spool import Spool
from host_tools.sync import SyncError, sync
from host_tools.transport import NodeUnreachable
from server.models import DoorEvent, EventQuarantine

from .conftest import append, connect, setup_node

ROOT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _fill(twin, n, card0=1000):
    node = connect(twin)
    setup_node(node)
    append(node, n, card0)
    node.close()


def _session(twin):
    node = connect(twin, reset=False)
    return node, NodeService(node).begin()


def _stored(world, door=1):
    with world.session() as s:
        seqs = [r for (r,) in s.execute(select(DoorEvent.seq).where(DoorEvent.door_id == door)
                                        .order_by(DoorEvent.seq))]
        total = s.scalar(select(func.count()).select_from(DoorEvent))
    assert total == len(seqs)
    return seqs


def _token(world):
    return world.tokens["maintainer_a"]


def test_cable_pulled_mid_pull_then_resumed(district_twin, district, tmp_path):
    app, world, server = district
    _fill(district_twin, 1500)
    spool = Spool.open(tmp_path / "spool.sqlite")
    node, svc = _session(district_twin)
    seen = []

    def cut_after_two_chunks(p):
        seen.append(p.done)
        if len(seen) == 2:
            node.raw.serial.close()             # the cable comes out: the port is gone mid-pull
    with pytest.raises(NodeUnreachable):
        pull_events(node, spool, progress=cut_after_two_chunks, service=svc)
    node.close()
    held = spool.count()
    assert held == seen[-1] == 1200              # what arrived before the cut is kept
    node, svc = _session(district_twin)    # plugged in again
    result = pull_events(node, spool, service=svc)
    head = result.head
    assert result.duplicates == 0 and result.pulled == head - held
    st = spool.logs()[0]
    assert spool.seqs(1, st.log_id) == list(range(1, head + 1))       # no gap, no duplicate
    out = sync(spool, server.url, _token(world))
    assert out.uploaded == head and out.rejected == [] and out.gaps == {}
    assert _stored(world) == list(range(1, head + 1))
    done = push(node, spool, service=svc)
    assert done["ack"]["ok"] and done["ack"]["acked"] == head
    node.close()


def test_server_down_mid_upload_then_resumed(district_twin, district, tmp_path, monkeypatch):
    app, world, server = district
    _fill(district_twin, 1500)
    spool = Spool.open(tmp_path / "spool.sqlite")
    node, svc = _session(district_twin)
    head = pull_events(node, spool, service=svc).head
    node.close()
    import host_tools.sync as sync_mod

    def server_dies(step, batch, **_):
        if step == "after_batch" and batch == 2:
            server.stop()
    monkeypatch.setattr(sync_mod, "_hook", server_dies)
    with pytest.raises(SyncError, match="run doorctl sync again"):
        sync(spool, server.url, _token(world), batch_records=400, retries=2, backoff=0.05)
    assert _stored(world) == list(range(1, 801))             # two batches arrived, then nothing
    assert spool.count(uploaded=False) == head - 800
    monkeypatch.setattr(sync_mod, "_hook", lambda *a, **k: None)
    server.start()                                            # back on the same port
    out = sync(spool, server.url, _token(world), batch_records=400)
    assert out.uploaded == head - 800 and out.duplicates == 0
    assert _stored(world) == list(range(1, head + 1))
    assert out.acks[1] == head


def test_laptop_crash_mid_sync(district_twin, district, tmp_path):
    app, world, server = district
    _fill(district_twin, 1000)
    path = tmp_path / "spool.sqlite"
    spool = Spool.open(path)
    node, svc = _session(district_twin)
    head = pull_events(node, spool, service=svc).head
    node.close()
    spool.close()
    # Another process syncs and dies (no clean-up at all) after the server stored the
    # second batch but before the spool recorded it.
    code = ("import os, sys\nimport host_tools.sync as s\nfrom host_tools.spool import Spool\n"
            "s._hook = lambda step, batch, **k: os._exit(9) if step == 'after_upload' and batch == 1 else None\n"
            f"s.sync(Spool.open({str(path)!r}), {server.url!r}, {_token(world)!r}, batch_records=300)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT_DIR, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 9, proc.stderr
    assert _stored(world) == list(range(1, 601))
    spool = Spool.open(path)
    assert spool.count(uploaded=False) == head - 300         # the second batch is not marked
    out = sync(spool, server.url, _token(world), batch_records=300)
    assert out.duplicates == 300 and out.uploaded == head - 600
    assert _stored(world) == list(range(1, head + 1))


def test_event_edited_in_the_spool_is_refused(district_twin, district, tmp_path):
    app, world, server = district
    _fill(district_twin, 100)
    spool = Spool.open(tmp_path / "spool.sqlite")
    node, svc = _session(district_twin)
    head = pull_events(node, spool, service=svc).head
    log_id = spool.logs()[0].log_id
    rec = bytearray(spool.record(1, log_id, 50))
    rec[8:12] = (31337).to_bytes(4, "big")                   # someone gives seq 50 another card
    spool.db.execute("UPDATE records SET record=? WHERE seq=50", (bytes(rec),))
    out = sync(spool, server.url, _token(world))
    assert out.rejected == [{"door_id": 1, "seq": 50, "reason": "tag does not verify (edited or damaged)"}]
    assert 50 not in _stored(world) and len(_stored(world)) == head - 1
    with world.session() as s:
        q = s.scalars(select(EventQuarantine)).one()
        assert q.seq == 50 and q.record == bytes(rec) and q.uploaded_by == "maintainer-a"
    assert out.acks[1] == 49                                  # the ack stops before the hole
    done = push(node, spool, service=svc)
    assert done["ack"]["acked"] == 49                         # the node keeps seq 50 and after
    again = pull_events(node, spool, service=svc)             # the next visit fetches it again
    assert again.refetched == 1 and spool.record(1, log_id, 50) != bytes(rec)
    out = sync(spool, server.url, _token(world))
    assert out.rejected == [] and out.gaps == {} and out.acks[1] == again.head
    assert _stored(world) == list(range(1, again.head + 1))
    node.close()


def test_node_that_lost_its_clock(district_twin, district, tmp_path):
    app, world, server = district
    spool = Spool.open(tmp_path / "spool.sqlite")
    node, svc = _session(district_twin)
    push(node, spool, service=svc)                            # the clock set at the last visit
    setup_node(node)
    append(node, 5, 2000)
    node.close()
    district_twin.power_cycle()                               # power gone: the RTC starts from zero
    _fill(district_twin, 5, 3000)
    node, svc = _session(district_twin)
    st = svc.status()
    assert st["clock"]["ok"] is False
    pull_events(node, spool, service=svc)
    sync(spool, server.url, _token(world))
    events = server_events(world)
    taps = [(e.card_id, e.at is not None) for e in events if e.kind & 0x7F == er.EV_GRANT]
    assert taps == [(2000 + i, True) for i in range(5)] + [(3000 + i, False) for i in range(5)]
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    done = push(node, spool, service=svc)                     # the visit sets the clock again
    assert done["clock"]["was_set"] is False
    assert svc.status()["clock"]["ok"] is True
    node.close()


def server_events(world):
    with world.session() as s:
        return list(s.scalars(select(DoorEvent).order_by(DoorEvent.seq)))


def test_full_log_declares_lost_events_and_is_trimmed_by_the_ack(district_twin, district, tmp_path):
    app, world, server = district
    _fill(district_twin, 8 * 254 + 300)                       # 8 segments: the oldest are dropped
    spool = Spool.open(tmp_path / "spool.sqlite")
    node, svc = _session(district_twin)
    before = svc.status()
    assert before["log"]["fill"] >= 80 and before["log"]["first"] > 1     # the oldest are gone
    result = pull_events(node, spool, service=svc)
    assert result.first == before["log"]["first"] and result.pulled == result.head - result.first + 1
    out = sync(spool, server.url, _token(world))
    lost = [g for g in out.gaps.get(1, []) if g["kind"] == "lost"]
    assert lost and lost[0]["from"] == 1 and lost[0]["to"] == before["log"]["first"] - 1
    seqs = _stored(world)
    assert seqs == list(range(before["log"]["first"], result.head + 1))
    kinds = {e.kind & 0x7F for e in server_events(world)}
    assert er.EV_EVENTS_LOST in kinds                          # the node said so: never silence
    done = push(node, spool, service=svc, reset_alarms=True)
    assert done["ack"]["ok"] and done["ack"]["dropped"] >= 6
    after = svc.status()
    assert after["log"]["fill"] < 80 and "log_filling" not in after["alarms"]
    node.close()


def test_short_server_outage_is_ridden_out_by_retries(district_twin, district, tmp_path, monkeypatch):
    import threading
    import host_tools.sync as sync_mod
    app, world, server = district
    _fill(district_twin, 900)
    spool = Spool.open(tmp_path / "spool.sqlite")
    node, svc = _session(district_twin)
    head = pull_events(node, spool, service=svc).head
    node.close()

    def blip(step, batch, **_):
        if step == "after_batch" and batch == 1:
            server.stop()                                      # down for about half a second
            threading.Timer(0.5, server.start).start()
    monkeypatch.setattr(sync_mod, "_hook", blip)
    out = sync(spool, server.url, _token(world), batch_records=300, retries=6, backoff=0.1)
    assert out.retries >= 1 and out.uploaded == head and out.duplicates == 0
    assert _stored(world) == list(range(1, head + 1))
