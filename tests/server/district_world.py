"""Test helpers of the district server: a small two-street world with users and tokens."""

from __future__ import annotations

import os

from server import access, registry
from server.areas import Area
from server.db import session_scope
from server.idnumbers import check_character
from server.models import Street
from server.residents import PersonInput, register_person

POSTGRES_URL = os.environ.get("DOORCTL_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
SERVER_SECRET = bytes(range(32))
ROOT_SECRET = bytes(range(100, 132))


def resident_id(seq: int, region: str = "310105", born: str = "19800101") -> str:
    """A valid mainland ID number (right check digit) for test person seq."""
    first17 = f"{region}{born}{seq % 1000:03d}"
    return first17 + check_character(first17)


class World:
    """Two streets, each with a committee, a site, a building and two doors, and users."""

    def __init__(self, app):
        self.app = app
        self.context = app.state.context
        self.tokens: dict[str, str] = {}
        self.users: dict[str, int] = {}

    def session(self):
        return session_scope(self.context.engine)

    def headers(self, who: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def build(self) -> "World":
        with self.session() as s:
            streets = {st.code: st for st in s.query(Street)}
            district = Area(streets["xinhua-road"].district_id)
            self.district_id = district.district_id
            for key, code in (("a", "xinhua-road"), ("b", "jiangsu-road")):
                street = streets[code]
                committee = registry.create_committee(s, district, street.id, f"{code}-c1",
                                                      f"{key}居委会", f"Committee {key}")
                site = registry.create_site(s, district, committee.id, f"{key}小区")
                building = registry.create_building(s, district, site.id, "1号楼")
                doors = [registry.create_door(s, district, building.id, name, "retrofit")
                         for name in ("north", "south")]
                setattr(self, f"street_{key}", street.id)
                setattr(self, f"committee_{key}", committee.id)
                setattr(self, f"site_{key}", site.id)
                setattr(self, f"building_{key}", building.id)
                setattr(self, f"doors_{key}", [d.id for d in doors])
            areas = {
                "district": ("district", district),
                "street_a": ("street", Area(self.district_id, self.street_a)),
                "street_b": ("street", Area(self.district_id, self.street_b)),
                "committee_a": ("committee",
                                Area(self.district_id, self.street_a, self.committee_a)),
                "installer_a": ("installer", Area(self.district_id, self.street_a)),
                "maintainer_a": ("maintainer", Area(self.district_id, self.street_a)),
            }
            for login, (role, area) in areas.items():
                user = access.create_user(s, None, login.replace("_", "-"), role, area)
                self.users[login] = user.id
                self.tokens[login] = access.issue_token(self.context.secrets.token_signing,
                                                        user, 3600)
        return self

    def add_resident(self, key: str = "a", seq: int = 1, **fields) -> int:
        principal = access.Principal(0, "fixture", "district", Area(self.district_id))
        data = dict(kind="resident", name=f"居民{seq}", document_type="resident_id",
                    id_number=resident_id(seq), building_id=getattr(self, f"building_{key}"),
                    household="registered")
        data.update(fields)
        with self.session() as s:
            principal = access.principal_of(s.get(access.User, self.users["district"]))
            return register_person(s, principal, self.context.vault, PersonInput(**data)).id
