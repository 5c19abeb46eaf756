"""ID document numbers: validation, normalisation and masking.

Mainland resident identity card numbers (GB 11643-1999) have 18 characters:
6-digit administrative region, 8-digit birth date, 3-digit sequence and an
ISO 7064 MOD 11-2 check character (0-9 or X).

    normalise("resident_id", "11010519491231002x") -> "11010519491231002X"
    mask("resident_id", "11010519491231002X")      -> "110***********002X"
"""

from __future__ import annotations

import re
from datetime import date

from .errors import Invalid

DOCUMENT_TYPES = ("resident_id", "passport")

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# First two digits: province-level codes of GB/T 2260 in use on resident cards.
_PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45,
              46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82}
_RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")
_PASSPORT = re.compile(r"^[A-Z0-9]{5,17}$")


def check_character(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS))
    return _CHECK[total % 11]


def _validate_resident_id(number: str, today: date | None) -> None:
    if not _RESIDENT_ID.match(number):
        raise Invalid("a resident ID number has 17 digits and a check digit or X",
                      {"field": "id_number"})
    if int(number[:2]) not in _PROVINCES:
        raise Invalid("unknown province code in resident ID number", {"field": "id_number"})
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise Invalid("resident ID number holds no valid birth date", {"field": "id_number"}) from None
    if born.year < 1890 or born > (today or date.today()):
        raise Invalid("resident ID number holds an impossible birth date", {"field": "id_number"})
    if check_character(number[:17]) != number[17]:
        raise Invalid("resident ID number check digit is wrong", {"field": "id_number"})


def normalise(document_type: str, number: str, today: date | None = None) -> str:
    """Return the canonical form of a document number, or raise Invalid."""
    if document_type not in DOCUMENT_TYPES:
        raise Invalid(f"document type must be one of {', '.join(DOCUMENT_TYPES)}",
                      {"field": "document_type"})
    if not isinstance(number, str):
        raise Invalid("document number must be text", {"field": "id_number"})
    canonical = number.strip().replace(" ", "").upper()
    if document_type == "resident_id":
        _validate_resident_id(canonical, today)
    elif not _PASSPORT.match(canonical):
        raise Invalid("a passport number has 5-17 letters or digits", {"field": "id_number"})
    return canonical


def mask(document_type: str, canonical: str) -> str:
    """The form shown to roles that may not read the number: region prefix and last 4 only."""
    if document_type == "resident_id":
        return canonical[:3] + "*" * 11 + canonical[-4:]
    return canonical[:1] + "*" * (len(canonical) - 3) + canonical[-2:]


def birth_date(canonical_resident_id: str) -> date:
    n = canonical_resident_id
    return date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
