"""The demo's district: the server on SQLite with the programme's example district, a compound
with one building and its door, and a district user. Used by `make demo` only."""
from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DemoDistrict:
    """A running district server (uvicorn in a thread) and the records the demo needs."""

    def __init__(self, workdir: Path, root_secret: bytes):
        from server.app import create_app
        self.app = create_app(f"sqlite:///{workdir / 'district.sqlite'}", secret=bytes(range(32)),
                              root_secret=root_secret)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                     log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> "DemoDistrict":
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the district server did not start")
            time.sleep(0.02)
        self._setup_records()
        self.http = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"},
                                 timeout=30)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)

    def _setup_records(self) -> None:
        from server import access, registry
        from server.areas import Area
        from server.db import session_scope
        from server.models import Street
        ctx = self.app.state.context
        with session_scope(ctx.engine) as s:
            street = s.query(Street).filter_by(code="xinhua-road").one()
            self.street_name = street.name_zh if hasattr(street, "name_zh") else street.code
            district = Area(street.district_id)
            committee = registry.create_committee(s, district, street.id, "xinhua-demo", "番禺居委会",
                                                  "Panyu committee")
            site = registry.create_site(s, district, committee.id, "示范小区")
            building = registry.create_building(s, district, site.id, "1号楼")
            door = registry.create_door(s, district, building.id, "north entrance", "retrofit",
                                        node_id="door-0001")
            user = access.create_user(s, None, "district-demo", "district", district)
            self.token = access.issue_token(ctx.secrets.token_signing, user, 3600)
            street_area = Area(street.district_id, street.id)
            visitor = access.create_user(s, None, "maintainer-demo", "maintainer", street_area)
            self.maintainer_token = access.issue_token(ctx.secrets.token_signing, visitor, 3600)
            self.site_id, self.building_id, self.door_id = site.id, building.id, door.id

    def register_resident(self, seq: int, name: str) -> int:
        from server.idnumbers import check_character
        first17 = f"310105198001{seq:02d}0{seq:02d}"
        body = {"kind": "resident", "name": name, "document_type": "resident_id",
                "id_number": first17 + check_character(first17), "building_id": self.building_id,
                "household": "registered"}
        r = self.http.post("/persons", json=body)
        r.raise_for_status()
        return r.json()["id"]

    def issue_card(self, person_id: int) -> dict:
        r = self.http.post(f"/persons/{person_id}/cards", json={})
        r.raise_for_status()
        return r.json()

    def activate(self, card: dict) -> None:
        self.http.post(f"/cards/{card['id']}/activate").raise_for_status()

    def door_events(self) -> list[dict]:
        r = self.http.get(f"/doors/{self.door_id}/events")
        r.raise_for_status()
        return r.json()

    def card_list(self) -> tuple[bytes, str]:
        self.http.post("/card-lists/build").raise_for_status()
        r = self.http.get(f"/doors/{self.door_id}/card-list")
        r.raise_for_status()
        return r.content, r.headers.get("X-Card-List-Version", "?")
