"""Registry records through the API: rules for doors, sites, buildings, committees."""


def test_create_hierarchy_and_door(client, world):
    h = world.headers("street_a")
    committee = client.post("/committees", headers=h, json={
        "street_id": world.street_a, "code": "xinhua-road-c2", "name_zh": "新华居委会",
        "name_en": "Xinhua Committee"}).json()
    site = client.post("/sites", headers=h, json={"committee_id": committee["id"],
                                                  "name": "梅园小区", "address": "新华路 1 号"}).json()
    building = client.post("/buildings", headers=h, json={"site_id": site["id"],
                                                          "name": "3号楼"}).json()
    r = client.post("/doors", headers=h, json={
        "building_id": building["id"], "name": "main", "install_type": "addon",
        "state": "accepted", "node_id": "AB:CD:01", "installed_on": "2012-04-01",
        "accepted_on": "2012-04-20"})
    assert r.status_code == 201, r.text
    door = r.json()
    assert door["committee_id"] == committee["id"] and door["street_id"] == world.street_a
    listed = client.get(f"/doors?building_id={building['id']}", headers=h).json()
    assert [d["id"] for d in listed] == [door["id"]]
    assert listed[0]["site_name"] == "梅园小区" and listed[0]["resident_count"] == 0


def test_door_rules(client, world):
    h = world.headers("street_a")
    base = {"building_id": world.building_a, "name": "west", "install_type": "new"}
    assert client.post("/doors", headers=h, json={**base, "install_type": "magic"}).status_code == 422
    r = client.post("/doors", headers=h, json={**base, "installed_on": "2012-05-02",
                                               "accepted_on": "2012-05-01"})
    assert r.status_code == 422 and r.json()["detail"]["field"] == "accepted_on"
    assert client.post("/doors", headers=h, json={**base, "name": "north"}).status_code == 409
    assert client.post("/doors", headers=h, json={**base, "node_id": "n1"}).status_code == 201
    r = client.post("/doors", headers=h, json={**base, "name": "east", "node_id": "n1"})
    assert r.status_code == 409 and r.json()["detail"]["field"] == "node_id"


def test_door_update_and_listing_filters(client, world):
    h = world.headers("installer_a")
    r = client.patch(f"/doors/{world.doors_a[0]}", headers=h,
                     json={"state": "accepted", "installed_on": "2012-03-01",
                           "accepted_on": "2012-03-10"})
    assert r.status_code == 200 and r.json()["state"] == "accepted"
    accepted = client.get("/doors?state=accepted", headers=h).json()
    assert [d["id"] for d in accepted] == [world.doors_a[0]]
    page = client.get("/doors?limit=1&offset=1", headers=h).json()
    assert [d["id"] for d in page] == [world.doors_a[1]]


def test_door_listing_counts_residents(client, world):
    world.add_resident("a", seq=1)
    world.add_resident("a", seq=2)
    doors = client.get("/doors", headers=world.headers("street_a")).json()
    assert {d["resident_count"] for d in doors} == {2}


def test_committee_user_cannot_change_registry(client, world):
    r = client.post("/sites", headers=world.headers("committee_a"),
                    json={"committee_id": world.committee_a, "name": "x"})
    assert r.status_code == 403
