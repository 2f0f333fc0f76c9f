"""Text report of one benchmark run (test split, thresholds fixed on dev)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bench.mxscreen import metrics as mt
from bench.mxscreen.dataset import Split
from bench.mxscreen.harness import Index, Outcome


@dataclass
class Run:
    """A screened split with its index and timings."""

    split: Split
    index: Index
    outcomes: list[Outcome]
    generate_seconds: float
    screen_seconds: float
    oracle_probable: float = float("nan")


def _pct(x: float) -> str:
    return f"{100 * x:6.2f}%"


def _levels(run: Run, out: Callable[[str], None]) -> None:
    out(
        f"{'level':10} {'recall':>8} {'precision':>10} {'recall>=':>9} {'prec>=':>8}"
        f" {'false alerts/1000 neg (>=)':>27}"
    )
    for r in mt.level_rows(run.outcomes):
        out(
            f"{r.level:10} {_pct(r.recall):>8} {_pct(r.precision):>10} "
            f"{_pct(r.recall_at_or_above):>9} {_pct(r.precision_at_or_above):>8} "
            f"{r.false_alerts_per_1000:27.2f}"
        )


def _headline(test: Run, dev: Run | None, out: Callable[[str], None]) -> None:
    rows = {r.level: r for r in mt.level_rows(test.outcomes)}
    probable = rows["probable"]
    out(
        f"recall at probable-or-better: {_pct(probable.recall_at_or_above)}"
        f"  precision {_pct(probable.precision_at_or_above)}"
        f"  (oracle blocking: recall {_pct(test.oracle_probable)})"
    )
    for label, keep, target in (
        ("all queries", lambda o: True, 0.99),
        ("queries with a CURP", lambda o: o.query.curp_supplied, 0.999),
    ):
        test_o = [o for o in test.outcomes if keep(o)]
        t_or = mt.choose_threshold(mt.pairs(test_o), target)
        rec_or, _ = mt.at_threshold(test_o, t_or)
        text = f"ORACLE threshold {t_or:.4f} (chosen on test) -> recall {_pct(rec_or)}"
        t = t_or
        if dev is not None:
            t = mt.choose_threshold(mt.pairs([o for o in dev.outcomes if keep(o)]), target)
            rec, prec = mt.at_threshold(test_o, t)
            text = f"threshold {t:.4f} (dev) -> recall {_pct(rec)}, precision {_pct(prec)}; {text}"
        out(f"recall at pairwise precision >= {target} ({label}): {text}")
        if label == "all queries":
            neg = [o for o in test_o if o.query.true_id is None]
            alerts = sum(any(m.score >= t for _, m in o.results) for o in neg)
            out(
                f"false alerts per 1,000 negative screenings at that threshold: "
                f"{1000 * alerts / max(1, len(neg)):.2f}"
            )
    pos = [o for o in test.outcomes if o.query.true_id is not None]
    blocked = sum(o.query.true_id in o.candidates for o in pos)
    out(f"blocking recall (pairs completeness): {_pct(blocked / max(1, len(pos)))}")
    total, bad = mt.implausible_dob_probable(test.outcomes, test.split)
    out(f"pairs with birth dates > 1 year apart (no swap/slip) at >= probable: {bad} of {total}")


def _hard(run: Run, out: Callable[[str], None]) -> None:
    out(
        f"{'negative query type':22} {'n':>6} {'model>=prob':>12} {'model>=poss':>12}"
        f" {'any>=prob':>10} {'DOB>1y apart: n, >=prob':>24}"
    )
    for kind, r in mt.hard_negative_rates(run.outcomes, run.split).items():
        out(
            f"{kind:22} {r.n:6d} {_pct(r.model_probable):>12} {_pct(r.model_possible):>12}"
            f" {_pct(r.any_probable):>10} {r.far_dob:>17d} {r.far_dob_probable:6d}"
        )
    out(f"{'registry relative type':22} {'pairs':>6} {'relative>=prob':>15}")
    for kind, (n, bad) in mt.registry_relative_rates(run.outcomes, run.split).items():
        out(f"{kind:22} {n:6d} {bad:15d}")


def _strata(
    title: str, rows: dict[str, tuple[int, float, float, float]], out: Callable[[str], None]
) -> None:
    out(f"{title:22} {'n':>6} {'blocking':>9} {'>=probable':>11} {'>=possible':>11}")
    for k, (n, b, p2, p1) in rows.items():
        out(f"{k:22} {n:6d} {_pct(b):>9} {_pct(p2):>11} {_pct(p1):>11}")


def _cost(run: Run, out: Callable[[str], None]) -> None:
    cands = [float(len(o.candidates)) for o in run.outcomes]
    lat = [1000 * o.seconds for o in run.outcomes]
    n = len(run.split.registry)
    out(
        f"candidates (records decrypted) per query: p50 {mt.percentile(cands, 0.5):.0f}"
        f"  p95 {mt.percentile(cands, 0.95):.0f}  max {max(cands):.0f}"
        f"  mean {sum(cands) / len(cands):.1f}"
    )
    out(
        f"latency per query (ms): p50 {mt.percentile(lat, 0.5):.2f}"
        f"  p95 {mt.percentile(lat, 0.95):.2f}  p99 {mt.percentile(lat, 0.99):.2f}"
    )
    out(
        f"index: {n} records, {run.index.entries} entries ({run.index.entries / n:.1f}/record),"
        f" {len(run.index.table)} distinct keys, built in {run.index.build_seconds:.1f} s"
    )
    out(f"time: generate {run.generate_seconds:.1f} s, screen {run.screen_seconds:.1f} s")


def render(test: Run, dev: Run | None, out: Callable[[str], None] = print) -> None:
    """Print the full report."""
    s = test.split
    pos = sum(q.true_id is not None for q in s.queries)
    source = f"dev split {dev.split.seed}" if dev else "no dev split: oracle thresholds only"
    out(f"MX-SCREEN test split {s.seed} (thresholds from {source})")
    out(f"N={len(s.registry)}  queries: {pos} members + {len(s.queries) - pos} non-members")
    out("")
    _levels(test, out)
    out("")
    _headline(test, dev, out)
    out("")
    _hard(test, out)
    out("")
    corruption = mt.stratified(test.outcomes, lambda o: o.query.corruptions or ("clean",))
    _strata("corruption", corruption, out)
    out("")
    _strata("source profile", mt.stratified(test.outcomes, lambda o: (o.query.profile,)), out)
    out("")
    _cost(test, out)
