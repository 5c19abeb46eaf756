"""Three-level scoping: each caller sees only its own area; other areas' ids are 404."""

import pytest


def test_street_lists_only_its_doors(client, world):
    ids = {d["id"] for d in client.get("/doors", headers=world.headers("street_a")).json()}
    assert ids == set(world.doors_a)
    ids = {d["id"] for d in client.get("/doors", headers=world.headers("district")).json()}
    assert ids == set(world.doors_a + world.doors_b)


@pytest.mark.parametrize("path", ["/doors/{door}", "/buildings/{building}", "/sites/{site}",
                                  "/committees/{committee}", "/streets/{street}",
                                  "/doors/{door}/card-list"])
def test_other_areas_ids_are_not_found(client, world, path):
    url = path.format(door=world.doors_b[0], building=world.building_b, site=world.site_b,
                      committee=world.committee_b, street=world.street_b)
    r = client.get(url, headers=world.headers("street_a"))
    assert r.status_code == 404 and r.json()["error"].startswith("no such")
    missing = path.format(door=999999, building=999999, site=999999, committee=999999,
                          street=999999)
    # The same answer as for an id that does not exist at all.
    assert client.get(missing, headers=world.headers("street_a")).json() == r.json()


def test_other_areas_persons_are_not_found(client, world):
    person_b = world.add_resident("b", seq=7)
    for method, url, body in (("get", f"/persons/{person_b}", None),
                              ("patch", f"/persons/{person_b}", {"name": "x"}),
                              ("post", f"/persons/{person_b}/move-out", None),
                              ("post", f"/persons/{person_b}/cards", {}),
                              ("get", f"/persons/{person_b}/cards", None)):
        r = client.request(method, url, json=body, headers=world.headers("street_a"))
        assert r.status_code == 404, (method, url, r.text)
    listed = client.get("/persons", headers=world.headers("street_a")).json()
    assert listed == []


def test_cannot_create_in_another_area(client, world):
    h = world.headers("street_a")
    r = client.post("/doors", json={"building_id": world.building_b, "name": "east",
                                    "install_type": "new"}, headers=h)
    assert r.status_code == 404
    r = client.post("/sites", json={"committee_id": world.committee_b, "name": "x"}, headers=h)
    assert r.status_code == 404
    r = client.patch(f"/doors/{world.doors_b[0]}", json={"state": "fault"}, headers=h)
    assert r.status_code == 404


def test_committee_user_sees_committee_only(client, world):
    h = world.headers("committee_a")
    assert {d["id"] for d in client.get("/doors", headers=h).json()} == set(world.doors_a)
    assert [c["id"] for c in client.get("/committees", headers=h).json()] == [world.committee_a]
    assert client.get("/streets", headers=h).json()[0]["id"] == world.street_a


def test_field_roles_have_no_personal_data(client, world):
    person = world.add_resident("a", seq=3)
    for who in ("installer_a", "maintainer_a"):
        h = world.headers(who)
        assert client.get(f"/persons/{person}", headers=h).status_code == 403
        assert client.get("/persons", headers=h).status_code == 403
        assert client.get("/doors", headers=h).status_code == 200
        r = client.patch(f"/doors/{world.doors_a[0]}", headers=h,
                         json={"state": "installed", "node_id": f"node-{who}",
                               "installed_on": "2012-03-05"})
        assert r.status_code == 200


def test_street_sees_only_its_users(client, world):
    logins = {u["login"] for u in client.get("/users", headers=world.headers("street_a")).json()}
    assert logins == {"street-a", "committee-a", "installer-a", "maintainer-a"}
