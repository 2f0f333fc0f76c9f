"""Blocking index and query runner, standing in for the blind-index table.

The index maps (index_name, parts) -> record ids, exactly the information a keyed
HMAC blind index would give; every candidate it returns counts as one decryption.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from bench.mxscreen.dataset import Query, Split
from registry.identity import (
    Key,
    Match,
    NormalisedIdentity,
    blocking_keys,
    normalise,
    query_keys,
    score,
)


@dataclass
class Index:
    """Records (normalised, as after decryption) and the blocking table."""

    records: list[NormalisedIdentity]
    table: dict[Key, list[int]]
    build_seconds: float

    @property
    def entries(self) -> int:
        return sum(len(v) for v in self.table.values())


def build_index(split: Split) -> Index:
    """Normalise every registry record and index it under all its blocking keys."""
    start = time.perf_counter()
    records = [normalise(identity) for identity in split.registry]
    table: dict[Key, list[int]] = defaultdict(list)
    for rid, record in enumerate(records):
        for key in blocking_keys(record):
            table[key].append(rid)
    return Index(records, dict(table), time.perf_counter() - start)


@dataclass(frozen=True)
class Outcome:
    """What screening one query produced."""

    query: Query
    candidates: frozenset[int]
    results: tuple[tuple[int, Match], ...]  # every scored candidate
    seconds: float


def screen(index: Index, query: Query) -> Outcome:
    """Normalise, probe every query key, score every candidate."""
    start = time.perf_counter()
    n = normalise(query.identity)
    found: set[int] = set()
    for key in query_keys(n):
        hits = index.table.get(key)
        if hits:
            found.update(hits)
    results = tuple((rid, score(n, index.records[rid])) for rid in found)
    return Outcome(query, frozenset(found), results, time.perf_counter() - start)


def oracle_match(index: Index, query: Query) -> Match | None:
    """The true pair's match as if blocking were perfect (None for negative queries)."""
    if query.true_id is None:
        return None
    return score(normalise(query.identity), index.records[query.true_id])


def run(split: Split, index: Index) -> list[Outcome]:
    """Screen every query of the split."""
    return [screen(index, q) for q in split.queries]
