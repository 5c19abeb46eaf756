"""Host side of the card list: build a door's list from entries, and read one back.

    data = build_card_list(door_id, version, [CardListEntry(card_id, issue, valid_from,
                           valid_until, flags)], door_key(root, door_id), created=now)
    parsed = parse_card_list(data, door_id, door_key(root, door_id))

The format itself (and the node's verify and lookup) is doornode.cardlist, one
definition for both sides; docs/card-list.md describes it.

Times are UNIX seconds. The list keeps validity per *local day* (UTC offset in the
header, China Standard Time by default): a card opens through the end of the local
day in which `valid_until` falls (exclusive instant, so midnight means "through the
day before"). `valid_until=None` or >= NO_EXPIRY: no expiry. A start date is not
stored per entry, to keep entries at 8 bytes (two 100,000-entry lists, old and
new, must fit side by side in the node's 2 MB file system during an install);
the card's own credential block carries its valid-from hour. An entry whose
`valid_from` lies after the list's creation time is therefore refused.
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass

from doornode import cardlist as fmt

NO_EXPIRY = 0xFFFFFFFF  # valid_until at or past this: the card does not expire
CHINA_STANDARD_TIME = 8 * 60  # minutes east of UTC
CardListError = fmt.CardListError


@dataclass(frozen=True, order=True)
class CardListEntry:
    card_id: int
    issue: int
    valid_from: int = 0
    valid_until: int | None = None
    flags: int = 0


@dataclass(frozen=True)
class ParsedCardList:
    door_id: int
    version: int
    created: int
    utc_offset_min: int
    entries: list[CardListEntry]  # valid_until = end of the last valid local day


def _until_day(valid_until: int | None, utc_offset_min: int) -> int:
    if valid_until is None or valid_until >= NO_EXPIRY:
        return fmt.NO_EXPIRY_DAY
    day = fmt.day_number(valid_until - 1, utc_offset_min)
    if not 0 <= day < fmt.NO_EXPIRY_DAY:
        raise ValueError(f"valid_until {valid_until} outside the list's day range")
    return day


def _day_end(day: int, utc_offset_min: int) -> int | None:
    if day == fmt.NO_EXPIRY_DAY:
        return None
    return (day + 1) * 86400 - utc_offset_min * 60


def build_card_list(door_id: int, version: int, entries, door_key: bytes,
                    created: int | None = None,
                    utc_offset_min: int = CHINA_STANDARD_TIME) -> bytes:
    """The bytes of a door's card list (header, entries sorted by card id, MAC).

    version must rise with every list sent to this door: the node refuses any list
    not newer than the one installed. Raises ValueError for duplicate card ids,
    out-of-range fields or a valid_from after `created`.
    """
    created = int(time.time()) if created is None else created
    for name, value in (("door id", door_id), ("version", version), ("created", created)):
        if not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
            raise ValueError(f"{name} must be a 32-bit unsigned integer, got {value!r}")
    if version == 0:
        raise ValueError("list versions start at 1 (0 would never be newer than anything)")
    if not -14 * 60 <= utc_offset_min <= 14 * 60:
        raise ValueError("UTC offset out of range")
    if len(door_key) != 32:
        raise ValueError("door key must be 32 bytes (provisioning.keys.door_key)")
    ordered = sorted(entries, key=lambda e: e.card_id)
    encoded = []
    previous = None
    for e in ordered:
        if e.card_id == previous:
            raise ValueError(f"card {e.card_id} listed twice")
        previous = e.card_id
        if e.valid_from > created:
            raise ValueError(f"card {e.card_id}: valid_from after the list's creation time; "
                             "a future start belongs on the card (credential valid-from)")
        encoded.append(fmt.encode_entry(e.card_id, e.issue, e.flags,
                                        _until_day(e.valid_until, utc_offset_min)))
    header = fmt.Header(door_id, version, created, len(encoded), utc_offset_min)
    return fmt.encode_card_list(header, encoded, door_key)


def parse_card_list(data: bytes, door_id: int, door_key: bytes,
                    installed_version: int | None = None) -> ParsedCardList:
    """Verify a list as the node would (same code) and return its contents.

    Raises CardListError with .reason truncated / forged / foreign door /
    not newer / bad format.
    """
    header = fmt.verify_stream(io.BytesIO(data), door_id, door_key, installed_version)
    body = memoryview(data)[fmt.HEADER_SIZE:fmt.HEADER_SIZE + header.count * fmt.ENTRY_SIZE]
    entries = []
    for i in range(0, len(body), fmt.ENTRY_SIZE):
        card_id, issue, flags, day = fmt.decode_entry(body[i:i + fmt.ENTRY_SIZE])
        entries.append(CardListEntry(card_id, issue, 0, _day_end(day, header.utc_offset_min),
                                     flags))
    return ParsedCardList(header.door_id, header.version, header.created,
                          header.utc_offset_min, entries)
