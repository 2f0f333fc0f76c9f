"""MX-SCREEN matching-quality benchmark (see shared/benchmarks/MX-SCREEN.md).

    python bench/matching_quality.py [--n 10000] [--preset expected]
        [--queries-pos 5000 --queries-neg 20000] [--seed S]

Generates a dev and a test split with different seeds, indexes each registry under
`registry.identity.blocking_keys`, screens every query through `query_keys` + `score`,
fixes thresholds on dev and reports on test.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.mxscreen.config import PRESETS, Preset
from bench.mxscreen.dataset import build_split
from bench.mxscreen.harness import build_index, oracle_match, run
from bench.mxscreen.report import Run, render


def execute(
    name: str, args: argparse.Namespace, n_pos: int, n_neg: int, oracle: bool = True
) -> Run:
    """Generate, index and screen one split (and score true pairs without blocking)."""
    start = time.perf_counter()
    split = build_split(name, args.seed, args.n, n_pos, n_neg, preset(args))
    generated = time.perf_counter() - start
    index = build_index(split)
    start = time.perf_counter()
    outcomes = run(split, index)
    result = Run(split, index, outcomes, generated, time.perf_counter() - start)
    if oracle:
        matches = [oracle_match(index, q) for q in split.queries if q.true_id is not None]
        hits = sum(m is not None and m.level in ("exact", "probable") for m in matches)
        result.oracle_probable = hits / max(1, len(matches))
    return result


def preset(args: argparse.Namespace) -> Preset:
    """The chosen preset, with the command line's overrides."""
    chosen = PRESETS[args.preset]
    if args.neg_hard_share is not None:
        chosen = replace(chosen, neg_hard_share=args.neg_hard_share)
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="registry size")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="expected")
    parser.add_argument("--queries-pos", type=int, default=5_000)
    parser.add_argument("--queries-neg", type=int, default=20_000)
    parser.add_argument(
        "--dev-fraction",
        type=float,
        default=0.5,
        help="dev split query counts as a fraction of the test split's (0: no dev split;"
        " thresholds are then only the oracle ones, chosen on test)",
    )
    parser.add_argument(
        "--neg-hard-share",
        type=float,
        default=None,
        help="share of negative queries that are relatives of registry members",
    )
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)
    started, cpu = time.perf_counter(), time.process_time()
    dev = None
    if args.dev_fraction > 0:
        dev = execute(
            "dev",
            args,
            max(1, round(args.queries_pos * args.dev_fraction)),
            max(1, round(args.queries_neg * args.dev_fraction)),
            oracle=False,
        )
    test = execute("test", args, args.queries_pos, args.queries_neg)
    render(test, dev)
    print(
        f"total: {time.perf_counter() - started:.1f} s wall, {time.process_time() - cpu:.1f} s CPU"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
