"""Benchmark: recertification schedule, due list and task-force compliance check at scale.

Bulk-loads synthetic rows (officials, employments, evaluations, entries, task forces and
rosters) straight into a fresh, migrated SQLite database, then times the set-based work:

    .venv/bin/python -m bench.schedule_bench --officials 100000 --task-forces 500
    .venv/bin/python -m bench.schedule_bench --officials 1000000 --task-forces 5000

With `--dir D --reuse`, a database loaded earlier with the same figures is copied back
from its pristine snapshot in D instead of being loaded again (each timed step changes it).

Target: the due list and the compliance check each under 5 s on SQLite at 1M officials and
5k task forces. The full rebuild and the policy change (every due date recomputed) are
printed for information: they are rare administrative steps, not part of the target. Wall
and CPU seconds are both printed: CPU time tells an optimisation from a quiet moment.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from registry.config import Settings
from registry.context import RegistryContext
from registry.policy import Actor, Role
from registry.services import compliance, recertification
from registry.services.setup import initialise

TODAY = dt.date(2026, 12, 1)
STAMP = "2026-12-01 09:00:00.000000"
AGENCIES = [
    ("MX-GN", "MX", "police"),
    ("MX-FGR", "MX", "prosecution"),
    ("MX-SEDENA", "MX", "military"),
    ("MX-CNI", "MX", "intelligence"),
    ("MX-SSP-JAL", "MX", "police"),
    ("US-DEA", "US", "police"),
    ("US-FBI", "US", "police"),
    ("US-CBP", "US", "customs"),
]


def _ids(prefix: int, n: int) -> list[str]:
    return [f"{prefix:016x}{i:016x}" for i in range(n)]


def _day(rng: random.Random, back: int) -> str:
    return (TODAY - dt.timedelta(days=rng.randrange(back))).isoformat()


def _batches(
    rows: Iterator[tuple[object, ...]], size: int = 50_000
) -> Iterator[list[tuple[object, ...]]]:
    batch: list[tuple[object, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def load(path: Path, officials: int, task_forces: int, members: int, seed: int) -> None:
    """Synthetic rows, inserted directly (no per-official service calls)."""
    rng = random.Random(seed)
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA foreign_keys=OFF")
    agency_ids = _ids(0xA, len(AGENCIES))
    db.executemany(
        "INSERT INTO agencies (id, code, name, country, sector, level, active, created_at) "
        "VALUES (?, ?, ?, ?, ?, 'federal', 1, ?)",
        [
            (i, code, code, country, sector, STAMP)
            for i, (code, country, sector) in zip(agency_ids, AGENCIES, strict=True)
        ],
    )
    key_id = _ids(0xD, 1)[0]
    db.execute(
        "INSERT INTO data_keys (id, kek_id, wrapped, created_at) VALUES (?, 'bench', x'00', ?)",
        (key_id, STAMP),
    )
    official_ids = _ids(0x0F, officials)
    homes = [rng.randrange(len(AGENCIES)) for _ in range(officials)]
    for batch in _batches(
        (o, AGENCIES[h][1], agency_ids[h], key_id, b"\x00", STAMP, STAMP)
        for o, h in zip(official_ids, homes, strict=True)
    ):
        db.executemany(
            "INSERT INTO officials (id, country, owner_agency_id, data_key_id, given_names_ct, "
            "created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
            batch,
        )
    for batch in _batches(
        (
            f"{0xE:016x}{i:016x}",
            o,
            agency_ids[h],
            rng.choice((0, 0, 0, 2, 5, 8)),
            _day(rng, 9000),
            STAMP,
        )
        for i, (o, h) in enumerate(zip(official_ids, homes, strict=True))
    ):
        db.executemany(
            "INSERT INTO employments (id, official_id, agency_id, position, seniority, "
            "started_on, created_at) VALUES (?, ?, ?, 'agent', ?, ?, ?)",
            batch,
        )
    components = json.dumps({"polygraph": "pass"})
    pool = rng.sample(official_ids, min(officials, task_forces * members))
    on_task_force = set(pool)

    def evaluations() -> Iterator[tuple[object, ...]]:
        n = 0
        for o, h in zip(official_ids, homes, strict=True):
            roll = rng.random()
            if o in on_task_force:  # members are re-vetted yearly; a few lapse or fail
                outcomes = ["pass"] if roll < 0.998 else ["fail"]
                back = 390 if rng.random() < 0.002 else 330
            elif roll < 0.01:
                continue  # never vetted (newly hired)
            else:  # passes spread over the 3-year cycle; a few overdue, a few failed
                outcomes = (
                    ["pass"]
                    if roll < 0.90
                    else (["pass", "fail"] if roll < 0.91 else ["pass", "pass"])
                )
                back = 1130
            for k, outcome in enumerate(outcomes):
                n += 1
                yield (
                    f"{0xEE:016x}{n:016x}",
                    o,
                    agency_ids[h],
                    components,
                    outcome,
                    _day(rng, back - 560 * k if back > 560 else back),
                    key_id,
                    STAMP,
                )

    for batch in _batches(evaluations()):
        db.executemany(
            "INSERT INTO evaluations (id, official_id, evaluating_agency_id, type, components, "
            "outcome, evaluated_on, data_key_id, recorded_at, version) "
            "VALUES (?, ?, ?, 'recertification', ?, ?, ?, ?, ?, 1)",
            batch,
        )
    listed = [o for o in rng.sample(official_ids, officials // 100) if o not in on_task_force]
    db.executemany(
        "INSERT INTO registry_entries (id, official_id, originating_agency_id, reason, case_ref, "
        "legal_basis, effective_date, status, handling_code, source_reliability, "
        "information_reliability, retain_until, legal_hold, data_key_id, created_at, updated_at, "
        "version) VALUES (?, ?, ?, 'failed_vetting', ?, 'bench', '2026-01-01', 'active', 'H0', "
        "'A', '1', '2036-01-01', 0, ?, ?, ?, 1)",
        [
            (f"{0xB:016x}{i:016x}", o, agency_ids[0], f"B-{i}", key_id, STAMP, STAMP)
            for i, o in enumerate(listed)
        ],
    )
    tf_ids = _ids(0x7F, task_forces)
    db.executemany(
        "INSERT INTO task_forces (id, code, name, host_country, lead_agency_id, joint, status, "
        "funding_suspended, created_at, version) VALUES (?, ?, ?, 'MX', ?, 1, 'active', 0, ?, 1)",
        [(t, f"TF-{i:05d}", f"Task force {i}", agency_ids[0], STAMP) for i, t in enumerate(tf_ids)],
    )
    db.executemany(
        "INSERT INTO task_force_memberships (id, task_force_id, official_id, role, senior, "
        "joined_on) VALUES (?, ?, ?, 'member', ?, '2025-06-01')",
        [
            (f"{0x33:016x}{i:016x}", tf_ids[i // members], o, int(i % members == 0))
            for i, o in enumerate(pool)
        ],
    )
    db.commit()
    # The first schedule, written with the service's own set-based SQL but without
    # foreign-key checks (a bulk load); later runs go through the service.
    columns = ", ".join(recertification._COLUMNS)
    select_sql = recertification._REBUILD.format(
        months=recertification._policy_case(recertification.Policy([])),
        true="1",
        member_bool="member",
        add_months=recertification._add_months_sql("sqlite", "b.evaluated_on", "b.months"),
        emp_filter="",
        off_filter="",
        mem_filter="",
        ent_filter="",
        eva_filter="",
    )
    db.execute(f"INSERT INTO recert_schedule ({columns}) {select_sql}", {"now": STAMP})
    db.commit()
    db.close()


def timed(label: str, func):  # type: ignore[no-untyped-def]
    start, cpu = time.perf_counter(), time.process_time()
    result = func()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label:<44} {seconds:7.2f} s  (cpu {cpu:6.2f} s)   {result}", flush=True)
    return result


def prepare(settings: Settings, path: Path, args: argparse.Namespace) -> None:
    """A migrated, loaded database at `path`: from the snapshot if asked and it fits."""
    snapshot = path.with_name("loaded.sqlite3")
    stamp = path.with_name("loaded.json")
    figures = {k: getattr(args, k) for k in ("officials", "task_forces", "members", "seed")}
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)  # a crashed run's log must not replay onto the copy
    fits = stamp.exists() and snapshot.exists() and json.loads(stamp.read_text()) == figures
    if args.reuse and fits:
        shutil.copyfile(snapshot, path)
        initialise(settings)  # applies any migration added since the snapshot
        print("reused the loaded database (not timed)", flush=True)
        return
    initialise(settings)
    timed(
        "bulk load + first schedule (not timed target)",
        lambda: load(path, args.officials, args.task_forces, args.members, args.seed) or "loaded",
    )
    if args.reuse:
        shutil.copyfile(path, snapshot)
        stamp.write_text(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--officials", type=int, default=100_000)
    parser.add_argument("--task-forces", type=int, default=500)
    parser.add_argument("--members", type=int, default=20, help="Members per task force.")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--dir", type=Path, help="Keep the database here (default: a temporary folder)."
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Keep a snapshot of the loaded database in --dir and start from it next time.",
    )
    args = parser.parse_args()
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="vetreg-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.reuse and args.dir is None:
        parser.error("--reuse needs --dir")
    path = workdir / "bench.sqlite3"
    settings = Settings(
        instance_dir=workdir, database_url=f"sqlite:///{path}", key_file=workdir / "bench.keys"
    )
    print(
        f"{args.officials:,} officials, {args.task_forces:,} task forces x {args.members} members "
        f"(SQLite at {path})",
        flush=True,
    )
    prepare(settings, path, args)
    clock = lambda: dt.datetime.combine(TODAY, dt.time(9), tzinfo=dt.UTC)  # noqa: E731
    ctx = RegistryContext.open(settings, clock=clock)
    try:
        operator = Actor.system_operator("bench")
        officer = Actor(
            None,
            "bench.officer",
            None,
            "MX-GN",
            None,
            frozenset({Role.VETTING_OFFICER}),
            system=True,
        )
        timed(
            "schedule: full rebuild (recheck every date)",
            lambda: recertification.rebuild(ctx.uow(), operator),
        )
        timed(
            "policy change: recompute every due date",
            lambda: recertification.set_policy(
                ctx.uow(), operator, country="MX", sector=None, task_force=False, months=30
            ),
        )
        timed(
            "due list: due within 30 days or overdue",
            lambda: len(list(recertification.iter_due(ctx.uow(), officer, within="30d"))),
        )
        timed(
            "due list: first page of 50 (web)",
            lambda: recertification.due_list(ctx.uow(), officer, within="30d", limit=50)[1],
        )
        timed(
            "compliance: check every task force", lambda: compliance.check_all(ctx.uow(), operator)
        )
        timed(
            "compliance: check again (steady state)",
            lambda: compliance.check_all(ctx.uow(), operator),
        )
    finally:
        ctx.close()


if __name__ == "__main__":
    main()
