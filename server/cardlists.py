"""Per-door card lists built from the registry, versioned only when their content changes.

Who is on a door's list:
- active residents of the door's building holding an active card, unless the
  resident has door grants that leave this door out;
- staff holding an active card and a grant for this door.

The list itself (format, authentication with the door's key) is the
provisioning library's: this module only chooses the entries and the version.

    built = build_lists(session, area, root_secret)   # every door of the area
    built[door_id].content  -> bytes the node installs
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .areas import Area
from .models import Card, Door, DoorCardList, DoorGrant, Person
from .timeutil import epoch, utcnow

# Entry validity with no end date (provisioning.cardlist.NO_EXPIRY).
NO_EXPIRY = 0xFFFFFFFF
# doornode.cardlist FLAG_EXTENDED_OPEN: the node holds the door open longer.
FLAG_EXTENDED_OPEN = 0x01


@dataclass(frozen=True, order=True)
class Entry:
    card_id: int
    issue: int
    valid_from: int
    valid_until: int
    flags: int = 0


def _digest(entries: list[Entry]) -> str:
    text = ";".join(f"{e.card_id},{e.issue},{e.valid_from},{e.valid_until},{e.flags}"
                    for e in entries)
    return hashlib.sha256(text.encode()).hexdigest()


def door_entries(session: Session, doors: list[Door]) -> dict[int, list[Entry]]:
    """The card-list entries of each door, computed with three queries for any number of doors."""
    if not doors:
        return {}
    building_ids = {d.building_id for d in doors}
    door_ids = {d.id for d in doors}
    live = (select(Person.id, Person.kind, Person.building_id, Card.card_id, Card.issue,
                   Card.activated_at, Card.valid_until, Person.elderly_alone, Person.disability)
            .join(Card, Card.person_id == Person.id)
            .where(Card.state == "active", Person.state == "active"))
    residents = session.execute(live.where(Person.kind == "resident",
                                           Person.building_id.in_(building_ids))).all()
    grants = defaultdict(set)
    granted_rows = session.execute(select(DoorGrant.person_id, DoorGrant.door_id)
                                   .where(DoorGrant.door_id.in_(door_ids))).all()
    for person_id, door_id in granted_rows:
        grants[person_id].add(door_id)
    # Residents with grants elsewhere in their building: their grant set decides.
    resident_ids = [r.id for r in residents]
    narrowed = defaultdict(set)
    for chunk in _chunks(resident_ids, 5000):
        for person_id, door_id in session.execute(select(DoorGrant.person_id, DoorGrant.door_id)
                                                  .where(DoorGrant.person_id.in_(chunk))):
            narrowed[person_id].add(door_id)
    staff_ids = [pid for pid in grants if pid not in set(resident_ids)]
    staff = []
    for chunk in _chunks(staff_ids, 5000):
        staff += session.execute(live.where(Person.kind == "staff", Person.id.in_(chunk))).all()

    by_building = defaultdict(list)
    for r in residents:
        by_building[r.building_id].append(r)
    result = {}
    for door in doors:
        entries = [_entry(r) for r in by_building[door.building_id]
                   if r.id not in narrowed or door.id in narrowed[r.id]]
        entries += [_entry(s) for s in staff if door.id in grants[s.id]]
        result[door.id] = sorted(set(entries))
    return result


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _entry(row) -> Entry:
    until = epoch(row.valid_until)
    # Elderly people living alone and people with a disability get more time to pass.
    flags = FLAG_EXTENDED_OPEN if (row.elderly_alone or row.disability) else 0
    return Entry(row.card_id, row.issue, epoch(row.activated_at) or 0,
                 NO_EXPIRY if until is None else min(until, NO_EXPIRY), flags)


def _render(door_id: int, version: int, entries: list[Entry], root_secret, created: int) -> bytes:
    # Imported here: the provisioning library owns the on-wire format and the key hierarchy.
    from provisioning.cardlist import CardListEntry, build_card_list
    from provisioning.keys import door_key

    items = [CardListEntry(card_id=e.card_id, issue=e.issue, valid_from=e.valid_from,
                           valid_until=e.valid_until, flags=e.flags) for e in entries]
    return build_card_list(door_id, version, items, door_key(root_secret, door_id),
                           created=created)


def build_lists(session: Session, area: Area, root_secret, door_ids: list[int] | None = None,
                ) -> dict[int, DoorCardList]:
    """Bring the stored list of every door in the area (or of door_ids) up to date.

    A door's version rises only when its entries changed since the stored list,
    so a node that already has the latest list is told nothing new.
    """
    query = select(Door).where(*area.clauses(Door), Door.state != "retired").order_by(Door.id)
    if door_ids is not None:
        query = query.where(Door.id.in_(door_ids))
    doors = list(session.scalars(query))
    entries = door_entries(session, doors)
    stored = {row.door_id: row for row in session.scalars(
        select(DoorCardList).where(DoorCardList.door_id.in_([d.id for d in doors])))}
    now = utcnow()
    for door in doors:
        digest = _digest(entries[door.id])
        current = stored.get(door.id)
        if current is not None and current.digest == digest:
            continue
        version = 1 if current is None else current.version + 1
        content = _render(door.id, version, entries[door.id], root_secret, epoch(now))
        if current is None:
            current = DoorCardList(door_id=door.id)
            session.add(current)
            stored[door.id] = current
        current.version, current.digest, current.content = version, digest, content
        current.entry_count, current.built_at = len(entries[door.id]), now
    session.flush()
    return stored
