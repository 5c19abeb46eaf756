"""Every read of personal data leaves who, when, which record and why; only the district reads it."""


def test_reads_are_recorded_with_reason(client, world):
    pid = world.add_resident("a", seq=5)
    client.get(f"/persons/{pid}?reason=door%20complaint", headers=world.headers("committee_a"))
    client.get(f"/persons/{pid}?reveal=true&reason=police%20check",
               headers=world.headers("street_a"))
    client.get("/persons?reason=monthly%20review", headers=world.headers("street_a"))
    entries = client.get(f"/audit?record_id={pid}", headers=world.headers("district")).json()
    seen = {(e["user_login"], e["action"], e["reason"]) for e in entries}
    assert ("committee-a", "person.view", "door complaint") in seen
    assert ("street-a", "person.reveal", "police check") in seen
    assert ("street-a", "person.list", "monthly review") in seen
    assert all(e["record_type"] == "person" and e["at"] for e in entries)


def test_audit_is_district_only(client, world):
    for who in ("street_a", "committee_a", "installer_a"):
        assert client.get("/audit", headers=world.headers(who)).status_code == 403


def test_refused_reads_leave_no_data_and_no_entry(client, world):
    pid = world.add_resident("b", seq=6)
    before = len(client.get("/audit?limit=1000", headers=world.headers("district")).json())
    assert client.get(f"/persons/{pid}", headers=world.headers("street_a")).status_code == 404
    after = len(client.get("/audit?limit=1000", headers=world.headers("district")).json())
    assert after == before
