"""Birth-date agreement classes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.identity import DateAgreement, compare_dates

D = dt.date


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (D(1985, 3, 14), D(1985, 3, 14), DateAgreement.EXACT),
        (D(1985, 3, 4), D(1985, 4, 3), DateAgreement.SWAPPED),
        (D(1985, 3, 14), D(1985, 3, 17), DateAgreement.ONE_DIGIT),
        (D(1985, 3, 14), D(1965, 3, 14), DateAgreement.ONE_DIGIT),
        (D(1985, 3, 13), D(1985, 3, 31), DateAgreement.ONE_DIGIT),  # day digits transposed
        (D(1985, 3, 14), D(1986, 3, 14), DateAgreement.ONE_DIGIT),
        (D(1989, 3, 14), D(1990, 3, 14), DateAgreement.YEAR_OFF),
        (D(1985, 1, 1), D(1985, 7, 23), DateAgreement.PLACEHOLDER),
        (D(1985, 3, 14), None, DateAgreement.MISSING),
        (D(1985, 3, 14), D(1958, 3, 14), DateAgreement.DIFFERENT),  # year digits transposed
        (D(1985, 3, 14), D(1985, 9, 27), DateAgreement.DIFFERENT),
        (D(1985, 3, 14), D(1991, 3, 14), DateAgreement.DIFFERENT),
        (D(1985, 3, 14), D(1992, 8, 1), DateAgreement.DIFFERENT),
    ],
)
def test_agreement_classes(a: D, b: D | None, expected: DateAgreement) -> None:
    assert compare_dates(a, b) is expected
    assert compare_dates(b, a) is expected


dates = st.dates(D(1940, 1, 1), D(2010, 12, 31))


@given(dates, dates)
def test_symmetric(a: D, b: D) -> None:
    assert compare_dates(a, b) is compare_dates(b, a)


@given(dates, dates)
def test_far_dates_are_implausible_unless_one_digit_explains_them(a: D, b: D) -> None:
    digits = sum(x != y for x, y in zip(f"{a:%Y%m%d}", f"{b:%Y%m%d}", strict=True))
    if abs((a - b).days) > 366 and digits >= 2:
        assert not compare_dates(a, b).plausible
