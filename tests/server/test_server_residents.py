"""Real-name registration: encrypted, masked, unique, validated, audited."""

from sqlalchemy import text

from .district_world import resident_id


def _register(client, world, who="committee_a", **fields):
    body = {"name": "张三", "id_number": resident_id(11), "building_id": world.building_a,
            "household": "registered"}
    body.update(fields)
    return client.post("/persons", json=body, headers=world.headers(who))


def test_register_shows_masked_number(client, world):
    r = _register(client, world, elderly_alone=True)
    assert r.status_code == 201, r.text
    body = r.json()
    number = resident_id(11)
    assert body["id_number"] == number[:3] + "*" * 11 + number[-4:]
    assert body["id_number_revealed"] is False and body["elderly_alone"] is True
    assert body["committee_id"] == world.committee_a


def test_number_is_encrypted_at_rest(client, world, app):
    _register(client, world)
    number = resident_id(11)
    with app.state.context.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM persons")).all()
    dumped = repr(rows)
    assert number not in dumped and number[6:14] not in dumped  # not even the birth date


def test_reveal_needs_role_and_reason(client, world):
    pid = _register(client, world).json()["id"]
    assert client.get(f"/persons/{pid}?reveal=true&reason=check",
                      headers=world.headers("committee_a")).status_code == 403
    r = client.get(f"/persons/{pid}?reveal=true", headers=world.headers("street_a"))
    assert r.status_code == 422 and r.json()["detail"]["field"] == "reason"
    r = client.get(f"/persons/{pid}?reveal=true&reason=police%20check",
                   headers=world.headers("street_a"))
    assert r.status_code == 200 and r.json()["id_number"] == resident_id(11)


def test_duplicate_document_refused_district_wide(client, world):
    assert _register(client, world).status_code == 201
    # Same person registered by another street: refused, without saying where.
    r = _register(client, world, who="street_b", building_id=world.building_b)
    assert r.status_code == 409
    assert "xinhua" not in r.text.lower() and str(world.building_a) not in r.json()["error"]
    # Lower-case x check character is the same document.
    number = resident_id(11)
    r = _register(client, world, id_number=number.lower())
    assert r.status_code == 409


def test_invalid_registrations(client, world):
    bad_check = resident_id(11)[:-1] + ("0" if resident_id(11)[-1] != "0" else "1")
    assert _register(client, world, id_number=bad_check).status_code == 422
    assert _register(client, world, household="migrant").status_code == 422  # permit status
    assert _register(client, world, household="migrant",
                     residence_permit="valid").status_code == 201
    assert _register(client, world, id_number=resident_id(12), building_id=None
                     ).status_code == 422
    r = _register(client, world, id_number=resident_id(13), door_ids=[world.doors_b[0]])
    assert r.status_code == 404  # another street's door
    assert client.get("/persons", headers=world.headers("district")).json()[0]["name"] == "张三"
    assert len(client.get("/persons", headers=world.headers("district")).json()) == 1


def test_lookup_by_document(client, world):
    pid = _register(client, world).json()["id"]
    r = client.post("/persons/lookup", json={"id_number": resident_id(11), "reason": "visit"},
                    headers=world.headers("committee_a"))
    assert r.status_code == 200 and r.json()["id"] == pid
    r = client.post("/persons/lookup", json={"id_number": resident_id(11)},
                    headers=world.headers("street_b"))
    assert r.status_code == 404


def test_staff_with_door_grants(client, world):
    r = client.post("/persons", headers=world.headers("street_a"), json={
        "kind": "staff", "name": "物业李师傅", "document_type": "passport",
        "id_number": "E12345678", "door_ids": world.doors_a})
    assert r.status_code == 201, r.text
    assert r.json()["door_ids"] == sorted(world.doors_a)


def test_update_and_move_out(client, world):
    pid = _register(client, world).json()["id"]
    h = world.headers("committee_a")
    r = client.patch(f"/persons/{pid}", json={"disability": True,
                                               "door_ids": [world.doors_a[1]]}, headers=h)
    assert r.status_code == 200 and r.json()["door_ids"] == [world.doors_a[1]]
    assert client.patch(f"/persons/{pid}", json={"id_number": "x"}, headers=h).status_code == 422
    r = client.post(f"/persons/{pid}/move-out", headers=h)
    assert r.status_code == 200 and r.json()["state"] == "moved_out"
    assert client.post(f"/persons/{pid}/move-out", headers=h).status_code == 409
    assert client.get("/persons", headers=h).json() == []
    moved = client.get("/persons?state=moved_out", headers=h).json()
    assert [p["id"] for p in moved] == [pid]
