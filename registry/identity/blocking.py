"""Blocking keys: compound keys that become blind indexes (keyed HMACs) elsewhere.

No key is built over one low-entropy field. Names enter as Spanish phonetic codes
(`phonetic.phonetic_key`) of canonical given names (PEPE -> JOSE) and of every
surname token, so accents, particles, swapped or merged surnames and most
confusable spellings do not change them. "Given" is one of the first two written-out
given names; "distinctive given" leaves out a leading MARIA/JOSE. Keys stored:

====================  ==========================================  ===========================
index                 parts                                       survives
====================  ==========================================  ===========================
curp                  full CURP                                   any name or date damage
curp16                CURP less homoclave and check digit         homoclave/check-digit typo
dob_sur               birth date, one surname                     given-name changes; a
                                                                  surname dropped, swapped,
                                                                  merged or married away
dob_given             birth date, given                           any surname change
year_month_given_sur  year and month, distinctive given, surname  a day typo (+ one surname)
year_day_given_sur    year and day, distinctive given, surname    a month typo (+ one surname)
year_names            year, given, both surnames                  day/month typos
day_names             month and day, given, both surnames         a year typo
names                 distinctive given, both surnames            a missing date (query)
undated_names         distinctive given, both surnames; only for  a missing date (record)
                      a record without a birth date
====================  ==========================================  ===========================

`query_keys` probes more: the day/month-swapped date (with `dob_sur` only: a swap
with the names intact is found by `year_names` too, and every other key over it mostly
met namesakes born on that other day), `year_names` one year either side, every month
of the year for a 1 January date (a common placeholder), the date a valid CURP encodes
when the date is missing, and the keys of the alternative readings of the name fields
(`readings.readings`: given names and surnames swapped; last given name as paternal
surname; "HERNANDEZLOPEZ" split).

A query with a birth date does not probe `names`: its bucket holds every namesake in
the registry, and one born on a date that is neither a swap nor a one-digit slip of
the query's, nor within a year of it, cannot reach `possible` (see `matching`). The
namesakes that can are found through `year_names` (same year or one either side: a day
or month typo, a placeholder), `day_names` (a year typo) and `undated_names` (no
date on record). A query without a date probes `names`, which every record holds.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import combinations

from registry.identity.dates import swapped
from registry.identity.model import GivenName, NormalisedIdentity
from registry.identity.phonetic import phonetic_key
from registry.identity.readings import readings
from registry.identity.tables import WEAK_GIVEN

Key = tuple[str, tuple[str, ...]]
# Version of the stored keys. 1: before `day_names` and `undated_names`; an index built
# under it is probed with `names` whatever the query (`query_keys(..., scheme=1)`).
BLOCKING_SCHEME = 2
_GIVEN_FOR_KEYS = 2


def _unique(codes: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(c for c in codes if c))


@lru_cache(maxsize=1 << 14)  # one given name at a time: no identity is cached
def _name_codes(g: GivenName) -> tuple[str, ...]:
    return tuple(_unique(phonetic_key(c) for c in sorted(g.canonical)))


def _given_codes(given: tuple[GivenName, ...]) -> tuple[list[str], list[str]]:
    first = [g for g in given if not g.is_initial][:_GIVEN_FOR_KEYS]
    every = _unique(c for g in first for c in _name_codes(g))
    strong = [g for g in first if g.text not in WEAK_GIVEN] or first
    return every, _unique(c for g in strong for c in _name_codes(g))


def given_codes(n: NormalisedIdentity) -> tuple[list[str], list[str]]:
    """Phonetic codes of the first two written-out given names: (all, distinctive).

    The distinctive list leaves out MARIA/JOSE when another name is there.
    """
    return _given_codes(n.given)


def surname_codes(n: NormalisedIdentity) -> list[str]:
    """Phonetic codes of every surname token (paternal, maternal, married suffix)."""
    return _unique(phonetic_key(t) for t in n.paternal + n.maternal + n.extra_surnames)


def _pairs(surnames: list[str]) -> list[tuple[str, str]]:
    return [(a, b) if a <= b else (b, a) for a, b in combinations(surnames, 2)]


def _name_keys(
    codes: tuple[list[str], list[str], list[str]],
    dates: Sequence[datetime.date],
    years: Sequence[str],
) -> list[Key]:
    """`year_names` for `years` and `day_names` for the month and day of `dates`."""
    every, _, surnames = codes
    pairs = _pairs(surnames)
    days = list(dict.fromkeys(d.isoformat()[5:] for d in dates))
    keys: list[Key] = [("year_names", (y, g, *p)) for y in years for g in every for p in pairs]
    keys += [("day_names", (md, g, *p)) for md in days for g in every for p in pairs]
    return keys


def _undated_keys(codes: tuple[list[str], list[str], list[str]], kind: str) -> list[Key]:
    """`names` or `undated_names`: distinctive given name and both surnames, no date."""
    _, strong, surnames = codes
    return [(kind, (g, *p)) for g in strong for p in _pairs(surnames)]


def _codes(n: NormalisedIdentity) -> tuple[list[str], list[str], list[str]]:
    every, strong = given_codes(n)
    return every, strong, surname_codes(n)


def _date_keys(
    codes: tuple[list[str], list[str], list[str]], dates: Sequence[datetime.date]
) -> list[Key]:
    """Keys over the first date and a name; over a second (the swapped date) `dob_sur` only."""
    every, strong, surnames = codes
    keys: list[Key] = []
    for n, d in enumerate(dates):
        iso = d.isoformat()
        keys += [("dob_sur", (iso, s)) for s in surnames]
        if n:
            continue
        keys += [("dob_given", (iso, g)) for g in every]
        month, day = iso[:7], f"{d.year}-xx-{d.day:02d}"
        keys += [("year_month_given_sur", (month, g, s)) for g in strong for s in surnames]
        keys += [("year_day_given_sur", (day, g, s)) for g in strong for s in surnames]
    return keys


def _curp_keys(n: NormalisedIdentity) -> list[Key]:
    if not n.curp or len(n.curp) != 18:
        return []
    return [("curp", (n.curp,)), ("curp16", (n.curp[:16],))]


def _own_date(n: NormalisedIdentity) -> datetime.date | None:
    """The birth date, or the one a valid CURP encodes when it is missing."""
    if n.birth_date is not None:
        return n.birth_date
    return n.curp_info.birth_date if n.curp_info is not None else None


def blocking_keys(n: NormalisedIdentity) -> list[Key]:
    """Keys stored for a record (and the core of a query's keys)."""
    own = _own_date(n)
    dates = [own] if own else []
    years = [str(own.year)] if own else []
    codes = _codes(n)
    keys = _curp_keys(n) + _date_keys(codes, dates) + _name_keys(codes, dates, years)
    keys += _undated_keys(codes, "names") + ([] if own else _undated_keys(codes, "undated_names"))
    return list(dict.fromkeys(keys))


def _query_dates(n: NormalisedIdentity) -> list[datetime.date]:
    own = _own_date(n)
    if own is None:
        return []
    other = swapped(own)
    return [own] if other is None else [own, other]


def query_keys(n: NormalisedIdentity, scheme: int = BLOCKING_SCHEME) -> list[Key]:
    """Keys a screening query probes in an index built under blocking `scheme`: those of
    `blocking_keys(n)` that can find a match, and more."""
    dates = _query_dates(n)
    years = [str(dates[0].year + k) for k in (0, -1, 1)] if dates else []
    keys = _curp_keys(n)
    for i, reading in enumerate(readings(n)):
        codes = _codes(reading.identity)
        # Alternative readings probe the stated year only: they rarely meet a year slip.
        keys += _date_keys(codes, dates) + _name_keys(codes, dates, years if i == 0 else years[:1])
        keys += _undated_keys(codes, "undated_names" if dates and scheme > 1 else "names")
    if dates and (dates[0].month, dates[0].day) == (1, 1):
        keys += _placeholder_keys(_codes(n), dates[0].year)
    return list(dict.fromkeys(keys))


def _placeholder_keys(codes: tuple[list[str], list[str], list[str]], year: int) -> list[Key]:
    """1 January is often a placeholder for an unknown date: probe every month."""
    _, strong, surnames = codes
    months = [f"{year:04d}-{m:02d}" for m in range(2, 13)]
    return [("year_month_given_sur", (m, g, s)) for m in months for g in strong for s in surnames]
