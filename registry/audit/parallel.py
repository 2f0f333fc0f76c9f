"""Full verification of a large committed log on several cores.

The log is cut into chunks of consecutive events. This process takes chunks from the start of
the log and helper processes take them from the end, one at a time from a shared pair of
bounds, until the two meet: whoever is quicker does more, so a core busy with other work (or a
helper slow to start) delays the verification by one chunk at most. Each process renders and
checks its chunks on its own connection; a helper sends back only the leaf hashes, problems and
end hashes of its chunks, and this process joins the chunks as one pass would judge them, then
checks every checkpoint over the joined tree. It reads committed data only, so it serves the
CLI and the benchmark; a caller inside an open transaction uses `verify.verify_history`.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from sqlalchemy import Connection, Engine

from registry.audit.events import GENESIS_HASH
from registry.audit.merkle import HASH_SIZE, MerkleTree
from registry.audit.verify import (
    CheckpointRecord,
    Problem,
    Run,
    TrustAnchors,
    VerificationReport,
    check_checkpoints,
    check_links,
    join_runs,
)

PARALLEL_THRESHOLD = 200_000
CHUNK = 25_000  # at most this many events per chunk; fewer on a small log, so all help
# A helper's answer for one chunk: its index, and `verify.Run` with the leaf hashes joined.
ChunkResult = tuple[int, int, bytes, list[Problem], tuple[int, str, bytes, bool] | None,
                    int | None, bytes | None]

# In a helper process: its engine, the shared bounds and the chunks.
_helper: dict[str, Any] = {}


def _take(bounds: Any, from_start: bool) -> int | None:
    """The index of the next chunk nobody has taken, from the start or the end; None if none."""
    with bounds.get_lock():
        first, end = bounds[0], bounds[1]
        if first >= end:
            return None
        if from_start:
            bounds[0] = first + 1
            return int(first)
        bounds[1] = end - 1
        return int(end - 1)


def _check(connection: Connection, start: int, end: int) -> Run:
    """Events start..end; the first is left unjudged unless it is the log's first."""
    from registry.audit.scan import scan

    return check_links(scan(connection, start, end), VerificationReport(),
                       1 if start == 1 else None, GENESIS_HASH if start == 1 else None)


def _start_helper(url: str, bounds: Any, chunks: list[tuple[int, int]]) -> None:
    from registry.db import make_engine

    _helper.update(engine=make_engine(url), bounds=bounds, chunks=chunks)


def _help() -> list[ChunkResult]:
    """In a helper: check chunks taken from the end until none is left."""
    engine: Engine = _helper["engine"]
    results: list[ChunkResult] = []
    with engine.connect() as connection:
        while (index := _take(_helper["bounds"], from_start=False)) is not None:
            run = _check(connection, *_helper["chunks"][index])
            results.append((index, len(run.leaves), b"".join(run.leaves), run.problems,
                            run.first, run.last_seq, run.last_hash))
    return results


def _chunks(size: int, workers: int, chunk: int) -> list[tuple[int, int]]:
    step = max(1, min(chunk, -(-size // (4 * workers))))
    return [(s, min(s + step - 1, size)) for s in range(1, size + 1, step)]


def verify_parallel(
    url: str, size: int, records: Sequence[CheckpointRecord], anchors: TrustAnchors,
    workers: int, chunk: int = CHUNK,
) -> VerificationReport:
    """Verify events 1..size (committed) with `workers` processes, then every checkpoint.

    This process is one of them, so `workers - 1` helpers are started.
    """
    from registry.db import make_engine

    started = time.perf_counter()
    report = VerificationReport()
    chunks = _chunks(size, workers, chunk)
    runs: list[Run | None] = [None] * len(chunks)
    context = multiprocessing.get_context("spawn")  # no connection of ours in a helper
    bounds = context.Array("q", [0, len(chunks)])
    pool = None
    if workers > 1 and len(chunks) > 1:
        pool = ProcessPoolExecutor(max_workers=workers - 1, mp_context=context,
                                   initializer=_start_helper, initargs=(url, bounds, chunks))
    try:
        helped = [pool.submit(_help) for _ in range(workers - 1)] if pool else []
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                while (index := _take(bounds, from_start=True)) is not None:
                    runs[index] = _check(connection, *chunks[index])
        finally:
            engine.dispose()
        for future in helped:
            for index, count, joined, problems, first, last_seq, last_hash in future.result():
                if len(joined) != HASH_SIZE * count:
                    raise RuntimeError("a verification helper returned malformed leaf hashes")
                leaves = [joined[i:i + HASH_SIZE] for i in range(0, len(joined), HASH_SIZE)]
                runs[index] = Run(leaves, problems, first, last_seq, last_hash)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if any(run is None for run in runs):
        raise RuntimeError("a chunk of the log was left unchecked")
    leaves = join_runs((run for run in runs if run is not None), report)
    report.events = len(leaves)
    tree = MerkleTree(leaves)
    report.tree = tree
    check_checkpoints(records, tree, anchors, report)
    report.seconds = time.perf_counter() - started
    return report
