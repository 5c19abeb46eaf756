"""Real-name registration of residents and staff.

    person = register_person(session, principal, vault, PersonInput(...))
    view = read_person(session, principal, vault, person.id, reason="move-in check")

Every function that returns a name or document number to a caller records the
read in the audit trail in the same transaction. Full document numbers are
decrypted only for roles allowed to reveal them, and only with a stated reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from . import audit, idnumbers
from .access import Principal
from .errors import Conflict, Invalid, NotFound
from .identity import IdentityVault
from .models import Card, Door, DoorGrant, Person
from .registry import _CommitteePath, _flush, get_building, get_committee, get_door
from .timeutil import utcnow

KINDS = ("resident", "staff")
HOUSEHOLDS = ("registered", "migrant")
PERMIT_STATES = ("none", "applied", "valid", "expired")
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,50}$")


@dataclass
class PersonInput:
    kind: str
    name: str
    document_type: str
    id_number: str
    building_id: int | None = None
    household: str | None = None
    residence_permit: str | None = None
    elderly_alone: bool = False
    disability: bool = False
    # Staff: the committee they work for (default: the caller's own area).
    committee_id: int | None = None
    door_ids: list[int] = field(default_factory=list)


@dataclass
class PersonView:
    """A person as a caller may see them: the document number masked unless revealed."""
    person: Person
    id_number: str
    revealed: bool
    door_ids: list[int]
    card: Card | None


def check_person_fields(data: PersonInput) -> None:
    if data.kind not in KINDS:
        raise Invalid(f"kind must be one of {', '.join(KINDS)}", {"field": "kind"})
    if not isinstance(data.name, str) or not _NAME.match(data.name.strip() or "\x00"):
        raise Invalid("name is 1-50 printable characters", {"field": "name"})
    if data.kind == "resident":
        if data.building_id is None:
            raise Invalid("a resident needs a home building", {"field": "building_id"})
        if data.household not in HOUSEHOLDS:
            raise Invalid(f"household must be one of {', '.join(HOUSEHOLDS)}",
                          {"field": "household"})
    elif data.building_id is not None:
        raise Invalid("staff have door grants, not a home building", {"field": "building_id"})
    if data.household == "migrant":
        if data.residence_permit not in PERMIT_STATES:
            raise Invalid(f"a migrant's residence permit is one of {', '.join(PERMIT_STATES)}",
                          {"field": "residence_permit"})
    elif data.residence_permit is not None:
        raise Invalid("residence permit status applies to migrants only",
                      {"field": "residence_permit"})


def register_person(session: Session, principal: Principal, vault: IdentityVault,
                    data: PersonInput) -> Person:
    principal.require("person.write")
    check_person_fields(data)
    number = idnumbers.normalise(data.document_type, data.id_number)
    lookup = vault.lookup(data.document_type, number)
    if session.scalar(select(Person.id).where(Person.document_lookup == lookup)) is not None:
        # District-wide: one person, one registration. Where is not said.
        raise Conflict("a person with this document is already registered",
                       {"field": "id_number"})
    if data.kind == "resident":
        place = get_building(session, principal.area, data.building_id)
    elif data.committee_id is not None:
        place = _CommitteePath(get_committee(session, principal.area, data.committee_id))
    else:
        place = principal.area
    person = Person(kind=data.kind, name=data.name.strip(), document_type=data.document_type,
                    document_cipher=vault.seal(data.document_type, number),
                    document_lookup=lookup,
                    document_masked=idnumbers.mask(data.document_type, number),
                    household=data.household, residence_permit=data.residence_permit,
                    elderly_alone=bool(data.elderly_alone), disability=bool(data.disability),
                    building_id=data.building_id, state="active", registered_at=utcnow(),
                    district_id=place.district_id, street_id=place.street_id,
                    committee_id=place.committee_id)
    _flush(session, person)
    if data.door_ids:
        set_door_grants(session, principal, person, data.door_ids)
    audit.record_reads(session, principal, "person.register", [person.id], "registration")
    return person


def set_door_grants(session: Session, principal: Principal, person: Person,
                    door_ids: list[int]) -> None:
    """Replace a person's door grants; every door must be in the caller's area.

    A resident with no grants opens every door of their building; grants narrow it
    to some of them (never to other buildings' doors).
    """
    doors = [get_door(session, principal.area, door_id) for door_id in dict.fromkeys(door_ids)]
    if person.kind == "resident":
        for door in doors:
            if door.building_id != person.building_id:
                raise Invalid("a resident's doors are doors of their home building",
                              {"field": "door_ids", "door_id": door.id})
    session.execute(delete(DoorGrant).where(DoorGrant.person_id == person.id))
    session.add_all([DoorGrant(person_id=person.id, door_id=door.id) for door in doors])
    session.flush()


def _load(session: Session, principal: Principal, person_id: int) -> Person:
    person = session.get(Person, person_id) if isinstance(person_id, int) else None
    if person is None or not principal.area.holds(person):
        raise NotFound("no such person")
    return person


def live_card(session: Session, person_id: int) -> Card | None:
    return session.scalar(select(Card).where(Card.person_id == person_id,
                                             Card.state.in_(("issued", "active"))))


def view_of(session: Session, vault: IdentityVault, person: Person, reveal: bool) -> PersonView:
    number = vault.open(person.document_type, person.document_cipher) if reveal \
        else person.document_masked
    door_ids = list(session.scalars(select(DoorGrant.door_id)
                                    .where(DoorGrant.person_id == person.id)
                                    .order_by(DoorGrant.door_id)))
    return PersonView(person, number, reveal, door_ids, live_card(session, person.id))


def read_person(session: Session, principal: Principal, vault: IdentityVault, person_id: int,
                reason: str = "", reveal: bool = False) -> PersonView:
    principal.require("person.read")
    person = _load(session, principal, person_id)
    if reveal:
        principal.require("person.reveal")
        if not (reason or "").strip():
            raise Invalid("revealing a document number needs a reason", {"field": "reason"})
    audit.record_reads(session, principal, "person.reveal" if reveal else "person.view",
                       [person.id], reason)
    return view_of(session, vault, person, reveal)


def list_persons(session: Session, principal: Principal, vault: IdentityVault,
                 building_id: int | None = None, committee_id: int | None = None,
                 kind: str | None = None, state: str | None = "active",
                 elderly_alone: bool | None = None, disability: bool | None = None,
                 reason: str = "", limit: int = 50, offset: int = 0) -> list[PersonView]:
    principal.require("person.read")
    query = select(Person).where(*principal.area.clauses(Person)).order_by(Person.id)
    for column, value in ((Person.building_id, building_id), (Person.committee_id, committee_id),
                          (Person.kind, kind), (Person.state, state),
                          (Person.elderly_alone, elderly_alone),
                          (Person.disability, disability)):
        if value is not None:
            query = query.where(column == value)
    persons = list(session.scalars(query.limit(limit).offset(offset)))
    audit.record_reads(session, principal, "person.list", [p.id for p in persons], reason)
    return [view_of(session, vault, p, False) for p in persons]


def find_by_document(session: Session, principal: Principal, vault: IdentityVault,
                     document_type: str, id_number: str, reason: str = "") -> PersonView:
    """Look a person up by document number (in the caller's area only)."""
    principal.require("person.read")
    number = idnumbers.normalise(document_type, id_number)
    person = session.scalar(select(Person).where(
        Person.document_lookup == vault.lookup(document_type, number)))
    if person is None or not principal.area.holds(person):
        raise NotFound("no such person")
    audit.record_reads(session, principal, "person.lookup", [person.id], reason)
    return view_of(session, vault, person, False)


PERSON_EDITABLE = ("name", "household", "residence_permit", "elderly_alone", "disability",
                   "door_ids")


def update_person(session: Session, principal: Principal, vault: IdentityVault, person_id: int,
                  changes: dict) -> PersonView:
    principal.require("person.write")
    person = _load(session, principal, person_id)
    if person.state != "active":
        raise Conflict("person has moved out")
    unknown = set(changes) - set(PERSON_EDITABLE)
    if unknown:
        raise Invalid("these fields cannot be changed", {"fields": sorted(unknown)})
    merged = PersonInput(kind=person.kind, name=changes.get("name", person.name),
                         document_type=person.document_type, id_number="",
                         building_id=person.building_id,
                         household=changes.get("household", person.household),
                         residence_permit=changes.get("residence_permit", person.residence_permit))
    check_person_fields(merged)
    for key in ("name", "household", "residence_permit", "elderly_alone", "disability"):
        if key in changes:
            setattr(person, key, changes[key].strip() if key == "name" else changes[key])
    if "door_ids" in changes:
        set_door_grants(session, principal, person, changes["door_ids"] or [])
    audit.record_reads(session, principal, "person.update", [person.id], "update")
    return view_of(session, vault, person, False)


def move_out(session: Session, principal: Principal, person_id: int) -> Person:
    """Record a move-out: the person's card is revoked and leaves every card list."""
    principal.require("person.write")
    person = _load(session, principal, person_id)
    if person.state == "moved_out":
        raise Conflict("person has already moved out")
    now = utcnow()
    card = live_card(session, person.id)
    if card is not None:
        card.state, card.ended_at = "revoked", now
    person.state, person.moved_out_at = "moved_out", now
    session.execute(delete(DoorGrant).where(DoorGrant.person_id == person.id))
    audit.record_reads(session, principal, "person.move_out", [person.id], "move-out")
    session.flush()
    return person


def load_person(session: Session, principal: Principal, person_id: int) -> Person:
    """The person record without personal-data output (for card workflows)."""
    return _load(session, principal, person_id)
