"""Hostile and broken requests: clear 4xx in JSON, nothing stored, nothing leaked."""

import pytest


def _json_error(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert set(r.json()) == {"error", "detail"}


def test_malformed_json(client, world):
    r = client.post("/sites", content=b'{"committee_id": 1, "name": ',
                    headers={**world.headers("street_a"), "Content-Type": "application/json"})
    _json_error(r, 400)


@pytest.mark.parametrize("body", [
    {"committee_id": "one", "name": "x"},
    {"committee_id": 1.5, "name": "x"},
    {"committee_id": [1], "name": "x"},
    {"committee_id": 1, "name": 7},
    {"committee_id": 1, "name": ""},
    {"committee_id": 2**63, "name": "x"},
    {"committee_id": 1, "name": "x", "surprise": True},
    {"committee_id": 1, "name": "nul\x00byte"},
    [],
    "text",
])
def test_wrong_types(client, world, body):
    r = client.post("/sites", json=body, headers=world.headers("street_a"))
    _json_error(r, 422)


def test_oversized_bodies(client, world):
    h = {**world.headers("street_a"), "Content-Type": "application/json"}
    big = b'{"committee_id": 1, "name": "' + b"x" * 100_000 + b'"}'
    _json_error(client.post("/sites", content=big, headers=h), 413)

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(100):
            yield b"x" * 1024
    _json_error(client.post("/sites", content=chunks(), headers=h), 413)
    huge_csv = b"street\n" + b"x" * (17 * 1024 * 1024)
    r = client.post("/imports/doors", content=huge_csv,
                    headers={**world.headers("street_a"), "Content-Type": "text/csv"})
    _json_error(r, 413)


@pytest.mark.parametrize("name", ["'; DROP TABLE sites; --", "\" OR 1=1 --", "<script>x</script>",
                                  "../../etc/passwd", "${jndi:ldap://x}", "小区'); --"])
def test_injection_strings_are_just_names(client, world, name):
    r = client.post("/sites", json={"committee_id": world.committee_a, "name": name},
                    headers=world.headers("street_a"))
    assert r.status_code == 201 and r.json()["name"] == name
    names = [s["name"] for s in client.get("/sites", headers=world.headers("district")).json()]
    assert name in names and len(names) == 3


def test_injection_in_query_and_path(client, world):
    h = world.headers("street_a")
    _json_error(client.get("/doors?state=accepted'%20OR%20'1'='1", headers=h), 422)
    assert client.get("/doors/1%20OR%201=1", headers=h).status_code == 422
    _json_error(client.get("/persons?building_id=1;DELETE", headers=h), 422)


def test_unknown_route_and_method(client, world):
    _json_error(client.get("/nowhere", headers=world.headers("district")), 404)
    _json_error(client.delete("/doors", headers=world.headers("district")), 405)


def test_huge_ids_are_refused_not_crashing(client, world):
    h = world.headers("district")
    _json_error(client.get(f"/doors/{2**40}", headers=h), 422)
    _json_error(client.get("/doors?offset=-1", headers=h), 422)
    _json_error(client.get("/doors?limit=100000", headers=h), 422)
