"""One split (dev or test): registry persons, the registry's records and the queries."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

from bench.mxscreen.config import Preset
from bench.mxscreen.corrupt import corrupt, registry_copy
from bench.mxscreen.population import NameTables, Person, random_person
from bench.mxscreen.relatives import eligible, make_relative
from registry.identity import Identity

# The name tables are the same "country" for every split; only the people differ.
_TABLE_SEED = "mx-screen-name-tables-v1"


@dataclass(frozen=True)
class Query:
    """A screening query with its ground truth and the corruptions it carries."""

    qid: int
    identity: Identity
    true_id: int | None  # registry person for a positive query
    profile: str  # "mx" (MX-official) or "us" (US-record)
    corruptions: tuple[str, ...]
    curp_supplied: bool
    relative_of: int | None = None  # registry person a hard-negative query is modelled on
    kind: str | None = None  # hard-negative type


@dataclass
class Split:
    """Everything one run of the harness needs."""

    name: str
    seed: str
    persons: list[Person]
    registry: list[Identity]
    queries: list[Query]
    relatives: dict[int, list[int]]  # registry pid -> its hard-negative relatives in the registry


def _counts(shares: dict[str, float], total: int) -> dict[str, int]:
    return {k: round(v * total) for k, v in shares.items()}


def _add_relatives(
    persons: list[Person], preset: Preset, n: int, tables: NameTables, rng: random.Random
) -> None:
    base = list(persons)
    for kind, count in _counts(preset.hard_negatives, n).items():
        models = [p for p in base if eligible(kind, p)]
        for model in rng.sample(models, min(count, len(models))):
            persons.append(make_relative(kind, model, len(persons), tables, preset.population, rng))


def _population(n: int, preset: Preset, tables: NameTables, rng: random.Random) -> list[Person]:
    hard = sum(_counts(preset.hard_negatives, n).values())
    persons = [random_person(i, tables, preset.population, rng) for i in range(n - hard)]
    _add_relatives(persons, preset, n, tables, rng)
    return persons


def _relatives(persons: list[Person]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for p in persons:
        if p.relative_of is not None:
            out[p.relative_of].append(p.pid)
            out[p.pid].append(p.relative_of)
    return dict(out)


class _QueryMaker:
    def __init__(self, split: Split, preset: Preset, tables: NameTables, rng: random.Random):
        self.split, self.preset, self.tables, self.rng = split, preset, tables, rng

    def make(self, p: Person, true_id: int | None) -> Query:
        us = self.rng.random() < self.preset.us_profile_share
        rates = self.preset.us if us else self.preset.mx
        anchor = p.relative_of if true_id is None else p.pid
        others = self.split.relatives.get(anchor, []) if anchor is not None else []
        curps = [c for c in (self.split.persons[i].curp for i in others) if c and c != p.curp]
        done = corrupt(p, rates, self.preset, (self.rng, self.tables, curps))
        return Query(
            len(self.split.queries),
            done.identity,
            true_id,
            "us" if us else "mx",
            done.corruptions,
            done.curp_supplied,
            p.relative_of,
            p.kind,
        )


def _negatives(
    split: Split, preset: Preset, tables: NameTables, n_neg: int, rng: random.Random
) -> list[Person]:
    shares = preset.hard_negatives
    total = sum(shares.values())
    n_hard = round(preset.neg_hard_share * n_neg)
    out: list[Person] = []
    next_pid = len(split.persons) + 1_000_000
    for kind, count in _counts({k: v / total for k, v in shares.items()}, n_hard).items():
        models = [p for p in split.persons if eligible(kind, p)]
        for model in rng.choices(models, k=count):
            out.append(make_relative(kind, model, next_pid, tables, preset.population, rng))
            next_pid += 1
    while len(out) < n_neg:
        out.append(random_person(next_pid, tables, preset.population, rng))
        next_pid += 1
    rng.shuffle(out)
    return out


def build_split(name: str, seed: int, n: int, n_pos: int, n_neg: int, preset: Preset) -> Split:
    """Generate a split: population of `n`, `n_pos` member and `n_neg` non-member queries."""
    label = f"{name}:{seed}:{preset.name}"
    rng = random.Random(label)
    tables = NameTables(random.Random(_TABLE_SEED))
    persons = _population(n, preset, tables, rng)
    registry = [registry_copy(p, preset, rng, tables) for p in persons]
    split = Split(name, label, persons, registry, [], _relatives(persons))
    maker = _QueryMaker(split, preset, tables, rng)
    members = rng.sample(persons, n_pos) if n_pos <= n else rng.choices(persons, k=n_pos)
    for p in members:
        split.queries.append(maker.make(p, p.pid))
    for p in _negatives(split, preset, tables, n_neg, rng):
        split.queries.append(maker.make(p, None))
    return split
