"""A visit to a door whose loop is running: the session stops it cleanly (no watchdog reset
however long the visit), the card list from the district is installed, and the door
runs again afterwards."""
import time

from host_tools.node_service import NodeService
from host_tools.pull import pull_events
from host_tools.push import push
from host_tools.spool import Spool
from host_tools.sync import sync
from host_tools.transport import NodeTransport
from hw.twin.launcher import Twin

from .conftest import district_image


def test_visit_to_a_running_door(district, tmp_path):
    app, world, server = district
    pid = world.add_resident("a", seq=1)
    h = world.headers("committee_a")
    from fastapi.testclient import TestClient
    with TestClient(app) as c:
        card = c.post(f"/persons/{pid}/cards", json={}, headers=h).json()
        assert c.post(f"/cards/{card['id']}/activate", headers=h).status_code == 200
    path = tmp_path / "door1.bin"
    path.write_bytes(district_image(autostart=True))
    with Twin(path) as twin:
        twin.wait_console(b"doornode ", 10)
        time.sleep(1.0)                                      # the door loop is running
        node = NodeTransport.connect(twin.url)              # interrupts it
        svc = NodeService(node).begin()
        assert svc.autostart
        spool = Spool.open(tmp_path / "spool.sqlite")
        pulled = pull_events(node, spool, service=svc)
        assert pulled.pulled >= 1                            # at least its BOOT record
        out = sync(spool, server.url, world.tokens["maintainer_a"])
        assert out.card_lists[1] == 1 and out.acks[1] == pulled.head     # lists of the area's doors
        time.sleep(10)                                       # longer than the 8 s watchdog
        done = push(node, spool, service=svc)
        assert done["card_list"]["version"] == 1 and done["card_list"]["count"] == 1
        assert done["ack"]["ok"]
        st = svc.status()
        assert st["cardlist"] == {"version": 1, "count": 1}
        assert not [e for e in twin.timeline if e["kind"] == "wdt"]
        boots, mark = twin.boots, twin.console_mark()
        svc.finish()                                         # the door starts again
        node.close()
        deadline = time.monotonic() + 10
        while twin.boots == boots and time.monotonic() < deadline:
            time.sleep(0.05)
        assert twin.boots > boots
        assert twin.wait_console(b"doornode ", 10, since=mark)
        assert [e for e in twin.timeline if e["kind"] == "reset"][-1]["why"] == "machine.reset()"
