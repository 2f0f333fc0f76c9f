"""Seeded synthetic population: registry persons and their hard-negative relatives."""

from __future__ import annotations

import datetime
import itertools
import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bench.mxscreen import names_data as data
from bench.mxscreen.config import Population
from bench.mxscreen.curp_gen import derive_curp


@dataclass(frozen=True)
class Person:
    """A true person. `given` holds name units ("María", "de los Ángeles")."""

    pid: int
    given: tuple[str, ...]
    paternal: str | None
    maternal: str | None
    birth_date: datetime.date
    sex: str
    state: str | None  # None for U.S. persons
    curp: str | None
    us: bool
    lead: bool = False  # compound name led by María/José
    relative_of: int | None = None  # the person a hard negative is modelled on
    kind: str | None = None  # hard-negative type


class Sampler:
    """Weighted choice with precomputed cumulative weights."""

    def __init__(self, items: Sequence[str], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))

    def __call__(self, rng: random.Random) -> str:
        return self.items[bisect(self.cum, rng.random() * self.cum[-1])]


def zipf(items: Sequence[str], s: float = 1.0, start: int = 1) -> Sampler:
    """Zipf weights 1/rank**s over `items`, first item at rank `start`."""
    return Sampler(items, [1.0 / (start + i) ** s for i in range(len(items))])


class NameTables:
    """Samplers for surnames and given names, built once per seed."""

    def __init__(self, rng: random.Random) -> None:
        head_names = [n for n, _ in data.SURNAME_HEAD]
        body = [n for n in dict.fromkeys(data.SURNAME_BODY.split()) if n not in head_names]
        tail = data.synthetic_surnames(2300 - len(body), set(head_names) | set(body), rng)
        rest = body + tail
        head_mass = sum(w for _, w in data.SURNAME_HEAD)
        rank_w = [1.0 / (21 + i) for i in range(len(rest))]
        scale = (1.0 - head_mass) / sum(rank_w)
        self.surname = Sampler(
            head_names + rest, [w for _, w in data.SURNAME_HEAD] + [w * scale for w in rank_w]
        )
        self.maya = zipf(data.MAYA_SURNAMES, 0.8)
        self.particle = Sampler(*zip(*data.PARTICLE_SURNAMES, strict=True))
        self.male = zipf(data.MALE_NAMES, 0.9)
        self.female = zipf(data.FEMALE_NAMES, 0.9)
        self.maria = Sampler(*zip(*data.MARIA_SECONDS, strict=True))
        self.jose = Sampler(*zip(*data.JOSE_SECONDS, strict=True))
        self.us_male = zipf(data.US_MALE, 0.8)
        self.us_female = zipf(data.US_FEMALE, 0.8)
        self.us_surname = zipf(data.US_SURNAMES, 0.7)
        self.state = Sampler(*zip(*data.STATES, strict=True))

    def given_single(self, sex: str, rng: random.Random) -> str:
        if sex == "X":
            sex = rng.choice("HM")
        return self.male(rng) if sex == "H" else self.female(rng)


def draw_surname(t: NameTables, pop: Population, state: str | None, rng: random.Random) -> str:
    if rng.random() < pop.particle_surname:
        return t.particle(rng)
    maya = pop.maya_in_region if state in data.MAYA_STATES else pop.maya_elsewhere
    return t.maya(rng) if rng.random() < maya else t.surname(rng)


def mx_given(t: NameTables, pop: Population, sex: str, rng: random.Random) -> tuple[str, ...]:
    female = sex == "M" or (sex == "X" and rng.random() < 0.5)
    lead_share = pop.maria_jose_compound_women if female else pop.maria_jose_compound_men
    u = rng.random()
    units: tuple[str, ...]
    if u < lead_share:
        units = ("María", t.maria(rng)) if female else ("José", t.jose(rng))
    elif u < lead_share + pop.other_compound:
        first = t.given_single(sex, rng)
        second = t.given_single(sex, rng)
        while second == first or second in ("María", "José"):
            second = t.given_single(sex, rng)
        units = (first, second)
    else:
        units = (t.given_single(sex, rng),)
    if rng.random() < pop.third_name:
        units = (*units, t.given_single(sex, rng))
    return units


def draw_birth_date(pop: Population, rng: random.Random) -> datetime.date:
    days = (datetime.date(pop.last_year, 12, 31) - datetime.date(pop.first_year, 1, 1)).days
    d = datetime.date(pop.first_year, 1, 1) + datetime.timedelta(days=rng.randint(0, days))
    return datetime.date(d.year, 1, 1) if rng.random() < pop.january_first else d


def _sex(pop: Population, rng: random.Random) -> str:
    return "X" if rng.random() < pop.sex_x else rng.choice("HM")


def mexican(pid: int, t: NameTables, pop: Population, rng: random.Random) -> Person:
    sex = _sex(pop, rng)
    state = "NE" if rng.random() < pop.born_abroad else t.state(rng)
    given = mx_given(t, pop, sex, rng)
    region = state if state != "NE" else None
    paternal = draw_surname(t, pop, region, rng)
    maternal = None if rng.random() < pop.single_surname else draw_surname(t, pop, region, rng)
    dob = draw_birth_date(pop, rng)
    curp = derive_curp(" ".join(given), paternal, maternal, dob, sex, state, rng)
    lead = len(given) > 1 and given[0] in ("María", "José")
    return Person(pid, given, paternal, maternal, dob, sex, state, curp, False, lead)


def american(pid: int, t: NameTables, pop: Population, rng: random.Random) -> Person:
    sex = _sex(pop, rng)
    female = sex == "M" or (sex == "X" and rng.random() < 0.5)
    if rng.random() < pop.us_hispanic:
        first, middle = t.given_single(sex, rng), t.given_single(sex, rng)
        last = draw_surname(t, pop, None, rng)
        if rng.random() < pop.us_hyphenated:
            last = f"{last}-{draw_surname(t, pop, None, rng)}"
    else:
        names = t.us_female if female else t.us_male
        first, middle, last = names(rng), names(rng), t.us_surname(rng)
    given = (first, middle) if rng.random() < pop.us_middle_name and middle != first else (first,)
    dob = draw_birth_date(pop, rng)
    return Person(pid, given, last, None, dob, sex, None, None, True)


def random_person(pid: int, t: NameTables, pop: Population, rng: random.Random) -> Person:
    """A person drawn from the population distributions."""
    if rng.random() < pop.us_share:
        return american(pid, t, pop, rng)
    return mexican(pid, t, pop, rng)


def with_curp(p: Person, rng: random.Random) -> Person:
    """Re-derive the CURP after the person's fields changed (U.S. persons keep none)."""
    if p.us or p.state is None:
        return p
    curp = derive_curp(" ".join(p.given), p.paternal, p.maternal, p.birth_date, p.sex, p.state, rng)
    return replace(p, curp=curp)


def shift_years(d: datetime.date, years: int) -> datetime.date:
    """The same day `years` later (28 February for 29 February in a common year)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)
