"""MX-SCREEN scoring protocol (§4): pairwise metrics over screened queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bench.mxscreen.dataset import Split
from bench.mxscreen.harness import Outcome
from bench.mxscreen.relatives import implausible_dob
from registry.identity import Match, MatchLevel

RANK = {MatchLevel.EXACT: 3, MatchLevel.PROBABLE: 2, MatchLevel.POSSIBLE: 1, None: 0}
LEVELS = (MatchLevel.EXACT, MatchLevel.PROBABLE, MatchLevel.POSSIBLE)


def rank(m: Match) -> int:
    return RANK[m.level]


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def true_match(o: Outcome) -> Match | None:
    """The true pair's match, if blocking found it."""
    return next((m for rid, m in o.results if rid == o.query.true_id), None)


def pairs(outcomes: Iterable[Outcome]) -> list[tuple[float, bool]]:
    """(score, is true pair) for every scored pair."""
    return [(m.score, rid == o.query.true_id) for o in outcomes for rid, m in o.results]


@dataclass(frozen=True)
class LevelRow:
    level: str
    recall: float
    precision: float
    recall_at_or_above: float
    precision_at_or_above: float
    false_alerts_per_1000: float


def level_rows(outcomes: list[Outcome]) -> list[LevelRow]:
    pos = [o for o in outcomes if o.query.true_id is not None]
    neg = [o for o in outcomes if o.query.true_id is None]
    rows = []
    for level in LEVELS:
        r = RANK[level]
        tp = fp = tp_ge = fp_ge = 0
        for o in outcomes:
            for rid, m in o.results:
                ok = rid == o.query.true_id
                tp, fp = tp + (ok and rank(m) == r), fp + (not ok and rank(m) == r)
                tp_ge, fp_ge = tp_ge + (ok and rank(m) >= r), fp_ge + (not ok and rank(m) >= r)
        hit = [true_match(o) for o in pos]
        alerts = sum(any(rank(m) >= r for _, m in o.results) for o in neg)
        rows.append(
            LevelRow(
                level.value,
                ratio(sum(m is not None and rank(m) == r for m in hit), len(pos)),
                ratio(tp, tp + fp),
                ratio(sum(m is not None and rank(m) >= r for m in hit), len(pos)),
                ratio(tp_ge, tp_ge + fp_ge),
                ratio(1000 * alerts, len(neg)),
            )
        )
    return rows


def choose_threshold(scored: list[tuple[float, bool]], target: float) -> float:
    """Lowest score threshold whose pairwise precision is at least `target`."""
    ordered = sorted(scored, key=lambda p: -p[0])
    tp = fp = 0
    best = 1.01
    for i, (s, ok) in enumerate(ordered):
        tp, fp = tp + ok, fp + (not ok)
        last_of_tie = i + 1 == len(ordered) or ordered[i + 1][0] != s
        if last_of_tie and tp / (tp + fp) >= target:
            best = s
    return best


def at_threshold(outcomes: list[Outcome], t: float) -> tuple[float, float]:
    """(recall, pairwise precision) when every pair scoring at least t is a match."""
    pos = [o for o in outcomes if o.query.true_id is not None]
    tp = sum(1 for o in pos if (m := true_match(o)) is not None and m.score >= t)
    predicted = sum(1 for o in outcomes for _, m in o.results if m.score >= t)
    return ratio(tp, len(pos)), ratio(tp, predicted)


def stratified(
    outcomes: list[Outcome], key: Callable[[Outcome], Iterable[str]]
) -> dict[str, tuple[int, float, float, float]]:
    """Per stratum: n, blocking recall, recall at >= probable, recall at >= possible."""
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.query.true_id is not None:
            for k in key(o):
                groups[k].append(o)
    out = {}
    for k, group in sorted(groups.items()):
        ms = [true_match(o) for o in group]
        out[k] = (
            len(group),
            ratio(sum(o.query.true_id in o.candidates for o in group), len(group)),
            ratio(sum(m is not None and rank(m) >= 2 for m in ms), len(group)),
            ratio(sum(m is not None and rank(m) >= 1 for m in ms), len(group)),
        )
    return out


@dataclass(frozen=True)
class HardRow:
    """One hard-negative type among negative queries."""

    n: int
    model_probable: float  # share whose modelled-on registry person came back >= probable
    model_possible: float
    any_probable: float  # share with any registry hit >= probable
    far_dob: int  # queries whose (corrupted) birth date is > 1 year from the model's, no slip
    far_dob_probable: int  # ... of which the model came back >= probable (must be 0)


def hard_negative_rates(outcomes: list[Outcome], split: Split) -> dict[str, HardRow]:
    """Per hard-negative type among negative queries."""
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.query.true_id is None and o.query.kind is not None:
            groups[o.query.kind].append(o)
    out = {}
    for kind, group in sorted(groups.items()):

        def model(o: Outcome, r: int) -> bool:
            return any(rid == o.query.relative_of and rank(m) >= r for rid, m in o.results)

        far = [o for o in group if _far_from_model(o, split)]
        out[kind] = HardRow(
            len(group),
            ratio(sum(model(o, 2) for o in group), len(group)),
            ratio(sum(model(o, 1) for o in group), len(group)),
            ratio(sum(any(rank(m) >= 2 for _, m in o.results) for o in group), len(group)),
            len(far),
            sum(model(o, 2) for o in far),
        )
    return out


def _far_from_model(o: Outcome, split: Split) -> bool:
    q = o.query.identity.birth_date
    r = split.registry[o.query.relative_of].birth_date if o.query.relative_of is not None else None
    return q is not None and r is not None and implausible_dob(q, r)


def registry_relative_rates(outcomes: list[Outcome], split: Split) -> dict[str, tuple[int, int]]:
    """Positive queries of persons with a hard-negative relative in the registry: per type,
    (queries, queries whose relative came back >= probable)."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in outcomes:
        pid = o.query.true_id
        if pid is None or pid not in split.relatives:
            continue
        for rel in split.relatives[pid]:
            a, b = split.persons[pid], split.persons[rel]
            kind = b.kind if b.relative_of == pid else a.kind
            row = out[str(kind)]
            row[0] += 1
            row[1] += any(rid == rel and rank(m) >= 2 for rid, m in o.results)
    return {k: (v[0], v[1]) for k, v in sorted(out.items())}


def implausible_dob_probable(outcomes: list[Outcome], split: Split) -> tuple[int, int]:
    """(pairs whose birth dates are > 1 year apart with no swap/slip explaining it,
    how many of them came back >= probable)."""
    total = bad = 0
    for o in outcomes:
        q = o.query.identity.birth_date
        for rid, m in o.results:
            r = split.registry[rid].birth_date
            if q is not None and r is not None and implausible_dob(q, r):
                total += 1
                bad += rank(m) >= 2
    return total, bad
