"""The registry: district → streets/towns → committees → compounds → buildings → doors.

Every function takes the caller's Area. Look-ups outside it raise NotFound, the
same as for ids that do not exist, so one street cannot probe another's records.

    door = create_door(session, area, building_id=12, name="Unit 1 entrance",
                       install_type="retrofit")
    page = list_doors(session, area, state="accepted", limit=50)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .areas import Area
from .errors import Conflict, Invalid, NotFound
from .models import Building, Committee, District, Door, Person, Site, Street

INSTALL_TYPES = ("new", "retrofit", "addon")
DOOR_STATES = ("planned", "installed", "accepted", "fault", "retired")


def _in_area(session: Session, area: Area, model, record_id, what: str):
    record = session.get(model, record_id) if isinstance(record_id, int) else None
    if record is None or not area.holds(record):
        raise NotFound(f"no such {what}")
    return record


def get_street(session: Session, area: Area, street_id: int) -> Street:
    street = session.get(Street, street_id) if isinstance(street_id, int) else None
    # A street record's own id is its street_id; it has no committee.
    if street is None or street.district_id != area.district_id or \
            (area.street_id is not None and area.street_id != street.id):
        raise NotFound("no such street")
    return street


def list_streets(session: Session, area: Area) -> list[Street]:
    query = select(Street).where(Street.district_id == area.district_id).order_by(Street.id)
    if area.street_id is not None:
        query = query.where(Street.id == area.street_id)
    return list(session.scalars(query))


def get_district(session: Session, area: Area) -> District:
    return session.get(District, area.district_id)


def get_committee(session: Session, area: Area, committee_id: int) -> Committee:
    committee = session.get(Committee, committee_id) if isinstance(committee_id, int) else None
    if committee is None or not area.holds(_CommitteePath(committee)):
        raise NotFound("no such committee")
    return committee


@dataclass
class _CommitteePath:
    """A committee seen as a record of its own area (its id is its committee_id)."""
    committee: Committee

    @property
    def district_id(self):
        return self.committee.district_id

    @property
    def street_id(self):
        return self.committee.street_id

    @property
    def committee_id(self):
        return self.committee.id


def list_committees(session: Session, area: Area, street_id: int | None = None) -> list[Committee]:
    query = select(Committee).where(Committee.district_id == area.district_id)
    if area.street_id is not None:
        query = query.where(Committee.street_id == area.street_id)
    if area.committee_id is not None:
        query = query.where(Committee.id == area.committee_id)
    if street_id is not None:
        query = query.where(Committee.street_id == street_id)
    return list(session.scalars(query.order_by(Committee.id)))


def create_committee(session: Session, area: Area, street_id: int, code: str, name_zh: str,
                     name_en: str) -> Committee:
    street = get_street(session, area, street_id)
    if area.committee_id is not None:
        raise NotFound("no such street")
    _unique(session, select(Committee.id).where(Committee.code == code), "committee code", "code")
    _unique(session, select(Committee.id).where(Committee.street_id == street.id,
                                                Committee.name_zh == name_zh),
            "committee name in this street", "name_zh")
    committee = Committee(district_id=street.district_id, street_id=street.id, code=code,
                          name_zh=name_zh, name_en=name_en)
    return _flush(session, committee)


def get_site(session: Session, area: Area, site_id: int) -> Site:
    return _in_area(session, area, Site, site_id, "site")


def list_sites(session: Session, area: Area, committee_id: int | None = None) -> list[Site]:
    query = select(Site).where(*area.clauses(Site)).order_by(Site.id)
    if committee_id is not None:
        query = query.where(Site.committee_id == committee_id)
    return list(session.scalars(query))


def create_site(session: Session, area: Area, committee_id: int, name: str,
                address: str = "") -> Site:
    committee = get_committee(session, area, committee_id)
    _unique(session, select(Site.id).where(Site.committee_id == committee.id, Site.name == name),
            "site name in this committee", "name")
    site = Site(district_id=committee.district_id, street_id=committee.street_id,
                committee_id=committee.id, name=name, address=address)
    return _flush(session, site)


def get_building(session: Session, area: Area, building_id: int) -> Building:
    return _in_area(session, area, Building, building_id, "building")


def list_buildings(session: Session, area: Area, site_id: int | None = None) -> list[Building]:
    query = select(Building).where(*area.clauses(Building)).order_by(Building.id)
    if site_id is not None:
        query = query.where(Building.site_id == site_id)
    return list(session.scalars(query))


def create_building(session: Session, area: Area, site_id: int, name: str) -> Building:
    site = get_site(session, area, site_id)
    _unique(session, select(Building.id).where(Building.site_id == site.id,
                                               Building.name == name),
            "building name in this site", "name")
    building = Building(site_id=site.id, name=name, district_id=site.district_id,
                        street_id=site.street_id, committee_id=site.committee_id)
    return _flush(session, building)


def get_door(session: Session, area: Area, door_id: int) -> Door:
    return _in_area(session, area, Door, door_id, "door")


def check_door_fields(install_type=None, state=None, installed_on=None, accepted_on=None) -> None:
    if install_type is not None and install_type not in INSTALL_TYPES:
        raise Invalid(f"install type must be one of {', '.join(INSTALL_TYPES)}",
                      {"field": "install_type"})
    if state is not None and state not in DOOR_STATES:
        raise Invalid(f"state must be one of {', '.join(DOOR_STATES)}", {"field": "state"})
    if installed_on and accepted_on and accepted_on < installed_on:
        raise Invalid("a door cannot be accepted before it is installed", {"field": "accepted_on"})


def create_door(session: Session, area: Area, building_id: int, name: str, install_type: str,
                state: str = "planned", node_id: str | None = None,
                installed_on: date | None = None, accepted_on: date | None = None) -> Door:
    building = get_building(session, area, building_id)
    check_door_fields(install_type, state, installed_on, accepted_on)
    _unique(session, select(Door.id).where(Door.building_id == building.id, Door.name == name),
            "door name in this building", "name")
    if node_id is not None:
        _unique(session, select(Door.id).where(Door.node_id == node_id), "node id", "node_id")
    door = Door(building_id=building.id, site_id=building.site_id, name=name,
                install_type=install_type, state=state, node_id=node_id,
                installed_on=installed_on, accepted_on=accepted_on,
                district_id=building.district_id, street_id=building.street_id,
                committee_id=building.committee_id)
    return _flush(session, door)


DOOR_EDITABLE = ("name", "install_type", "state", "node_id", "installed_on", "accepted_on")


def update_door(session: Session, area: Area, door_id: int, changes: dict) -> Door:
    door = get_door(session, area, door_id)
    unknown = set(changes) - set(DOOR_EDITABLE)
    if unknown:
        raise Invalid("these door fields cannot be changed", {"fields": sorted(unknown)})
    merged = {k: changes.get(k, getattr(door, k)) for k in DOOR_EDITABLE}
    check_door_fields(merged["install_type"], merged["state"], merged["installed_on"],
                      merged["accepted_on"])
    if changes.get("node_id") not in (None, door.node_id):
        _unique(session, select(Door.id).where(Door.node_id == changes["node_id"]),
                "node id", "node_id")
    for key, value in changes.items():
        setattr(door, key, value)
    return _flush(session, door)


@dataclass
class DoorRow:
    door: Door
    building_name: str
    site_name: str
    resident_count: int


def list_doors(session: Session, area: Area, state: str | None = None,
               building_id: int | None = None, committee_id: int | None = None,
               limit: int = 100, offset: int = 0) -> list[DoorRow]:
    """A page of the area's doors with their place and live resident count."""
    query = (select(Door, Building.name, Site.name)
             .join(Building, Building.id == Door.building_id)
             .join(Site, Site.id == Door.site_id)
             .where(*area.clauses(Door)).order_by(Door.id).limit(limit).offset(offset))
    if state is not None:
        query = query.where(Door.state == state)
    if building_id is not None:
        query = query.where(Door.building_id == building_id)
    if committee_id is not None:
        query = query.where(Door.committee_id == committee_id)
    rows = session.execute(query).all()
    counts = resident_counts(session, {door.building_id for door, _, _ in rows})
    return [DoorRow(door, b, s, counts.get(door.building_id, 0)) for door, b, s in rows]


def resident_counts(session: Session, building_ids: set[int]) -> dict[int, int]:
    if not building_ids:
        return {}
    query = (select(Person.building_id, func.count())
             .where(Person.building_id.in_(building_ids), Person.state == "active",
                    Person.kind == "resident")
             .group_by(Person.building_id))
    return dict(session.execute(query).all())


def count_doors(session: Session, area: Area) -> int:
    return session.scalar(select(func.count()).select_from(Door).where(*area.clauses(Door)))


def _unique(session: Session, query, what: str, field: str) -> None:
    if session.scalar(query) is not None:
        raise Conflict(f"{what} already exists", {"field": field})


def _flush(session: Session, record):
    """Add and flush; a unique constraint lost in a race becomes a Conflict, not a 500."""
    session.add(record)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict("record conflicts with an existing one", str(exc.orig)[:200]) from None
    return record
