"""Bulk import throughput: N synthetic entries through `vetreg import`'s service.

Prints records/s and database bytes per record for SQLite and (when reachable) PostgreSQL.
    .venv/bin/python bench/import_bench.py --n 10000 --n 100000 [--backend sqlite]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy import text
from stdnum.mx import curp as stdnum_curp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from registry.config import Settings  # noqa: E402
from registry.context import RegistryContext  # noqa: E402
from registry.identity import is_valid_curp  # noqa: E402
from registry.policy import Actor  # noqa: E402
from registry.services import accounts, agencies, imports  # noqa: E402
from registry.services.accounts import actor_by_username  # noqa: E402
from registry.services.setup import initialise  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
GIVEN = [
    "MARIA",
    "JOSE",
    "JUAN",
    "ANA",
    "LUIS",
    "ROSA",
    "CARLOS",
    "LAURA",
    "MIGUEL",
    "SOFIA",
    "PEDRO",
    "ELENA",
    "JORGE",
    "PATRICIA",
    "RAUL",
    "GABRIELA",
]
SURNAMES = [
    "HERNANDEZ",
    "GARCIA",
    "MARTINEZ",
    "LOPEZ",
    "GONZALEZ",
    "PEREZ",
    "RODRIGUEZ",
    "SANCHEZ",
    "RAMIREZ",
    "CRUZ",
    "FLORES",
    "GOMEZ",
    "MORALES",
    "VAZQUEZ",
    "REYES",
    "JIMENEZ",
    "TORRES",
    "DIAZ",
    "GUTIERREZ",
    "RUIZ",
    "MENDOZA",
    "AGUILAR",
    "ORTIZ",
    "MORENO",
    "CASTILLO",
    "ROMERO",
]
STATES = ["DF", "JC", "NL", "MC", "PL", "VZ", "GT", "CH", "BC", "SL"]


def _curp(
    given: str, paternal: str, maternal: str, birth: dt.date, sex: str, rng: random.Random
) -> str:
    vowel = next((c for c in paternal[1:] if c in "AEIOU"), "X")
    inner = [
        next((c for c in name[1:] if c not in "AEIOU"), "X") for name in (paternal, maternal, given)
    ]
    body = (
        f"{paternal[0]}{vowel}{maternal[0]}{given[0]}{birth:%y%m%d}{sex}{rng.choice(STATES)}"
        f"{''.join(inner)}{rng.randrange(10) if birth.year < 2000 else 'A'}"
    )
    value = body + stdnum_curp.calc_check_digit(body)
    # RENAPO replaces offensive four-letter words; such generated people go without a CURP.
    return value if is_valid_curp(value) else ""


def synthetic_rows(n: int, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        given, paternal, maternal = rng.choice(GIVEN), rng.choice(SURNAMES), rng.choice(SURNAMES)
        birth = dt.date(1955, 1, 1) + dt.timedelta(days=rng.randrange(365 * 45))
        sex = rng.choice("HM")
        rows.append(
            {
                "given_names": given,
                "paternal_surname": paternal,
                "maternal_surname": maternal,
                "birth_date": birth.isoformat(),
                "sex": sex,
                "curp": _curp(given, paternal, maternal, birth, sex, rng)
                if rng.random() < 0.7
                else "",
                "agency_code": "MX-GN",
                "reason": "failed_vetting",
                "effective_date": "2025-01-15",
                "case_ref": f"GN-{i:08d}",
                "legal_basis": "LGSNSP art. 88",
                "narrative": "No aprobó la evaluación de control de confianza.",
            }
        )
    return rows


def _database(backend: str, workdir: Path) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}", None
    name = f"vetreg_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", name


def _size(ctx: RegistryContext, url: str) -> int:
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    with ctx.engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def run(backend: str, n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url, pg_name = _database(backend, workdir)
        settings = Settings(
            instance_dir=workdir, database_url=url, key_file=workdir / "vetreg.keys"
        )
        initialise(settings)
        ctx = RegistryContext.open(settings)
        operator = Actor.system_operator("bench")
        agencies.add_agency(
            ctx.uow(),
            operator,
            code="MX-GN",
            name="Guardia Nacional",
            country="MX",
            sector="police",
            level="federal",
        )
        accounts.add_user(
            ctx.uow(),
            operator,
            username="bench.officer",
            agency_code="MX-GN",
            roles=["vetting_officer"],
        )
        officer = actor_by_username(ctx.uow(), "bench.officer")
        rows = synthetic_rows(n)
        empty = _size(ctx, url)
        started, cpu_started = time.perf_counter(), time.process_time()
        report = imports.import_entries(
            ctx.uow, officer, rows, batch_size=settings.import_batch_size
        )
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        assert report.created == n and not report.problems, report
        size = _size(ctx, url) - empty
        print(
            f"{backend:<10} N={n:>7}  {n / elapsed:8.0f} records/s  ({elapsed:6.1f} s; "
            f"{n / cpu:6.0f}/s of this process's CPU)  "
            f"{size / n:6.0f} bytes/record  officials matched by CURP: {report.officials_matched}"
        )
        ctx.close()
        if pg_name:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{pg_name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, action="append", help="entries (repeatable)")
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    for backend in args.backend or ["sqlite", "postgresql"]:
        for n in args.n or [10_000, 100_000]:
            run(backend, n)


if __name__ == "__main__":
    main()
