"""Cards: issue → (written at an enrolment node) → activate; lost, replace, revoke.

A person keeps one card id for life in the district; each physical card is
(card id, issue). Replacing a card raises the issue number, so the card lists
built afterwards name only the new issue and the old card opens nothing, even
if it is found again. Only active cards enter card lists.

    card = issue_card(session, principal, person_id)      # state 'issued'
    ... enrolment node writes card.card_id / card.issue onto a blank card ...
    activate_card(session, principal, card.id)            # state 'active'

The physical write is not done here: an enrolment station (host_tools, with the
provisioning library's card personalisation) reads the issued card's
(card_id, issue) from GET /cards/{id}, writes it, then calls activate. See
CardWriter for the seam.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit
from .access import Principal
from .errors import Conflict, NotFound
from .models import Building, Card, Person
from .residents import live_card, load_person
from .timeutil import utcnow

CARD_STATES = ("issued", "active", "lost", "replaced", "revoked")
# Card ids are 32-bit on the card and in card lists; 0 and all-ones are kept free.
CARD_ID_MAX = 0xFFFFFFFE
# A card list entry holds the issue in 8 bits; past it the person gets a fresh card id.
ISSUE_MAX = 0xFF


class CardWriter(Protocol):
    """What an enrolment node offers: write (card id, issue) onto the card in its field."""

    def write_card(self, card: Card) -> None:
        """Personalise a blank card with card.site_id's keys, card.card_id and card.issue."""


def _new_card_id(session: Session) -> int:
    """A random card id: ids say nothing about the person, the order or the area."""
    while True:
        candidate = secrets.randbelow(CARD_ID_MAX) + 1
        if session.scalar(select(Person.id).where(Person.card_id == candidate)) is None:
            return candidate


def get_card(session: Session, principal: Principal, card_pk: int) -> Card:
    principal.require("card.manage")
    card = session.get(Card, card_pk) if isinstance(card_pk, int) else None
    if card is None:
        raise NotFound("no such card")
    try:
        load_person(session, principal, card.person_id)
    except NotFound:
        raise NotFound("no such card") from None
    return card


def list_cards(session: Session, principal: Principal, person_id: int) -> list[Card]:
    principal.require("card.manage")
    person = load_person(session, principal, person_id)
    return list(session.scalars(select(Card).where(Card.person_id == person.id)
                                .order_by(Card.issue)))


def issue_card(session: Session, principal: Principal, person_id: int,
               valid_until: datetime | None = None, replace: bool = False) -> Card:
    """Issue the person's next card. With replace=True a live card is ended first."""
    principal.require("card.manage")
    person = load_person(session, principal, person_id)
    if person.state != "active":
        raise Conflict("person has moved out")
    current = live_card(session, person.id)
    now = utcnow()
    if current is not None:
        if not replace:
            raise Conflict("person already has a card; report it lost or replace it",
                           {"card": current.id})
        current.state, current.ended_at = "replaced", now
        session.flush()
    last = None
    if person.card_id is not None:
        last = session.scalar(select(func.max(Card.issue)).where(Card.card_id == person.card_id))
    if person.card_id is None or (last or 0) >= ISSUE_MAX:
        person.card_id, last = _new_card_id(session), 0
    site_id = None
    if person.building_id is not None:
        site_id = session.get(Building, person.building_id).site_id
    card = Card(person_id=person.id, card_id=person.card_id, issue=(last or 0) + 1,
                site_id=site_id, state="issued", issued_at=now, valid_until=valid_until)
    session.add(card)
    session.flush()
    audit.record_reads(session, principal, "card.issue", [person.id], f"card issue {card.issue}")
    return card


def activate_card(session: Session, principal: Principal, card_pk: int) -> Card:
    """Mark a written card as in use; it enters the next card lists."""
    card = get_card(session, principal, card_pk)
    if card.state != "issued":
        raise Conflict(f"only an issued card can be activated (card is {card.state})")
    card.state, card.activated_at = "active", utcnow()
    session.flush()
    return card


def report_lost(session: Session, principal: Principal, card_pk: int) -> Card:
    card = get_card(session, principal, card_pk)
    if card.state not in ("issued", "active"):
        raise Conflict(f"card is already {card.state}")
    card.state, card.ended_at = "lost", utcnow()
    session.flush()
    return card


def enrol(session: Session, principal: Principal, person_id: int, writer: CardWriter,
          replace: bool = False) -> Card:
    """Issue, write through an enrolment node, activate: the whole counter workflow."""
    card = issue_card(session, principal, person_id, replace=replace)
    writer.write_card(card)
    return activate_card(session, principal, card.id)
