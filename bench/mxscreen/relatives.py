"""Hard negatives: different persons modelled on a registry person (MX-SCREEN §1)."""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import replace

from bench.mxscreen.config import Population
from bench.mxscreen.population import (
    NameTables,
    Person,
    draw_birth_date,
    draw_surname,
    mx_given,
    shift_years,
    with_curp,
)


def implausible_dob(a: datetime.date, b: datetime.date) -> bool:
    """More than a year apart, and not a day/month swap or a one-digit slip."""
    da, db = f"{a:%Y%m%d}", f"{b:%Y%m%d}"
    one_digit = sum(x != y for x, y in zip(da, db, strict=True)) <= 1
    swap = a.year == b.year and a.day == b.month and a.month == b.day
    return abs((a - b).days) > 366 and not one_digit and not swap


def _one_digit_off(d: datetime.date, pop: Population, rng: random.Random) -> datetime.date:
    digits = f"{d:%Y%m%d}"
    for _ in range(100):
        i = rng.randrange(2, 8)
        new = digits[:i] + rng.choice("0123456789".replace(digits[i], "")) + digits[i + 1 :]
        try:
            out = datetime.date(int(new[:4]), int(new[4:6]), int(new[6:]))
        except ValueError:
            continue
        if pop.first_year <= out.year <= pop.last_year:
            return out
    return d.replace(day=1 if d.day != 1 else 2)


def _other_given(p: Person, t: NameTables, pop: Population, rng: random.Random) -> Person:
    """A different given name; the first distinctive name must differ."""
    sex = rng.choice("HM") if rng.random() < 0.5 else p.sex
    old = {u for u in p.given if u not in ("María", "José")}
    for _ in range(50):
        given = mx_given(t, pop, sex, rng) if not p.us else (t.given_single(sex, rng),)
        new = {u for u in given if u not in ("María", "José")}
        if given != p.given and not (old & new) and given[0] != p.given[0]:
            break
    lead = len(given) > 1 and given[0] in ("María", "José")
    return replace(p, given=given, sex=sex, lead=lead)


def namesake(p: Person, t: NameTables, pop: Population, rng: random.Random) -> Person:
    dob = draw_birth_date(pop, rng)
    while not implausible_dob(dob, p.birth_date):
        dob = draw_birth_date(pop, rng)
    return replace(p, birth_date=dob, state=p.state and t.state(rng))


def namesake_near_dob(p: Person, t: NameTables, pop: Population, rng: random.Random) -> Person:
    if rng.random() < 0.5:
        dob = _one_digit_off(p.birth_date, pop, rng)
    else:
        dob = p.birth_date
        while dob == p.birth_date:
            dob = datetime.date(p.birth_date.year, rng.randint(1, 12), rng.randint(1, 28))
    return replace(p, birth_date=dob)


def sibling(p: Person, t: NameTables, pop: Population, rng: random.Random) -> Person:
    q = _other_given(p, t, pop, rng)
    years = rng.randint(1, 12) * rng.choice((-1, 1))
    dob = shift_years(p.birth_date, years) + datetime.timedelta(days=rng.randint(-180, 180))
    return replace(q, birth_date=dob)


def twin(p: Person, t: NameTables, pop: Population, rng: random.Random) -> Person:
    return _other_given(p, t, pop, rng)


def father_son(p: Person, t: NameTables, pop: Population, rng: random.Random) -> Person:
    gap = rng.randint(18, 45)
    up = shift_years(p.birth_date, gap)
    dob = up if up.year <= pop.last_year else shift_years(p.birth_date, -gap)
    maternal = None if p.us else draw_surname(t, pop, p.state, rng)
    return replace(p, birth_date=dob, maternal=maternal, sex="H")


def same_given_paternal(p: Person, t: NameTables, pop: Population, rng: random.Random) -> Person:
    dob = p.birth_date
    while dob == p.birth_date:
        dob = p.birth_date + datetime.timedelta(days=rng.randint(-5 * 365, 5 * 365))
    maternal = p.maternal
    while maternal == p.maternal:
        maternal = draw_surname(t, pop, p.state, rng)
    return replace(p, birth_date=dob, maternal=maternal)


Maker = Callable[[Person, NameTables, Population, random.Random], Person]
MAKERS: dict[str, Maker] = {
    "namesake": namesake,
    "namesake_near_dob": namesake_near_dob,
    "sibling": sibling,
    "twin": twin,
    "father_son": father_son,
    "same_given_paternal": same_given_paternal,
}


def make_relative(
    kind: str, model: Person, pid: int, t: NameTables, pop: Population, rng: random.Random
) -> Person:
    """A hard negative of type `kind` modelled on `model`, with its own CURP."""
    base = MAKERS[kind](model, t, pop, rng)
    return with_curp(replace(base, pid=pid, relative_of=model.pid, kind=kind), rng)


def eligible(kind: str, model: Person) -> bool:
    """Father/son needs a man; relatives need the model's surnames."""
    if kind == "father_son":
        return model.sex == "H"
    return model.paternal is not None
