"""Audit log benchmark: append cost inside real service calls, full verification rate, proof sizes.

Development run (about a minute on SQLite):
    .venv/bin/python -m bench.audit_bench --appends 300 --verify-sizes 10000 100000
Full run (targets: verify 1M events in < 15 s; the audit append adds < 1 ms per service call):
    .venv/bin/python -m bench.audit_bench --appends 1000 --verify-sizes 100000 1000000
Verification runs in one process and, from 200,000 events, also with --workers processes (default:
one per core). Add --database-url postgresql://... (an empty database) to measure PostgreSQL, and
--instance DIR to keep the instance and reuse its filled log in the next run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, text

from registry.audit.checkpoint import signing_vkey
from registry.audit.config import AuditSettings
from registry.audit.events import AuditWriter, _document, canonical_json, chain_hash, jcs
from registry.audit.parallel import PARALLEL_THRESHOLD
from registry.config import Settings
from registry.context import RegistryContext
from registry.errors import NotFound
from registry.models.audit import AuditEvent
from registry.models.base import new_id, utcnow
from registry.policy import Actor
from registry.services import accounts, agencies, audit, audit_checkpoints
from registry.services.accounts import actor_by_username
from registry.services.officials import OfficialInput, register_official
from registry.services.setup import initialise

GIVEN = ["María", "José", "Juan Carlos", "Guadalupe", "Luis Ángel", "Ana Sofía", "Miguel"]
SURNAMES = ["Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez",
            "Sánchez", "Ramírez", "Cruz", "Flores", "Gómez", "de la Torre", "Núñez"]
ACTIONS = ["official.read", "screening.run", "entry.read", "official.register", "entry.create",
           "evaluation.record", "taskforce.add_member", "redress.file"]


class AuditTimer:
    """Time the audit append adds to a call: everything `AuditWriter.append` does, its SQL too.

    Wall time and CPU time of this thread are both kept: on a shared machine the wall time of
    a sub-millisecond step mostly measures waiting for a core. The writer talks to the driver
    directly; any statement on the log made through SQLAlchemy outside it is counted as well.
    """

    def __init__(self, ctx: RegistryContext) -> None:
        self.wall = 0.0
        self.cpu = 0.0
        self.outside = 0
        self._depth = 0
        self._started: dict[int, tuple[float, float]] = {}
        original = AuditWriter.append

        def timed(writer: AuditWriter, *args: Any, **kwargs: Any) -> AuditEvent | None:
            # The transaction may begin here (BEGIN, key sync); the use case pays that anyway
            # at its flush, so it is not counted as the audit's cost.
            writer._session.connection()
            start, cpu = time.perf_counter(), time.thread_time()
            self._depth += 1
            try:
                result: AuditEvent | None = original(writer, *args, **kwargs)
                return result
            finally:
                self._depth -= 1
                self.wall += time.perf_counter() - start
                self.cpu += time.thread_time() - cpu

        AuditWriter.append = timed  # type: ignore[method-assign,assignment]
        event.listen(ctx.engine, "before_cursor_execute", self._before)
        event.listen(ctx.engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if "audit_events" in statement and not self._depth:
            self._started[id(cursor)] = (time.perf_counter(), time.thread_time())

    def _after(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        started = self._started.pop(id(cursor), None)
        if started is None:
            return
        self.outside += 1
        self.wall += time.perf_counter() - started[0]
        self.cpu += time.thread_time() - started[1]


def _people(n: int) -> Iterator[OfficialInput]:
    for i in range(n):
        yield OfficialInput(GIVEN[i % len(GIVEN)], SURNAMES[i % len(SURNAMES)],
                            SURNAMES[(i * 7 + 3) % len(SURNAMES)],
                            dt.date(1960, 1, 1) + dt.timedelta(days=(i * 37) % 15000),
                            "H" if i % 2 else "M")


def bench_appends(ctx: RegistryContext, officer: Actor, n: int) -> None:
    """Register `n` officials, each in its own transaction with its audit event."""
    timer = AuditTimer(ctx)
    calls: list[float] = []
    for person in _people(n):
        start = time.perf_counter()
        register_official(ctx.uow(), officer, person)
        calls.append(time.perf_counter() - start)
    total = sum(calls)
    mean = statistics.mean(calls)
    print(f"appends: {n} service calls (register_official), {n / total:,.0f} events/s "
          f"inside service transactions")
    median = statistics.median(calls)
    print(f"  service call: mean {mean * 1e3:.2f} ms, median {median * 1e3:.2f} ms")
    print(f"  audit append per call: {timer.cpu / n * 1e3:.3f} ms CPU, "
          f"{timer.wall / n * 1e3:.3f} ms wall = {timer.wall / n / mean:.1%} of the call "
          f"({timer.outside} statements on the log outside the writer); target < 1 ms")


def fill(ctx: RegistryContext, target: int, batch: int = 10_000) -> None:
    """Append realistic, correctly chained events until the log holds `target` (bulk insert).

    Rows are built as `AuditWriter.append` builds them (same canonical document and hashes),
    without ORM objects, so that a million events take minutes, not an hour.
    """
    user, agency = uuid.uuid4(), "MX-GN"
    start = time.perf_counter()
    with ctx.engine.connect() as conn:
        row = conn.execute(text("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"))
        last = row.first()
        seq, prev = (int(last[0]), bytes(last[1])) if last else (0, bytes(32))
        first = seq
        while seq < target:
            rows = []
            for _ in range(min(batch, target - seq)):
                seq += 1
                details = {"fingerprint": uuid.uuid4().hex[:16], "hits": seq % 4}
                event_row = {
                    "seq": seq, "id": new_id(), "occurred_at": utcnow(), "actor_user_id": user,
                    "actor_agency": agency, "actor_country": "MX",
                    "action": ACTIONS[seq % len(ACTIONS)], "object_type": "official",
                    "object_id": str(uuid.uuid4()), "outcome": "success",
                    "purpose": "HIRING" if seq % 3 else None,
                    "details": canonical_json(details), "prev_hash": prev,
                }
                prev = chain_hash(prev, jcs(_document(event_row, details)))
                event_row["hash"] = prev
                rows.append(event_row)
            conn.execute(insert(AuditEvent), rows)
            conn.commit()
            print(f"\r  filling: {seq:,}/{target:,}", end="", file=sys.stderr)
    print(f"\r  filled {seq - first:,} events in {time.perf_counter() - start:.1f} s",
          file=sys.stderr)


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (verification helpers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def bench_verify(ctx: RegistryContext, config: AuditSettings, auditor: Actor, size: int,
                 workers: int) -> None:
    fill(ctx, size)
    operator = Actor.system_operator("bench")
    key = config.load_log_key(create=True)
    start = time.perf_counter()
    issued = audit_checkpoints.issue_checkpoint(ctx.uow(), operator, config, key)
    signing = time.perf_counter() - start
    print(f"checkpoint at {issued.tree_size:,} events (verify in one process, then sign): "
          f"{signing:.2f} s")
    counts = [1] + ([workers] if workers > 1 and issued.tree_size >= PARALLEL_THRESHOLD else [])
    for processes in counts:
        start, cpu = time.perf_counter(), _cpu()
        report = audit.verify_log(ctx.uow(), auditor, config.anchors(key), processes)
        elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
        assert report.ok, report.problems[:3]
        print(f"verify {report.events:,} events, {processes} process"
              f"{'es' if processes > 1 else ''}: {elapsed:.2f} s wall, {cpu:.2f} s CPU "
              f"({report.events / elapsed:,.0f} events/s wall, {report.events / cpu:,.0f}/s CPU);"
              f" target for 1M: < 15 s")
    start = time.perf_counter()
    proof = audit.prove_inclusion(ctx.uow(), auditor, issued.tree_size // 2)
    first_proof = time.perf_counter() - start
    start = time.perf_counter()
    consistency = audit.prove_consistency(ctx.uow(), auditor, issued.tree_size // 3)
    next_proof = time.perf_counter() - start
    as_json = len(json.dumps(proof.to_json()))
    print(f"  inclusion proof at size {proof.tree_size:,}: {len(proof.hashes)} hashes = "
          f"{proof.size_bytes} bytes ({as_json} bytes as JSON with the cosigned checkpoint); "
          f"consistency proof {consistency.old_size:,}->{consistency.new_size:,}: "
          f"{len(consistency.hashes)} hashes = {32 * len(consistency.hashes)} bytes")
    print(f"  serving proofs: first {first_proof:.2f} s (loads the leaf hashes), "
          f"then {next_proof * 1e3:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=300)
    parser.add_argument("--verify-sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--database-url", help="an empty database, or the one an earlier "
                        "--instance run filled (default: SQLite in the instance folder)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance folder")
    parser.add_argument("--instance", type=Path,
                        help="instance folder to use and keep (reused with its log if it exists)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes for the second verification run (from 200,000 events; "
                             "default: one per core)")
    args = parser.parse_args()
    if args.instance:
        args.instance.mkdir(parents=True, exist_ok=True)
        run(args, args.instance)
        return
    folder = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    try:
        run(args, folder)
    finally:
        if args.keep:
            print(f"instance kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, folder: Path) -> None:
    """The benchmark proper, on an instance in `folder`."""
    settings = Settings(instance_dir=folder, database_url=args.database_url or "")
    initialise(settings)
    ctx = RegistryContext.open(settings)
    operator = Actor.system_operator("bench")
    try:
        actor_by_username(ctx.uow(), "bench.auditor")
    except NotFound:
        agencies.add_agency(ctx.uow(), operator, code="MX-GN", name="Guardia Nacional",
                            country="MX", sector="police", level="federal")
        for name, role in (("bench.officer", "vetting_officer"), ("bench.auditor", "auditor")):
            accounts.add_user(ctx.uow(), operator, username=name, agency_code="MX-GN",
                              roles=[role])
    print(f"database: {ctx.engine.url.render_as_string(hide_password=True)}; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    if args.appends:
        bench_appends(ctx, actor_by_username(ctx.uow(), "bench.officer"), args.appends)
    config = AuditSettings(origin="vetreg.bench/audit", log_key_file=folder / "audit-log.key")
    auditor = actor_by_username(ctx.uow(), "bench.auditor")
    for size in sorted(args.verify_sizes):
        bench_verify(ctx, config, auditor, size, args.workers)
    if args.verify_sizes:
        print(f"log key vkey: {signing_vkey(config.load_log_key())}")
    ctx.close()


if __name__ == "__main__":
    main()
