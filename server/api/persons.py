"""Person (real-name registration) and card endpoints. Every read is audited by the library."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from .. import cards, residents
from .context import Caller, Context, Db
from .schemas import (CardIssueIn, CardOut, Id, PersonIn, PersonLookup, PersonOut, PersonPatch,
                      Reason)

router = APIRouter(tags=["persons"])
PathId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def person_out(view: residents.PersonView) -> PersonOut:
    p = view.person
    return PersonOut(id=p.id, kind=p.kind, name=p.name, document_type=p.document_type,
                     id_number=view.id_number, id_number_revealed=view.revealed,
                     household=p.household, residence_permit=p.residence_permit,
                     elderly_alone=p.elderly_alone, disability=p.disability,
                     building_id=p.building_id, committee_id=p.committee_id,
                     street_id=p.street_id, door_ids=view.door_ids, state=p.state,
                     registered_at=p.registered_at, moved_out_at=p.moved_out_at,
                     card=CardOut.model_validate(view.card) if view.card else None)


@router.post("/persons", response_model=PersonOut, status_code=201)
def register(body: PersonIn, db: Db, caller: Caller, ctx: Context):
    person = residents.register_person(db, caller, ctx.vault,
                                       residents.PersonInput(**body.model_dump()))
    return person_out(residents.view_of(db, ctx.vault, person, False))


@router.get("/persons", response_model=list[PersonOut])
def persons(db: Db, caller: Caller, ctx: Context,
            building_id: Annotated[Id | None, Query()] = None,
            committee_id: Annotated[Id | None, Query()] = None,
            kind: Annotated[Literal["resident", "staff"] | None, Query()] = None,
            state: Annotated[Literal["active", "moved_out"], Query()] = "active",
            elderly_alone: Annotated[bool | None, Query()] = None,
            disability: Annotated[bool | None, Query()] = None,
            reason: Annotated[Reason, Query(description="why the list is read (audited)")] = "",
            limit: Annotated[int, Query(ge=1, le=200)] = 50,
            offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0):
    views = residents.list_persons(db, caller, ctx.vault, building_id=building_id,
                                   committee_id=committee_id, kind=kind, state=state,
                                   elderly_alone=elderly_alone, disability=disability,
                                   reason=reason, limit=limit, offset=offset)
    return [person_out(v) for v in views]


@router.post("/persons/lookup", response_model=PersonOut)
def lookup(body: PersonLookup, db: Db, caller: Caller, ctx: Context):
    """Find a person by document number (sent in the body, never in a URL)."""
    return person_out(residents.find_by_document(db, caller, ctx.vault, body.document_type,
                                                 body.id_number, body.reason))


@router.get("/persons/{person_id}", response_model=PersonOut)
def person(person_id: PathId, db: Db, caller: Caller, ctx: Context,
           reveal: Annotated[bool, Query(description="full document number (needs reason)")] = False,
           reason: Annotated[Reason, Query(description="why the record is read (audited)")] = ""):
    return person_out(residents.read_person(db, caller, ctx.vault, person_id, reason, reveal))


@router.patch("/persons/{person_id}", response_model=PersonOut)
def update(person_id: PathId, body: PersonPatch, db: Db, caller: Caller, ctx: Context):
    return person_out(residents.update_person(db, caller, ctx.vault, person_id,
                                              body.model_dump(exclude_unset=True)))


@router.post("/persons/{person_id}/move-out", response_model=PersonOut)
def move_out(person_id: PathId, db: Db, caller: Caller, ctx: Context):
    person = residents.move_out(db, caller, person_id)
    return person_out(residents.view_of(db, ctx.vault, person, False))


@router.get("/persons/{person_id}/cards", response_model=list[CardOut], tags=["cards"])
def person_cards(person_id: PathId, db: Db, caller: Caller):
    return cards.list_cards(db, caller, person_id)


@router.post("/persons/{person_id}/cards", response_model=CardOut, status_code=201,
             tags=["cards"])
def issue(person_id: PathId, body: CardIssueIn, db: Db, caller: Caller):
    """Issue the person's next card (state 'issued'); an enrolment node then writes it."""
    return cards.issue_card(db, caller, person_id, valid_until=body.valid_until,
                            replace=body.replace)


@router.get("/cards/{card_pk}", response_model=CardOut, tags=["cards"])
def card(card_pk: PathId, db: Db, caller: Caller):
    return cards.get_card(db, caller, card_pk)


@router.post("/cards/{card_pk}/activate", response_model=CardOut, tags=["cards"])
def activate(card_pk: PathId, db: Db, caller: Caller):
    return cards.activate_card(db, caller, card_pk)


@router.post("/cards/{card_pk}/lost", response_model=CardOut, tags=["cards"])
def lost(card_pk: PathId, db: Db, caller: Caller):
    return cards.report_lost(db, caller, card_pk)
