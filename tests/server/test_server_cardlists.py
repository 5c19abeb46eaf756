"""Per-door card lists: right entries, versioned on change only, authenticated for the door."""

import base64

from provisioning.cardlist import parse_card_list
from provisioning.keys import door_key

from .district_world import ROOT_SECRET


def _card(client, world, pid, who="committee_a"):
    h = world.headers(who)
    card = client.post(f"/persons/{pid}/cards", json={}, headers=h).json()
    client.post(f"/cards/{card['id']}/activate", headers=h)
    return card


def _fetch(client, world, door_id, who="installer_a"):
    r = client.get(f"/doors/{door_id}/card-list", headers=world.headers(who))
    assert r.status_code == 200, r.text
    parsed = parse_card_list(r.content, door_id, door_key(ROOT_SECRET, door_id))
    assert parsed.version == int(r.headers["x-card-list-version"])
    return parsed


def test_list_holds_building_residents_with_active_cards(client, world):
    one, two, three = (world.add_resident("a", seq=n) for n in (1, 2, 3))
    card_one, card_two = _card(client, world, one), _card(client, world, two)
    client.post(f"/persons/{three}/cards", json={}, headers=world.headers("committee_a"))
    parsed = _fetch(client, world, world.doors_a[0])
    assert {(e.card_id, e.issue) for e in parsed.entries} == {
        (card_one["card_id"], 1), (card_two["card_id"], 1)}  # three's card is not written yet


def test_version_rises_only_on_change(client, world):
    pid = world.add_resident("a", seq=1)
    _card(client, world, pid)
    door = world.doors_a[0]
    first = _fetch(client, world, door)
    assert _fetch(client, world, door).version == first.version
    card = client.get(f"/persons/{pid}/cards", headers=world.headers("committee_a")).json()[0]
    client.post(f"/cards/{card['id']}/lost", headers=world.headers("committee_a"))
    after = _fetch(client, world, door)
    assert after.version == first.version + 1 and after.entries == []


def test_door_grants_narrow_and_staff_widen(client, world):
    resident = world.add_resident("a", seq=1, door_ids=[world.doors_a[1]])
    staff = world.add_resident(seq=2, kind="staff", building_id=None, household=None,
                               door_ids=[world.doors_a[0]])
    card_r, card_s = _card(client, world, resident), _card(client, world, staff, "district")
    north, south = (_fetch(client, world, d) for d in world.doors_a)
    assert [e.card_id for e in north.entries] == [card_s["card_id"]]
    assert [e.card_id for e in south.entries] == [card_r["card_id"]]


def test_elderly_and_disabled_get_extended_open(client, world):
    pid = world.add_resident("a", seq=1, elderly_alone=True)
    _card(client, world, pid)
    assert _fetch(client, world, world.doors_a[0]).entries[0].flags == 0x01


def test_area_listing_for_laptops(client, world):
    pid = world.add_resident("a", seq=1)
    _card(client, world, pid)
    lists = client.get("/card-lists", headers=world.headers("maintainer_a")).json()
    assert sorted(item["door_id"] for item in lists) == sorted(world.doors_a)
    for item in lists:
        raw = base64.b64decode(item["content_base64"])
        assert parse_card_list(raw, item["door_id"], door_key(ROOT_SECRET, item["door_id"]))
    r = client.get(f"/card-lists?door_id={world.doors_b[0]}", headers=world.headers("maintainer_a"))
    assert r.status_code == 404
    build = client.post("/card-lists/build", headers=world.headers("district")).json()
    assert build["doors"] == 4


def test_lists_unavailable_without_root_secret(database_url):
    from fastapi.testclient import TestClient

    from .district_world import SERVER_SECRET, World
    from server.app import create_app

    app = create_app(database_url, secret=SERVER_SECRET)
    app.state.context.root_secret = None
    world = World(app).build()
    with TestClient(app) as client:
        r = client.get("/card-lists", headers=world.headers("installer_a"))
    assert r.status_code == 503 and "DOORCTL_ROOT_SECRET_FILE" in r.json()["error"]
    app.state.context.engine.dispose()
