"""Bearer tokens: signed, expiring, revocable; every failure is a 401 in JSON."""

import time

import pytest

from server import access
from server.models import User


def _assert_401(response):
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"error", "detail"} and body["error"]
    assert response.headers["www-authenticate"] == "Bearer"


def test_missing_token(client, world):
    _assert_401(client.get("/doors"))


@pytest.mark.parametrize("token", ["", "nonsense", "dct1.e30.AAAA", "dct1..", "a.b.c.d",
                                   "dct1.!!!.???", "Bearer x"])
def test_malformed_token(client, world, token):
    _assert_401(client.get("/doors", headers={"Authorization": f"Bearer {token}"}))


def test_forged_payload(client, world):
    token = world.tokens["street_a"]
    prefix, body, mac = token.split(".")
    # Claim to be the district user, keep the street user's MAC.
    forged = access.issue_token(b"\x00" * 32, _user(world, "district"), 3600)
    _assert_401(client.get("/doors", headers={"Authorization": f"Bearer {forged}"}))
    swapped = f"{prefix}.{forged.split('.')[1]}.{mac}"
    _assert_401(client.get("/doors", headers={"Authorization": f"Bearer {swapped}"}))


def test_expired_token(client, world):
    user = _user(world, "street_a")
    token = access.issue_token(world.context.secrets.token_signing, user, 60,
                               now=time.time() - 3600)
    response = client.get("/doors", headers={"Authorization": f"Bearer {token}"})
    _assert_401(response)
    assert "expired" in response.json()["error"]


def test_revoked_tokens(client, world):
    headers = world.headers("installer_a")
    assert client.get("/doors", headers=headers).status_code == 200
    r = client.post(f"/users/{world.users['installer_a']}/revoke-tokens",
                    headers=world.headers("street_a"))
    assert r.status_code == 200
    _assert_401(client.get("/doors", headers=headers))


def test_issue_token_for_own_area_only(client, world):
    r = client.post(f"/users/{world.users['installer_a']}/tokens", json={"lifetime_s": 600},
                    headers=world.headers("street_a"))
    assert r.status_code == 201
    new = {"Authorization": f"Bearer {r.json()['token']}"}
    assert client.get("/me", headers=new).json()["login"] == "installer-a"
    other = client.post(f"/users/{world.users['installer_a']}/tokens", json={},
                        headers=world.headers("street_b"))
    assert other.status_code == 404


def test_create_user_inside_own_area(client, world):
    r = client.post("/users", json={"login": "clerk-a", "role": "committee",
                                    "committee_id": world.committee_a},
                    headers=world.headers("street_a"))
    assert r.status_code == 201 and r.json()["area"]["level"] == "committee"
    r = client.post("/users", json={"login": "clerk-b", "role": "committee",
                                    "committee_id": world.committee_b},
                    headers=world.headers("street_a"))
    assert r.status_code == 404
    r = client.post("/users", json={"login": "boss", "role": "district"},
                    headers=world.headers("street_a"))
    assert r.status_code in (403, 404, 422)
    r = client.post("/users", json={"login": "xx", "role": "installer"},
                    headers=world.headers("committee_a"))
    assert r.status_code == 403


def _user(world, who):
    with world.session() as s:
        user = s.get(User, world.users[who])
        s.expunge(user)
        return user
