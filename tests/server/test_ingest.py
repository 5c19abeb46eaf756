"""Ingestion of door event batches, on SQLite and PostgreSQL: verified, stored once,
gaps and cut tails found, tampering refused and quarantined, acknowledgements the
node accepts, uploads only for the caller's doors, retention."""
import base64
from datetime import timedelta

from sqlalchemy import func, select

from doornode import event_ack
from doornode import event_record as er
from provisioning.keys import door_key
from server import ingest
from server.models import DoorEvent, EventGap, EventQuarantine
from server.timeutil import utcnow

from .district_world import ROOT_SECRET
from .event_log_writer import HostLog


def _post(client, world, door, body, who="maintainer_a"):
    return client.post(f"/doors/{door}/event-batches", json=body, headers=world.headers(who))


def _count(world, model, **where):
    with world.session() as s:
        q = select(func.count()).select_from(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return s.scalar(q)


def test_batch_is_stored_once_and_acknowledged(client, world):
    door = world.doors_a[0]
    log = HostLog(ROOT_SECRET, door).fill(700)
    first = _post(client, world, door, log.batch())
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["stored"], body["duplicates"], body["stored_to"]) == (700, 0, 700)
    assert body["rejected"] == [] and body["gaps"] == [] and body["head"]["verified"]
    # The acknowledgement is one the node accepts (its own check, with the door key).
    got = event_ack.check_ack(bytes.fromhex(body["ack"]), door, door_key(ROOT_SECRET, door))
    assert got == (log.log_id, 700, log.last_tag)
    again = _post(client, world, door, log.batch()).json()     # the same batch uploaded twice
    assert (again["stored"], again["duplicates"], again["stored_to"]) == (0, 700, 700)
    assert _count(world, DoorEvent, door_id=door) == 700
    events = client.get(f"/doors/{door}/events?limit=3", headers=world.headers("committee_a")).json()
    assert [(e["seq"], e["card_id"], e["kind"]) for e in events] == [(1, 1000, 2), (2, 1001, 2), (3, 1002, 2)]
    assert "name" not in events[0]


def test_edited_record_is_refused_and_quarantined(client, world):
    door = world.doors_a[0]
    log = HostLog(ROOT_SECRET, door).fill(50)
    body = log.batch()
    raw = bytearray(base64.b64decode(body["slices"][0]["records"]))
    raw[20 * 16 + 8:20 * 16 + 12] = (4242).to_bytes(4, "big")     # seq 21: someone else's card
    body["slices"][0]["records"] = base64.b64encode(bytes(raw)).decode()
    out = _post(client, world, door, body).json()
    assert out["rejected"] == [{"seq": 21, "reason": "tag does not verify (edited or damaged)"}]
    assert out["stored"] == 49 and out["stored_to"] == 20
    assert {"from": 21, "to": 21, "kind": "missing"} in out["gaps"]
    with world.session() as s:
        q = s.scalars(select(EventQuarantine)).all()
        assert [(r.seq, r.record[8:12]) for r in q] == [(21, (4242).to_bytes(4, "big"))]
        assert s.scalar(select(DoorEvent).where(DoorEvent.seq == 21)) is None
    # The genuine record, from another pull, fills the gap and the ack moves on.
    fixed = _post(client, world, door, log.batch(21, 21)).json()
    assert fixed["stored"] == 1 and fixed["stored_to"] == 50 and fixed["gaps"] == []


def test_forged_segment_and_other_door_records_are_refused(client, world):
    door, other = world.doors_a
    forged = HostLog(bytes(32), door).fill(5)               # right door id, wrong district root
    out = _post(client, world, door, forged.batch()).json()
    assert out["stored"] == 0 and {r["reason"] for r in out["rejected"]} == {
        "segment header tag does not verify (forged, or another key)"}
    theirs = HostLog(ROOT_SECRET, other).fill(5)            # a batch of door B posted for door A
    out = _post(client, world, door, theirs.batch()).json()
    assert out["stored"] == 0 and out["rejected"][0]["reason"] == f"segment written by door {other}, not {door}"
    assert _count(world, DoorEvent) == 0 and _count(world, EventQuarantine) == 10


