"""Card workflow: issue → activate; lost; replace with a higher issue; revoke on move-out."""


class FakeEnrolmentNode:
    """Stands in for the enrolment node: remembers what it was asked to write."""

    def __init__(self):
        self.written = []

    def write_card(self, card):
        self.written.append((card.site_id, card.card_id, card.issue))


def test_issue_activate_lost_replace(client, world):
    pid = world.add_resident("a", seq=1)
    h = world.headers("committee_a")
    card = client.post(f"/persons/{pid}/cards", json={}, headers=h).json()
    assert card["state"] == "issued" and card["issue"] == 1 and card["site_id"] == world.site_a
    assert 0 < card["card_id"] < 2**32
    assert client.post(f"/persons/{pid}/cards", json={}, headers=h).status_code == 409
    r = client.post(f"/cards/{card['id']}/activate", headers=h)
    assert r.status_code == 200 and r.json()["state"] == "active"
    assert client.post(f"/cards/{card['id']}/activate", headers=h).status_code == 409
    assert client.get(f"/persons/{pid}", headers=h).json()["card"]["id"] == card["id"]
    assert client.post(f"/cards/{card['id']}/lost", headers=h).json()["state"] == "lost"
    second = client.post(f"/persons/{pid}/cards", json={}, headers=h).json()
    assert second["card_id"] == card["card_id"] and second["issue"] == 2
    third = client.post(f"/persons/{pid}/cards", json={"replace": True}, headers=h).json()
    assert third["issue"] == 3
    states = [c["state"] for c in client.get(f"/persons/{pid}/cards", headers=h).json()]
    assert states == ["lost", "replaced", "issued"]


def test_move_out_revokes_the_card(client, world):
    pid = world.add_resident("a", seq=2)
    h = world.headers("committee_a")
    card = client.post(f"/persons/{pid}/cards", json={}, headers=h).json()
    client.post(f"/cards/{card['id']}/activate", headers=h)
    client.post(f"/persons/{pid}/move-out", headers=h)
    assert client.get(f"/cards/{card['id']}", headers=h).json()["state"] == "revoked"
    assert client.post(f"/persons/{pid}/cards", json={}, headers=h).status_code == 409


def test_other_areas_cards_are_not_found(client, world):
    pid = world.add_resident("b", seq=3)
    card = client.post(f"/persons/{pid}/cards", json={}, headers=world.headers("street_b")).json()
    for path in (f"/cards/{card['id']}", ):
        assert client.get(path, headers=world.headers("street_a")).status_code == 404
    r = client.post(f"/cards/{card['id']}/lost", headers=world.headers("street_a"))
    assert r.status_code == 404


def test_enrol_through_a_node(world):
    from server import access, cards
    pid = world.add_resident("a", seq=4)
    node = FakeEnrolmentNode()
    with world.session() as s:
        principal = access.principal_of(s.get(access.User, world.users["committee_a"]))
        card = cards.enrol(s, principal, pid, node)
        assert card.state == "active"
    assert node.written == [(world.site_a, card.card_id, 1)]
