"""Blocking keys: compound keys that become blind indexes (keyed HMACs) elsewhere.

No key is built over one low-entropy field. Names enter as Spanish phonetic codes
(`phonetic.phonetic_key`) of canonical given names (PEPE -> JOSE) and of every
surname token, so accents, particles, swapped or merged surnames and most
confusable spellings do not change them. Keys stored for a record:

==================  ======================================  ==============================
index               parts                                   survives
==================  ======================================  ==============================
curp                full CURP                               name and date corruption
curp16              CURP without homoclave and check digit  homoclave / check-digit typos
dob_sur             birth date, one surname                 given-name changes, a surname
                                                            dropped, swapped or married away
dob_given           birth date, one of the first two        surname changes of any kind
                    given names
year_given_sur      birth year, a distinctive given name    day/month typos with a surname
                    (not MARIA/JOSE), one surname           dropped
year_names          birth year, given name, two surnames    date typos with weak given names
names               distinctive given name, two surnames    missing or badly typed dates
==================  ======================================  ==============================

`query_keys` probes more: the day/month-swapped date, years one either side for
`year_names`, the date a valid CURP encodes when the date is missing, and the keys of
the alternative readings of the name fields (`readings.readings`: given names and
surnames swapped; last given name as paternal surname).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from itertools import combinations

from registry.identity.dates import swapped
from registry.identity.model import NormalisedIdentity
from registry.identity.phonetic import phonetic_key
from registry.identity.readings import readings
from registry.identity.tables import WEAK_GIVEN

Key = tuple[str, tuple[str, ...]]
_GIVEN_FOR_KEYS = 2


def _unique(codes: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(c for c in codes if c))


def given_codes(n: NormalisedIdentity) -> tuple[list[str], list[str]]:
    """Phonetic codes of the first two written-out given names: (all, distinctive).

    The distinctive list leaves out MARIA/JOSE when another name is there.
    """
    first = n.full_given[:_GIVEN_FOR_KEYS]
    every = _unique(phonetic_key(c) for g in first for c in sorted(g.canonical))
    strong = [g for g in first if g.text not in WEAK_GIVEN] or list(first)
    return every, _unique(phonetic_key(c) for g in strong for c in sorted(g.canonical))


def surname_codes(n: NormalisedIdentity) -> list[str]:
    """Phonetic codes of every surname token (paternal, maternal, married suffix)."""
    return _unique(phonetic_key(t) for t in n.paternal + n.maternal + n.extra_surnames)


def _name_keys(n: NormalisedIdentity, years: Sequence[str]) -> list[Key]:
    every, strong = given_codes(n)
    surnames = surname_codes(n)
    pairs = [tuple(sorted(p)) for p in combinations(surnames, 2)]
    keys: list[Key] = [("names", (g, *p)) for g in strong for p in pairs]
    if years:
        keys += [("year_given_sur", (years[0], g, s)) for g in strong for s in surnames]
        keys += [("year_names", (y, g, *p)) for y in years for g in every for p in pairs]
    return keys


def _date_keys(n: NormalisedIdentity, dates: Sequence[datetime.date]) -> list[Key]:
    every, _ = given_codes(n)
    surnames = surname_codes(n)
    keys: list[Key] = []
    for d in dates:
        iso = d.isoformat()
        keys += [("dob_sur", (iso, s)) for s in surnames]
        keys += [("dob_given", (iso, g)) for g in every]
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
    keys = _curp_keys(n) + _date_keys(n, dates) + _name_keys(n, years)
    return list(dict.fromkeys(keys))


def _query_dates(n: NormalisedIdentity) -> list[datetime.date]:
    own = _own_date(n)
    if own is None:
        return []
    other = swapped(own)
    return [own] if other is None else [own, other]


def query_keys(n: NormalisedIdentity) -> list[Key]:
    """Keys a screening query probes: a superset of `blocking_keys(n)`."""
    dates = _query_dates(n)
    years = [str(dates[0].year + k) for k in (0, -1, 1)] if dates else []
    keys = _curp_keys(n)
    for reading in readings(n):
        keys += _date_keys(reading.identity, dates) + _name_keys(reading.identity, years)
    return list(dict.fromkeys(keys))