def test_upload_only_for_the_callers_doors(client, world):
    log = HostLog(ROOT_SECRET, world.doors_b[0]).fill(10)
    assert _post(client, world, world.doors_b[0], log.batch()).status_code == 404   # street B's door
    assert _post(client, world, world.doors_b[0], log.batch(), "committee_a").status_code == 403
    assert _post(client, world, world.doors_b[0], log.batch(), "district").status_code == 403
    assert client.post(f"/doors/{world.doors_b[0]}/event-batches", json=log.batch()).status_code == 401
    assert _count(world, DoorEvent) == 0 and _count(world, EventQuarantine) == 0


def test_gap_then_cut_tail_then_lost(client, world):
    door = world.doors_a[0]
    log = HostLog(ROOT_SECRET, door).fill(600)
    out = _post(client, world, door, log.batch(1, 100, last=False)).json()
    out = _post(client, world, door, log.batch(201, 500, last=True)).json()
    # 101-200 never arrived (201 cannot be checked without 200's tag: left out too);
    # the node vouched for head 600, the upload stops at 500.
    assert out["unverified"] == [201]
    assert {"from": 101, "to": 201, "kind": "missing"} in out["gaps"]
    assert {"from": 501, "to": 600, "kind": "cut_tail"} in out["gaps"]
    assert out["stored_to"] == 100
    out = _post(client, world, door, log.batch(101, 600)).json()
    assert out["gaps"] == [] and out["stored_to"] == 600
    assert _count(world, EventGap) == 0


def test_events_dropped_by_a_full_node_are_declared_lost(client, world):
    door = world.doors_a[0]
    log = HostLog(ROOT_SECRET, door).fill(254 * 2)
    log.append(er.EV_EVENTS_LOST, card=254)         # the node dropped its oldest segment
    log.fill(10)
    out = _post(client, world, door, log.batch(255, None, first=255)).json()
    assert out["gaps"] == [{"from": 1, "to": 254, "kind": "lost"}]
    assert out["stored_to"] == log.next_seq - 1 and out["ack"]


def test_tampered_head_is_not_trusted(client, world):
    door = world.doors_a[0]
    log = HostLog(ROOT_SECRET, door).fill(20)
    body = log.batch()
    body["head"]["seq"] = 10                         # a laptop hiding the last ten
    out = _post(client, world, door, body).json()
    assert out["head"]["verified"] is False and out["stored_to"] == 20


def test_a_log_cut_back_is_noticed(client, world):
    door = world.doors_a[0]
    full = HostLog(ROOT_SECRET, door).fill(600)
    assert _post(client, world, door, full.batch()).json()["stored_to"] == 600
    shorter = HostLog(ROOT_SECRET, door).fill(500)          # the same log, as if cut at 500
    out = _post(client, world, door, shorter.batch(450, 500)).json()
    assert out["head"]["verified"] and "cut back" in out["head"]["problem"]
    assert out["duplicates"] == 51 and out["stored_to"] == 600


def test_clock_unset_events_keep_their_order(client, world):
    door = world.doors_a[0]
    log = HostLog(ROOT_SECRET, door)
    log.fill(3)
    for i in range(3):
        log.append(er.EV_GRANT | er.CLOCK_UNSET, card=7000 + i, t=5 + i)
    _post(client, world, door, log.batch())
    events = client.get(f"/doors/{door}/events", headers=world.headers("committee_a")).json()
    assert [e["at"] is None for e in events] == [False] * 3 + [True] * 3
    assert [e["seq"] for e in events] == list(range(1, 7))


def test_retention_keeps_180_days_at_least(app, world):
    import pytest
    from server.errors import Invalid

    door = world.doors_a[0]
    log = HostLog(ROOT_SECRET, door).fill(4)
    principal = _principal(world, "maintainer_a")
    with world.session() as s:
        ingest.ingest_batch(s, principal, ROOT_SECRET, door, _batch_in(log))
    with world.session() as s:
        with pytest.raises(Invalid):
            ingest.purge_events(s, 30)
        assert ingest.purge_events(s, 180)["events"] == 0          # events of 2026-08: young enough
        later = utcnow() + timedelta(days=400)
        assert ingest.purge_events(s, 365, now=later)["events"] == 4
    assert _count(world, DoorEvent) == 0


def _principal(world, who):
    from server import access
    with world.session() as s:
        return access.principal_of(s.get(access.User, world.users[who]))


def _batch_in(log):
    b = log.batch()
    return ingest.BatchIn(b["log_id"], b["origin"], [ingest.SliceIn(base64.b64decode(s["header"]), s["first_index"],
                                                                      base64.b64decode(s["records"]))
                                                     for s in b["slices"]], b["head"], b["last"])
