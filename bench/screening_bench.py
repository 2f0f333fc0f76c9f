"""Screening speed at 10k / 100k / 1M entries: in-process and API latency, batch throughput.

    .venv/bin/python -m bench.screening_bench --sizes 10000
    .venv/bin/python -m bench.screening_bench --sizes 10000,100000,1000000 \
        --dir /var/tmp/vetreg-bench
    .venv/bin/python -m bench.screening_bench --backend postgresql --sizes 10000,100000 \
        --pg-url postgresql://postgres@127.0.0.1:5432/test

The registry is built once per size (kept in --dir and reused) by a bench-only bulk loader:
every official is sealed with its own data key and indexed by `blocking_keys` +
`Keyring.blind_index` exactly as `officials.new_official` does, but rows go in with
executemany in large batches and without audit events (a real import audits each row).
Queries: half are listed people with realistic corruption (accents dropped, maternal
surname missing, second given name dropped), half are people not in the registry.
Batches of 500 rows share their matching with the registry's worker processes
(`VETREG_SCREENING_WORKERS`, here `--workers`; default: one per core beyond the first).
Before timing, `--warmup` other screenings (1,000) and a batch of them run, as in a serving
process: they fill its caches (name comparisons, statements, database pages) and start the
workers. `--warmup 100` shows a process that has only just started.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import tempfile
import threading
import time
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import select
from werkzeug.serving import make_server

from registry.config import Settings
from registry.context import RegistryContext
from registry.db import refresh_statistics
from registry.identity import Identity
from registry.models import Agency, DataKey, Official, OfficialIndex, RegistryEntry
from registry.models.enums import (
    EntryReason,
    HandlingCode,
    InformationReliability,
    SourceReliability,
)
from registry.policy import Actor
from registry.services import accounts, agencies
from registry.services.accounts import actor_by_username
from registry.services.entries import CleanEntry, entry_row
from registry.services.officials import official_rows
from registry.services.screening import MAX_BATCH_ROWS, ScreeningInput, screen, screen_batch
from registry.services.setup import initialise
from registry.services.staging import Staging

GIVEN_M = [
    "José",
    "Juan",
    "Luis",
    "Carlos",
    "Jorge",
    "Miguel Ángel",
    "Francisco",
    "Alejandro",
    "Roberto",
    "Fernando",
    "Ricardo",
    "Eduardo",
    "Sergio",
    "Arturo",
    "Raúl",
    "Javier",
    "Héctor",
    "Óscar",
    "Víctor",
    "Rubén",
    "Gerardo",
    "Andrés",
    "Mario",
    "Rafael",
    "Enrique",
    "Salvador",
    "Ignacio",
    "Guillermo",
    "Hugo",
    "Ernesto",
    "Marco Antonio",
]
GIVEN_F = [
    "María",
    "Guadalupe",
    "Ana",
    "Laura",
    "Patricia",
    "Claudia",
    "Verónica",
    "Adriana",
    "Gabriela",
    "Alejandra",
    "Leticia",
    "Rosa",
    "Elena",
    "Silvia",
    "Teresa",
    "Lucía",
    "Mónica",
    "Beatriz",
    "Araceli",
    "Yolanda",
    "Norma",
    "Martha",
    "Sofía",
    "Ximena",
]
SURNAMES = [
    "Hernández",
    "García",
    "Martínez",
    "López",
    "González",
    "Pérez",
    "Rodríguez",
    "Sánchez",
    "Ramírez",
    "Cruz",
    "Flores",
    "Gómez",
    "Morales",
    "Vázquez",
    "Reyes",
    "Jiménez",
    "Torres",
    "Díaz",
    "Gutiérrez",
    "Ruiz",
    "Mendoza",
    "Aguilar",
    "Ortiz",
    "Moreno",
    "Castillo",
    "Romero",
    "Álvarez",
    "Méndez",
    "Chávez",
    "Rivera",
    "Juárez",
    "Ramos",
    "Domínguez",
    "Herrera",
    "Medina",
    "Castro",
    "Vargas",
    "Guzmán",
    "Velázquez",
    "Muñoz",
    "Rojas",
    "Contreras",
    "Salazar",
    "Luna",
    "Ortega",
    "Santiago",
    "Guerrero",
    "Estrada",
    "Bautista",
    "Cortés",
    "Soto",
    "Alvarado",
    "Espinoza",
    "Lara",
    "Ávila",
    "Ríos",
    "Cervantes",
    "Silva",
    "Delgado",
    "Vega",
    "Márquez",
    "Sandoval",
    "Carrillo",
    "León",
    "Mejía",
    "Solís",
    "Ibarra",
    "Rosas",
    "Valdez",
    "Campos",
    "Núñez",
    "Navarro",
    "Peña",
    "de la Cruz",
    "de León",
    "Villanueva",
    "Zamora",
    "Trejo",
    "Galván",
    "Olvera",
]
US_GIVEN = [
    "James",
    "Robert",
    "John",
    "Michael",
    "David",
    "William",
    "Richard",
    "Joseph",
    "Thomas",
    "Christopher",
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
]
US_SURNAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Martin",
    "Jackson",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
]
LOAD_BATCH = 5000


def random_person(rng: random.Random) -> Identity:
    birth = f"{rng.randint(1955, 2003)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    import datetime as dt

    if rng.random() < 0.2:  # a U.S. official: one surname
        return Identity(
            rng.choice(US_GIVEN) + " " + rng.choice(US_GIVEN),
            rng.choice(US_SURNAMES),
            None,
            dt.date.fromisoformat(birth),
            rng.choice("HM"),
            None,
        )
    sex = rng.choice("HM")
    names = GIVEN_M if sex == "H" else GIVEN_F
    given = rng.choice(names) + (" " + rng.choice(names) if rng.random() < 0.6 else "")
    return Identity(
        given, rng.choice(SURNAMES), rng.choice(SURNAMES), dt.date.fromisoformat(birth), sex, None
    )


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def corrupted(person: Identity, rng: random.Random) -> ScreeningInput:
    given = person.given_names.split()[0] if rng.random() < 0.3 else person.given_names
    maternal = None if rng.random() < 0.3 else person.maternal_surname
    fold = _fold if rng.random() < 0.5 else str
    return ScreeningInput(
        fold(given),
        fold(person.paternal_surname or ""),
        fold(maternal) if maternal else None,
        person.birth_date,
        person.sex,
    )


def as_input(person: Identity) -> ScreeningInput:
    return ScreeningInput(
        person.given_names,
        person.paternal_surname,
        person.maternal_surname,
        person.birth_date,
        person.sex,
        person.curp,
    )


def setup_registry(settings: Settings) -> tuple[RegistryContext, Actor]:
    initialise(settings)
    ctx = RegistryContext.open(settings)
    operator = Actor.system_operator("bench")
    if not agencies.list_agencies(ctx.uow()):
        agencies.add_agency(
            ctx.uow(),
            operator,
            code="MX-GN",
            name="Guardia Nacional",
            country="MX",
            sector="police",
            level="federal",
            parent_code=None,
        )
        agencies.add_agency(
            ctx.uow(),
            operator,
            code="US-DEA",
            name="DEA",
            country="US",
            sector="police",
            level="federal",
            parent_code=None,
        )
        for username, agency, role in (
            ("bench.officer", "MX-GN", "vetting_officer"),
            ("bench.screener", "US-DEA", "screener"),
        ):
            accounts.add_user(
                ctx.uow(), operator, username=username, agency_code=agency, roles=[role]
            )
    return ctx, actor_by_username(ctx.uow(), "bench.screener")


def bulk_load(ctx: RegistryContext, size: int, seed: int) -> list[Identity]:
    """Seal, index and insert `size` listed officials; returns the identities (for queries)."""
    rng = random.Random(seed)
    people = [random_person(rng) for _ in range(size)]
    officer = actor_by_username(ctx.uow(), "bench.officer")
    started = time.perf_counter()
    for start in range(0, size, LOAD_BATCH):
        with ctx.uow() as uow:
            agency = uow.session.scalars(select(Agency).where(Agency.code == "MX-GN")).one()
            now = uow.clock()
            stage = Staging([DataKey, Official, OfficialIndex, RegistryEntry])
            for n, person in enumerate(people[start : start + LOAD_BATCH], start=start):
                key_row, official, index = official_rows(
                    uow, officer, person, agency.id, agency.country, now
                )
                clean = CleanEntry(
                    EntryReason.FAILED_VETTING,
                    f"B-{n}",
                    "bench",
                    now.date(),
                    HandlingCode.H1,
                    SourceReliability.B,
                    InformationReliability.KNOWN_TO_SOURCE,
                    now.date().replace(year=now.year + 10),
                    None,
                    None,
                    True,
                )
                entry_key, entry = entry_row(uow, officer, official["id"], agency, clean, now)
                stage.extend(DataKey, [key_row, entry_key])
                stage.extend(Official, [official])
                stage.extend(OfficialIndex, index)
                stage.extend(RegistryEntry, [entry])
            stage.flush(uow.session)
            uow.session.commit()
        done = min(start + LOAD_BATCH, size)
        rate = done / (time.perf_counter() - started)
        print(f"\r  loaded {done:,}/{size:,} ({rate:,.0f}/s)", end="", flush=True)
    print()
    refresh_statistics(ctx.engine, ["data_keys", "officials", "official_index", "registry_entries"])
    return people


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def queries(people: list[Identity], count: int, seed: int) -> list[ScreeningInput]:
    rng = random.Random(seed + 1)
    listed = [corrupted(rng.choice(people), rng) for _ in range(count // 2)]
    fresh = [as_input(random_person(rng)) for _ in range(count - count // 2)]
    mixed = listed + fresh
    rng.shuffle(mixed)
    return mixed


def bench_in_process(
    ctx: RegistryContext, actor: Actor, qs: list[ScreeningInput]
) -> dict[str, Any]:
    times, candidates, hits = [], [], 0
    for q in qs:
        t0 = time.perf_counter()
        result = screen(ctx.uow(), actor, "HIRING", q)
        times.append((time.perf_counter() - t0) * 1000)
        candidates.append(result.candidates)
        hits += result.is_hit
    return {
        "p50_ms": _pct(times, 0.5),
        "p95_ms": _pct(times, 0.95),
        "hits": hits,
        "cand_p50": _pct(candidates, 0.5),
        "cand_p95": _pct(candidates, 0.95),
        "cand_max": max(candidates),
        "cand_mean": statistics.mean(candidates),
    }


def bench_batch(ctx: RegistryContext, actor: Actor, qs: list[ScreeningInput]) -> float:
    t0 = time.perf_counter()
    for start in range(0, len(qs), 500):
        screen_batch(ctx.uow(), actor, "HIRING", qs[start : start + 500])
    return len(qs) / (time.perf_counter() - t0)


def _body(q: ScreeningInput) -> dict[str, Any]:
    birth = q.birth_date.isoformat() if hasattr(q.birth_date, "isoformat") else q.birth_date
    return {
        "given_names": q.given_names,
        "paternal_surname": q.paternal_surname,
        "maternal_surname": q.maternal_surname,
        "birth_date": birth,
        "sex": q.sex,
        "curp": q.curp,
    }


def bench_api(
    ctx: RegistryContext, settings: Settings, qs: list[ScreeningInput], batch: list[ScreeningInput]
) -> dict[str, float]:
    from web import create_app

    operator = Actor.system_operator("bench")
    _, token = accounts.create_token(
        ctx.uow(), operator, name="bench", days=1, username="bench.screener"
    )
    app = create_app(settings, ctx, {"RATELIMIT_ENABLED": False})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    times = []
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{httpd.server_port}/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        ) as client:
            for q in qs:
                t0 = time.perf_counter()
                client.post(
                    "/screenings", json={**_body(q), "purpose": "HIRING"}
                ).raise_for_status()
                times.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            for start in range(0, len(batch), 500):
                rows = [_body(q) for q in batch[start : start + 500]]
                client.post(
                    "/screenings/batch", json={"purpose": "HIRING", "rows": rows}
                ).raise_for_status()
            rate = len(batch) / (time.perf_counter() - t0)
    finally:
        httpd.shutdown()
    return {"p50_ms": _pct(times, 0.5), "p95_ms": _pct(times, 0.95), "batch_per_s": rate}


def _settings(backend: str, size: int, directory: Path, pg_url: str) -> tuple[Settings, bool]:
    """Settings for the registry of `size` entries, and whether it already holds them."""
    folder = directory / f"{backend}-{size}"
    folder.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
        exists = (folder / "people.json").exists()
    else:
        name = f"vetreg_bench_{size}"
        with psycopg.connect(pg_url, autocommit=True) as conn:
            exists = (
                bool(
                    conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
                )
                and (folder / "people.json").exists()
            )
            if not exists:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
        url = (
            pg_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
        )
    return Settings(instance_dir=folder, database_url=url, key_file=folder / "bench.keys"), exists


def _people(folder: Path, people: list[Identity] | None) -> list[Identity]:
    import datetime as dt

    path = folder / "people.json"
    if people is not None:
        path.write_text(
            json.dumps(
                [
                    [
                        p.given_names,
                        p.paternal_surname,
                        p.maternal_surname,
                        p.birth_date.isoformat() if p.birth_date else None,
                        p.sex,
                    ]
                    for p in people
                ]
            )
        )
        return people
    return [
        Identity(g, p, m, dt.date.fromisoformat(b) if b else None, s, None)
        for g, p, m, b, s in json.loads(path.read_text())
    ]


def run(size: int, args: argparse.Namespace) -> dict[str, Any]:
    settings, exists = _settings(args.backend, size, Path(args.dir), args.pg_url)
    print(
        f"{args.backend} {size:,} entries ({'reused' if exists else 'building'}) "
        f"in {settings.instance_dir}"
    )
    if args.workers is not None:
        settings = replace(settings, screening_workers=args.workers)
    ctx, actor = setup_registry(settings)
    people = _people(settings.instance_dir, None if exists else bulk_load(ctx, size, args.seed))
    qs = queries(people, args.queries, args.seed)
    batch = queries(people, args.batch, args.seed + 7)
    warm = queries(people, args.warmup, args.seed + 9)
    del people  # a serving process holds no such list: its garbage collector must not walk it
    gc.collect()
    if args.backend == "sqlite":
        _read_through(Path(settings.database_url.removeprefix("sqlite:///")))
    # A serving process has screened before: warm its caches (derived keys, statements, name
    # comparisons, the database's pages) with other queries, and start the workers.
    for q in warm:
        screen(ctx.uow(), actor, "HIRING", q)
    screen_batch(ctx.uow(), actor, "HIRING", warm[:MAX_BATCH_ROWS])
    report: dict[str, Any] = {
        "size": size,
        "backend": args.backend,
        "workers": settings.screening_workers,
        "in_process": bench_in_process(ctx, actor, qs),
    }
    report["batch_in_process_per_s"] = bench_batch(ctx, actor, batch)
    report["api"] = bench_api(ctx, settings, qs[: max(50, args.queries // 2)], batch)
    ctx.close()
    return report


def _read_through(path: Path) -> None:
    """Read the database file once, as a serving machine has it in its page cache (a registry
    reopened cold would otherwise time the disk, not the screening)."""
    with path.open("rb") as fh:
        while fh.read(1 << 24):
            pass


def _print(report: dict[str, Any]) -> None:
    ip, api = report["in_process"], report["api"]
    print(
        f"  in-process  p50 {ip['p50_ms']:.1f} ms  p95 {ip['p95_ms']:.1f} ms  ({ip['hits']} hits)"
    )
    print(f"  API         p50 {api['p50_ms']:.1f} ms  p95 {api['p95_ms']:.1f} ms")
    print(
        f"  batch       {report['batch_in_process_per_s']:,.0f} candidates/s in-process, "
        f"{api['batch_per_s']:,.0f} candidates/s through the API "
        f"({report['workers']} worker process(es) besides the serving one)"
    )
    print(
        f"  decrypted per query  p50 {ip['cand_p50']}  p95 {ip['cand_p95']}  "
        f"max {ip['cand_max']}  mean {ip['cand_mean']:.1f}"
    )


def main(argv: list[str] | None = None) -> None:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000", help="Comma-separated registry sizes.")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument(
        "--dir",
        default=str(Path(tempfile.gettempdir()) / "vetreg-bench"),
        help="Where registries are built and kept for reuse.",
    )
    parser.add_argument("--queries", type=int, default=1000, help="Single screenings timed.")
    parser.add_argument(
        "--warmup",
        type=int,
        default=1000,
        help="Other screenings run first, as a serving process has (at least 100).",
    )
    parser.add_argument("--batch", type=int, default=2000, help="Candidates in the batch run.")
    parser.add_argument("--seed", type=int, default=20260501)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="Screening worker processes for batches (default: the registry's, cores - 1).",
    )
    args = parser.parse_args(argv)
    reports = []
    for size in (int(s) for s in args.sizes.split(",")):
        report = run(size, args)
        _print(report)
        reports.append(report)
    if len(reports) > 1:
        base, top = reports[0]["in_process"]["p95_ms"], reports[-1]["in_process"]["p95_ms"]
        print(f"p95 at {reports[-1]['size']:,} / p95 at {reports[0]['size']:,}: {top / base:.2f}x")


if __name__ == "__main__":
    main()
