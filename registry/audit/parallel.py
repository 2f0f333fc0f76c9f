"""Full verification of a large committed log on several cores.

The log is cut into chunks of consecutive events. Helper processes take chunks from the end of
the log while this process takes them from the start, each rendering and checking its chunks
on its own connection; whoever is quicker does more, so a core busy with other work slows the
verification less. A helper returns only its chunk's leaf hashes, its problems and the hashes
at its two ends; this process checks the links between chunks, then every checkpoint over the
joined tree. It reads committed data only, so it serves the CLI and the benchmark; a caller
inside an open transaction uses `verify.verify_history`.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

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
CHUNK = 50_000  # at most this many events per chunk; fewer on a small log, so all help
# A helper's answer for one chunk: `verify.Run` with its leaf hashes joined in one string.
ChunkResult = tuple[int, bytes, list[Problem], tuple[int, str, bytes, bool] | None,
                    int | None, bytes | None]

_engine: Engine | None = None  # a helper process's own engine, for all its chunks


def _open(url: str) -> None:
    global _engine
    from registry.db import make_engine

    _engine = make_engine(url)


def _check(connection: Connection, start: int, end: int) -> Run:
    """Events start..end; the first is left unjudged unless it is the log's first."""
    from registry.audit.scan import scan

    return check_links(scan(connection, start, end), VerificationReport(),
                       1 if start == 1 else None, GENESIS_HASH if start == 1 else None)


def _check_chunk(start: int, end: int) -> ChunkResult:
    """In a helper: check events start..end and return what the parent needs to join them."""
    assert _engine is not None
    with _engine.connect() as connection:
        run = _check(connection, start, end)
    return (len(run.leaves), b"".join(run.leaves), run.problems, run.first, run.last_seq,
            run.last_hash)


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
    pool = None
    futures: dict[int, Future[ChunkResult]] = {}
    if workers > 1 and len(chunks) > 1:
        # Spawned: no connection of this process is inherited by a helper.
        pool = ProcessPoolExecutor(max_workers=workers - 1, initializer=_open, initargs=(url,),
                                   mp_context=multiprocessing.get_context("spawn"))
        for index in reversed(range(len(chunks))):
            futures[index] = pool.submit(_check_chunk, *chunks[index])
    try:
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                for index, (start, end) in enumerate(chunks):
                    future = futures.get(index)
                    if future is not None and not future.cancel():
                        break  # a helper has it, and every chunk after it (taken in order)
                    runs[index] = _check(connection, start, end)
        finally:
            engine.dispose()
        for index, future in futures.items():
            if runs[index] is None:
                count, joined, problems, first, last_seq, last_hash = future.result()
                if len(joined) != HASH_SIZE * count:
                    raise RuntimeError("a verification helper returned malformed leaf hashes")
                leaves = [joined[i:i + HASH_SIZE] for i in range(0, len(joined), HASH_SIZE)]
                runs[index] = Run(leaves, problems, first, last_seq, last_hash)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    leaves = join_runs((run for run in runs if run is not None), report)
    report.events = len(leaves)
    tree = MerkleTree(leaves)
    report.tree = tree
    check_checkpoints(records, tree, anchors, report)
    report.seconds = time.perf_counter() - started
    return report
