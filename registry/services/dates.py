"""Calendar rules: working days for redress deadlines, validity periods."""

from __future__ import annotations

import datetime as dt
from functools import cache

import holidays

from registry.models.enums import Country


@cache
def _holidays(country: Country, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country.value, years=year)


def is_working_day(day: dt.date, country: Country) -> bool:
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def add_working_days(start: dt.date, days: int, country: Country) -> dt.date:
    """The date `days` working days after `start` (weekends and national holidays skipped)."""
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current, country):
            remaining -= 1
    return current


def add_years(start: dt.date, years: int) -> dt.date:
    """Same day `years` later; 29 February becomes 28 February in common years."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)
