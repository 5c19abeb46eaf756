"""Mainland resident ID numbers: checksum, dates, regions, masking (no store needed)."""

from datetime import date

import pytest

from server.errors import Invalid
from server.idnumbers import check_character, mask, normalise

# The worked example of GB 11643-1999.
STANDARD_EXAMPLE = "11010519491231002X"


def test_standard_example_is_valid():
    assert check_character(STANDARD_EXAMPLE[:17]) == "X"
    assert normalise("resident_id", STANDARD_EXAMPLE.lower()) == STANDARD_EXAMPLE


@pytest.mark.parametrize("number", [
    "110105194912310021",   # wrong check digit
    "11010519491331002X",   # month 13
    "11010519490230002X",   # 30 February
    "99010519491231002X",   # no such province
    "1101051949123100",     # too short
    "11010519491231002Y",   # bad check character
    "11010520990101002X",   # born in the future
    "'; DROP TABLE persons;--",
])
def test_invalid_numbers_are_refused(number):
    with pytest.raises(Invalid):
        normalise("resident_id", number, today=date(2030, 1, 1))


def test_mask_keeps_only_region_prefix_and_tail():
    assert mask("resident_id", STANDARD_EXAMPLE) == "110***********002X"
    assert mask("passport", "E12345678") == "E******78"


def test_passport_format():
    assert normalise("passport", " e1234 5678 ") == "E12345678"
    with pytest.raises(Invalid):
        normalise("passport", "E1")
    with pytest.raises(Invalid):
        normalise("driving_licence", "E12345678")
