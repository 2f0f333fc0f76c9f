"""Full verification of a large committed log on several cores.

Each worker process opens its own connection, renders and checks one range of events and
returns its leaf hashes; the parent checks the links between ranges, then every checkpoint over
the joined tree. It reads committed data only, so it serves the CLI and the benchmark; a caller
inside an open transaction uses `verify.verify_history`.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from registry.audit.events import GENESIS_HASH
from registry.audit.merkle import MerkleTree
from registry.audit.verify import (
    CheckpointRecord,
    Problem,
    TrustAnchors,
    VerificationReport,
    check_checkpoints,
    check_links,
)

PARALLEL_THRESHOLD = 200_000
# (start, events read, joined leaf hashes, problems, first prev_hash, last hash, last seq)
RangeResult = tuple[int, int, bytes, list[Problem], bytes | None, bytes | None]


def _check_range(url: str, start: int, end: int) -> RangeResult:
    from registry.audit.scan import scan
    from registry.db import make_engine

    engine = make_engine(url)
    try:
        report = VerificationReport()
        with engine.connect() as connection:
            leaves, first_prev, last_hash = check_links(
                scan(connection, start, end), report, start,
                GENESIS_HASH if start == 1 else None)
        return start, len(leaves), b"".join(leaves), report.problems, first_prev, last_hash
    finally:
        engine.dispose()


def _ranges(size: int, workers: int) -> list[tuple[int, int]]:
    step = -(-size // workers)
    return [(s, min(s + step - 1, size)) for s in range(1, size + 1, step)]


def verify_parallel(
    url: str, size: int, records: Sequence[CheckpointRecord], anchors: TrustAnchors,
    workers: int,
) -> VerificationReport:
    """Verify events 1..size (committed) with `workers` processes, then every checkpoint."""
    started = time.perf_counter()
    report = VerificationReport()
    context = multiprocessing.get_context("spawn")  # no inherited connections in the workers
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_check_range, url, s, e) for s, e in _ranges(size, workers)]
        results = [f.result() for f in futures]
    leaves: list[bytes] = []
    previous_hash: bytes | None = None
    for start, count, joined, problems, first_prev, last_hash in results:
        if start > 1 and previous_hash is not None and first_prev is not None \
                and first_prev != previous_hash:
            report.add("event", start, f"event {start} does not follow event {start - 1}: its "
                       "link to the previous event is broken (reordered, removed or inserted)")
        for problem in problems:
            report.add(problem.kind, problem.position, problem.message)
        leaves.extend(joined[i:i + 32] for i in range(0, 32 * count, 32))
        previous_hash = last_hash
    report.problems.sort(key=lambda p: (p.kind != "event", p.position))
    report.events = len(leaves)
    tree = MerkleTree(leaves)
    report.tree = tree
    check_checkpoints(records, tree, anchors, report)
    report.seconds = time.perf_counter() - started
    return report
