"""Birth-date agreement: which slips can turn one date into the other."""

from __future__ import annotations

import datetime
from enum import StrEnum


class DateAgreement(StrEnum):
    """How two birth dates relate, best first."""

    EXACT = "dob_exact"
    SWAPPED = "dob_day_month_swapped"
    ONE_DIGIT = "dob_one_digit"
    YEAR_OFF = "dob_year_off_by_one"
    PLACEHOLDER = "dob_placeholder"
    MISSING = "dob_missing"
    DIFFERENT = "dob_different"

    @property
    def plausible(self) -> bool:
        """True unless both dates are present and no common slip explains the difference."""
        return self is not DateAgreement.DIFFERENT


def _digits(d: datetime.date) -> str:
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def _one_digit_slip(a: datetime.date, b: datetime.date) -> bool:
    """One digit of YYYYMMDD changed, or the two digits of the month or the day transposed."""
    da, db = _digits(a), _digits(b)
    diff = [i for i in range(8) if da[i] != db[i]]
    if len(diff) == 1:
        return True
    if len(diff) == 2 and diff[1] == diff[0] + 1 and diff[0] in (4, 6):
        i = diff[0]
        return da[i] == db[i + 1] and da[i + 1] == db[i]
    return False


def _is_placeholder(d: datetime.date) -> bool:
    return d.month == 1 and d.day == 1


def compare_dates(a: datetime.date | None, b: datetime.date | None) -> DateAgreement:
    """Classify the agreement between two birth dates (order does not matter)."""
    if a is None or b is None:
        return DateAgreement.MISSING
    if a == b:
        return DateAgreement.EXACT
    if a.year == b.year and a.day == b.month and a.month == b.day:
        return DateAgreement.SWAPPED
    if _one_digit_slip(a, b):
        return DateAgreement.ONE_DIGIT
    if (a.month, a.day) == (b.month, b.day) and abs(a.year - b.year) == 1:
        return DateAgreement.YEAR_OFF
    if a.year == b.year and (_is_placeholder(a) or _is_placeholder(b)):
        return DateAgreement.PLACEHOLDER
    return DateAgreement.DIFFERENT


def swapped(d: datetime.date) -> datetime.date | None:
    """The date with day and month exchanged, when that is another valid date."""
    if d.day > 12 or d.day == d.month:
        return None
    return datetime.date(d.year, d.day, d.month)
