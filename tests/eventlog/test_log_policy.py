"""Full log, acknowledgements and the clock, on the twin through the maintenance service."""
import time

import pytest

from doornode import event_record as er
from doornode.event_ack import pack_ack
from host_tools.node_service import NodeService
from provisioning.keys import door_key
from tests.conftest import FIRMWARE  # noqa: F401  (the suite's image fixtures live there)

from .chain import read_log, checked_records, verified_cards
from .conftest import DOOR, ROOT, append, connect, provisioned_image, setup_node
from hw.twin.launcher import Twin

pytestmark = pytest.mark.bench


@pytest.fixture
def small_log_node(tmp_path):
    """A node whose log holds 5 segments (1,270 events): fills in seconds."""
    path = tmp_path / "node.bin"
    path.write_bytes(provisioned_image(segments=5))
    with Twin(path) as twin:
        node = connect(twin)
        setup_node(node)
        try:
            yield twin, node, NodeService(node)
        finally:
            node.close()


def test_full_log_raises_the_alarm_then_declares_what_it_drops(small_log_node):
    twin, node, svc = small_log_node
    append(node, 3 * 254 + 1)                   # 3 full segments + the 4th opened: 80 %
    st = svc.status()
    assert "log_filling" in st["alarms"] and st["log"]["fill"] == 80
    append(node, 3 * 254)                       # past capacity, nothing acknowledged
    st = svc.status()["log"]
    assert st["segments"] == 5 and st["lost"] > 0
    slices, _ = read_log(svc)
    recs = checked_records(slices)
    assert all(r.ok for r in recs)
    lost = [r for r in recs if r.fields[1] & 0x7F == er.EV_EVENTS_LOST]
    assert lost and sum(r.fields[4] for r in lost) == st["lost"]      # "N events lost", never silence
    assert recs[0].seq == st["first"] == 1 + st["lost"]               # exactly the oldest went


def test_acknowledged_events_go_first_and_forged_acks_are_refused(small_log_node):
    twin, node, svc = small_log_node
    append(node, 3 * 254)
    st = svc.status()["log"]
    slices, _ = read_log(svc)
    recs = checked_records(slices)
    acked = recs[600]
    key = door_key(ROOT, DOOR)
    forged = pack_ack(DOOR, st["log_id"], acked.seq, acked.fields[5], door_key(ROOT, DOOR + 1))
    assert svc.call("ack", ack=forged.hex())[0]["ok"] is False
    wrong = pack_ack(DOOR, st["log_id"], acked.seq, acked.fields[5] ^ 1, key)
    assert "differs" in svc.call("ack", ack=wrong.hex())[0]["error"]
    ok = svc.ok("ack", ack=pack_ack(DOOR, st["log_id"], acked.seq, acked.fields[5], key).hex())
    assert ok["acked"] == acked.seq and ok["dropped"] == 2            # segments 0 and 1 (seq 1..508)
    append(node, 4 * 254)                                             # fills again
    st = svc.status()["log"]
    assert st["lost"] == st["first"] - 1 - acked.seq > 0 or st["lost"] == 0
    # only events after the acknowledged one were declared lost
    slices, _ = read_log(svc)
    lost = [r for r in checked_records(slices) if r.fields[1] & 0x7F == er.EV_EVENTS_LOST]
    assert sum(r.fields[4] for r in lost) == st["first"] - 1 - acked.seq


def test_clock_lost_then_set_with_drift_measured(small_log_node):
    twin, node, svc = small_log_node
    append(node, 2)
    assert svc.status()["clock"]["ok"] is False                       # RTC starts at 2000-01-01
    now = int(time.time()) - er.EPOCH_2000
    svc.ok("clock_set", t=now)
    append(node, 2)
    twin.set_rtc_drift(500.0)                                         # the node's crystal runs fast
    later = svc.ok("clock_set", t=now + 3600)                         # "an hour later"
    assert later["was_set"] and later["elapsed_s"] == 3600
    cards = verified_cards(svc)
    types = [t for t, _ in cards]
    assert er.EV_CLOCK_SET in types
    slices, _ = read_log(svc)
    recs = checked_records(slices)
    unset = [r for r in recs if r.fields[1] & er.CLOCK_UNSET]
    assert unset and unset[0].seq == 1                                # ordered by seq, flagged
    assert not recs[-1].fields[1] & er.CLOCK_UNSET
