"""Key rotation throughput, and how much it slows screening running at the same time.

For each backend: registers N synthetic officials in bulk (every tenth listed, so screenings
decrypt and hit), measures screening alone, then runs `rotate_kek` and `rotate_index` while
another process screens without pause, and prints for each rotation its records/s (wall
clock, and per second of the rotating process's CPU) and the screening slowdown
(screenings/s alone ÷ screenings/s during the rotation; 1.0 = no slowdown).

The machine's load average is printed with each figure: wall-clock rates mean little on a
machine others are using.

    .venv/bin/python bench/rotation_bench.py --n 10000              # both backends
    .venv/bin/python bench/rotation_bench.py --n 100000 --backend sqlite
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from registry.config import Settings  # noqa: E402
from registry.context import RegistryContext  # noqa: E402
from registry.identity import Identity  # noqa: E402
from registry.models import (  # noqa: E402
    Agency,
    AuditEvent,
    DataKey,
    Official,
    OfficialIndex,
    RegistryEntry,
)
from registry.models.enums import (  # noqa: E402
    EntryReason,
    HandlingCode,
    InformationReliability,
    SourceReliability,
)
from registry.policy import Actor  # noqa: E402
from registry.services import accounts, agencies, keys  # noqa: E402
from registry.services.accounts import actor_by_username  # noqa: E402
from registry.services.entries import CleanEntry, entry_row  # noqa: E402
from registry.services.officials import official_rows  # noqa: E402
from registry.services.screening import ScreeningInput, screen  # noqa: E402
from registry.services.setup import initialise  # noqa: E402
from registry.services.staging import Staging  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
GIVEN = ["MARIA", "JOSE", "JUAN", "ANA", "LUIS", "ROSA", "CARLOS", "LAURA", "MIGUEL", "SOFIA"]
SURNAMES = ["HERNANDEZ", "GARCIA", "MARTINEZ", "LOPEZ", "GONZALEZ", "PEREZ", "RODRIGUEZ",
            "SANCHEZ", "RAMIREZ", "CRUZ", "FLORES", "GOMEZ", "MORALES", "VAZQUEZ", "REYES"]
_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
_CONSONANTS = "BCDFGHJKLMNPQRSTVWXZ"
BASELINE_SECONDS = 8.0
WARM_UP_SECONDS = 2.0
SETUP_BATCH = 1000


def person(n: int) -> Identity:
    """A distinct synthetic person with a valid CURP (unique for n < 336,000)."""
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=n % 16_800)
    c = _CONSONANTS
    curp = (f"XEXX{birth:%y%m%d}{'HM'[n % 2]}DF{c[n // 16_800 % 20]}"
            f"{c[n // 336_000 % 20]}X0")
    total = sum(_ALPHABET.index(ch) * (18 - i) for i, ch in enumerate(curp))
    curp += str((10 - total % 10) % 10)
    return Identity(f"{GIVEN[n % 10]} {GIVEN[n // 10 % 10]}", SURNAMES[n % 15],
                    SURNAMES[n // 15 % 15], birth, "HM"[n % 2], curp)


def populate_batch(ctx: RegistryContext, officer: Actor, numbers: range) -> None:
    """Register `numbers` in one transaction through the bulk path imports use: each official
    sealed under its own data key and blind-indexed, every tenth listed, each with its audit
    event; rows go in with one insert per table."""
    uow = ctx.uow()
    with uow:
        agency = uow.session.get(Agency, officer.agency_id)
        assert agency is not None
        stage = Staging([DataKey, Official, OfficialIndex, RegistryEntry, AuditEvent])
        now = uow.clock()
        for i in numbers:
            key, official, index = official_rows(uow, officer, person(i), agency.id,
                                                 agency.country, now)
            stage.extend(DataKey, [key])
            stage.extend(Official, [official])
            stage.extend(OfficialIndex, index)
            stage.extend(AuditEvent, [uow.audit.append_row(
                officer, "official.register", object_type="official", object_id=official["id"])])
            if i % 10 == 0:
                entry_key, entry = entry_row(uow, officer, official["id"], agency, CleanEntry(
                    EntryReason.FAILED_VETTING, f"B-{i}", "bench", dt.date(2024, 1, 1),
                    HandlingCode.H1, SourceReliability.B, InformationReliability.KNOWN_TO_SOURCE,
                    dt.date(2060, 1, 1), None, None, True), now)
                stage.extend(DataKey, [entry_key])
                stage.extend(RegistryEntry, [entry])
                stage.extend(AuditEvent, [uow.audit.append_row(
                    officer, "entry.create", object_type="entry", object_id=entry["id"])])
        stage.flush(uow.session)
        uow.commit()


def setup(backend: str, n: int, folder: Path) -> Settings:
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
    else:
        name = f"vetreg_rot_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        url = f"{base}/{name}"
    settings = Settings(instance_dir=folder, database_url=url, key_file=folder / "vetreg.keys")
    initialise(settings)
    ctx = RegistryContext.open(settings)
    operator = Actor.system_operator("bench")
    agencies.add_agency(ctx.uow(), operator, code="MX-GN", name="Guardia Nacional", country="MX",
                        sector="police", level="federal")
    for username, role in (("officer", "vetting_officer"), ("screener", "screener")):
        accounts.add_user(ctx.uow(), operator, username=username, agency_code="MX-GN",
                          roles=[role])
    officer = actor_by_username(ctx.uow(), "officer")
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, n, SETUP_BATCH):
        populate_batch(ctx, officer, range(start, min(n, start + SETUP_BATCH)))
    elapsed = time.perf_counter() - started
    print(f"  setup: {n} officials ({n // 10} listed) in {elapsed:.1f} s "
          f"({n / elapsed:.0f}/s; {time.process_time() - cpu:.1f} s CPU)", flush=True)
    if backend == "postgresql":
        # What autovacuum gives a registry that has been running: without statistics on the
        # freshly loaded tables, PostgreSQL plans screening's lookups several times slower.
        started = time.perf_counter()
        with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        print(f"  vacuum analyze: {time.perf_counter() - started:.1f} s", flush=True)
    ctx.close()
    return settings


def screen_loop(settings: Settings, n: int, stop: Any, ready: Any, out: Any) -> None:
    """Screen random registered people until `stop` is set; report when each screening began
    and how long it took (seconds, on the machine-wide monotonic clock)."""
    ctx = RegistryContext.open(settings)
    screener = actor_by_username(ctx.uow(), "screener")
    rng = random.Random(7)
    timings: list[tuple[float, float]] = []
    hits = 0
    ready.set()
    while not stop.is_set():
        who = person(rng.randrange(n))
        query = ScreeningInput(who.given_names, who.paternal_surname, who.maternal_surname,
                               who.birth_date, who.sex, who.curp)
        began = time.monotonic()
        hits += screen(ctx.uow(), screener, "HIRING", query).is_hit
        timings.append((began, time.monotonic() - began))
    ctx.close()
    out.put((timings, hits))


@dataclass
class Load:
    rate: float
    p50_ms: float
    p95_ms: float
    count: int


def with_screening(settings: Settings, n: int, work: Any) -> tuple[Load, float, Any]:
    """Run `work()` while another process screens; returns the load, the work's time, result."""
    spawn = mp.get_context("spawn")
    stop, ready, out = spawn.Event(), spawn.Event(), spawn.Queue()
    proc = spawn.Process(target=screen_loop, args=(settings, n, stop, ready, out))
    proc.start()
    ready.wait(120)
    time.sleep(WARM_UP_SECONDS)  # first screenings run on cold caches
    began = time.monotonic()
    result = work()
    ended = time.monotonic()
    elapsed = ended - began
    stop.set()
    timings, _hits = out.get(timeout=300)
    latencies = [took for start, took in timings if began <= start and start + took <= ended]
    proc.join(60)
    lat = sorted(latencies) or [0.0]
    load = Load(len(latencies) / max(elapsed, 1e-9), statistics.median(lat) * 1000,
                lat[int(len(lat) * 0.95)] * 1000, len(latencies))
    return load, elapsed, result


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def bench(backend: str, n: int, batch_size: int, kek_batch_size: int, pause: float) -> None:
    print(f"{backend}: {n} officials, batches of {kek_batch_size} data keys and {batch_size} "
          f"officials ({load_average()})", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = setup(backend, n, Path(tmp))
        ctx = RegistryContext.open(settings)
        operator = Actor.system_operator("bench")
        try:
            alone, _, _ = with_screening(settings, n, lambda: time.sleep(BASELINE_SECONDS))
            print(f"  screening alone: {alone.rate:.0f}/s (p50 {alone.p50_ms:.1f} ms, "
                  f"p95 {alone.p95_ms:.1f} ms; {alone.count} screenings in "
                  f"{BASELINE_SECONDS:.0f} s)", flush=True)
            for kind, what, rotate, size in (
                    ("kek", "data keys re-wrapped", keys.rotate_kek, kek_batch_size),
                    ("index", "officials re-indexed", keys.rotate_index, batch_size)):
                cpu = time.process_time()
                load, elapsed, report = with_screening(
                    settings, n,
                    lambda r=rotate, b=size: r(ctx, operator, batch_size=b, pause=pause))
                cpu = time.process_time() - cpu
                records = report.rotation.done
                print(f"  rotate --{kind}: {records} {what} in {elapsed:.1f} s = "
                      f"{records / elapsed:.0f} records/s ({cpu:.1f} s CPU = "
                      f"{records / max(cpu, 1e-9):.0f}/s of CPU)\n"
                      f"    screening during it: {load.rate:.0f}/s (p50 {load.p50_ms:.1f} ms, "
                      f"p95 {load.p95_ms:.1f} ms; {load.count} screenings), slowdown "
                      f"x{alone.rate / max(load.rate, 1e-9):.2f}  ({load_average()})",
                      flush=True)
        finally:
            ctx.close()
            if backend == "postgresql":
                name = settings.database_url.rsplit("/", 1)[1]
                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="Officials to rotate.")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--batch-size", type=int, default=keys.BATCH_SIZE,
                        help="Records per transaction (officials for --index).")
    parser.add_argument("--kek-batch-size", type=int,
                        help="Data keys per transaction for --kek (default: --batch-size).")
    parser.add_argument("--pause", type=float, default=0.0, help="Seconds between batches.")
    args = parser.parse_args()
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        bench(backend, args.n, args.batch_size, args.kek_batch_size or args.batch_size,
              args.pause)


if __name__ == "__main__":
    main()
