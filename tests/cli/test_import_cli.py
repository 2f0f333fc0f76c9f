"""`vetreg import`: every bad row reported by row and column; idempotent re-runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from cli.main import cli
from registry.config import Settings
from registry.context import RegistryContext
from registry.models import AuditEvent, RegistryEntry
from registry.policy import Actor
from tests.factories import build_world

HEADER = (
    "given_names,paternal_surname,maternal_surname,birth_date,sex,curp,"
    "agency_code,reason,effective_date,case_ref,legal_basis\n"
)
GOOD = [
    "María Guadalupe,Hernández,López,1984-03-12,M,,MX-GN,failed_vetting,2025-02-01,GN-1,LGSNSP 88",
    "José,de la Cruz,Pérez,1970-01-01,H,HEGG560427MVZRRL04,MX-GN,expelled_corruption,2024-11-20,"
    "GN-2,LGSNSP 88",
    "Ana Luisa,Núñez,,1991-08-09,M,,MX-FGR,refused_vetting,2025-06-30,FGR-7,LGSNSP 88",
]
BAD = [
    "Pedro,Gómez,Ruiz,1980-05-05,H,HEGG560427MVZRRL05,MX-GN,failed_vetting,2025-01-01,GN-3,x",
    "Luis,Soto,Vega,1980-02-30,H,,MX-GN,failed_vetting,2025-01-01,GN-4,x",
    "Rosa,Pineda,Mora,1980-05-05,M,,MX-NOPE,failed_vetting,2025-01-01,NOPE-1,x",
    "Carla,,Mora,1980-05-05,M,,MX-GN,failed_vetting,2025-01-01,GN-5,x",
]


@pytest.fixture
def ctx(instance: Settings) -> Iterator[RegistryContext]:
    """A real, committed instance with agencies and users."""
    context = RegistryContext.open(instance)
    build_world(context, Actor.system_operator("tests"))
    yield context
    context.close()


def _count(ctx: RegistryContext, model: type) -> int:
    with ctx.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _run(tmp_path: Path, lines: list[str], *extra: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "entries.csv"
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return CliRunner().invoke(
        cli, ["import", str(path), "--as", "mx.vettingofficer", *extra], catch_exceptions=False
    )


def test_bad_rows_reported_and_dry_run_writes_nothing(ctx: RegistryContext, tmp_path: Path) -> None:
    events = _count(ctx, AuditEvent)
    result = _run(tmp_path, GOOD + BAD, "--dry-run")
    assert result.exit_code == 2
    out = result.output
    assert "row 5, column curp: CURP check digit" in out
    assert "row 6, column birth_date: is not a valid date" in out
    assert "row 7, column agency_code: agency 'MX-NOPE' does not exist" in out
    assert "row 8, column paternal_surname: is required" in out
    assert "7 rows read, 3 valid, 4 problems; would import 3" in out
    assert _count(ctx, RegistryEntry) == 0
    assert _count(ctx, AuditEvent) == events


def test_import_is_idempotent_with_one_event_per_entry(
    ctx: RegistryContext, tmp_path: Path
) -> None:
    events = _count(ctx, AuditEvent)
    first = _run(tmp_path, GOOD)
    assert first.exit_code == 0, first.output
    assert "imported 3, 0 already present" in first.output
    assert _count(ctx, RegistryEntry) == 3
    assert _count(ctx, AuditEvent) == events + 3
    again = _run(tmp_path, GOOD)
    assert "imported 0, 3 already present" in again.output
    assert _count(ctx, RegistryEntry) == 3
    assert _count(ctx, AuditEvent) == events + 3


def test_missing_column_is_refused(ctx: RegistryContext, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("given_names,paternal_surname\nAna,López\n")
    result = CliRunner().invoke(cli, ["import", str(path), "--as", "mx.vettingofficer"])
    assert result.exit_code == 2 and "case_ref: column is missing" in result.output


def test_a_large_import_leaves_the_planner_statistics_fresh(
    ctx: RegistryContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the imported tables are analysed at once (autovacuum may be off or late),
    so the very next screening is planned on the blind-index and official-id indexes."""
    if ctx.engine.dialect.name != "postgresql":
        pytest.skip("SQLite plans these lookups without statistics")
    from registry.services import imports

    monkeypatch.setattr(imports, "ANALYZE_AFTER", len(GOOD))
    assert _run(tmp_path, GOOD).exit_code == 0
    with ctx.engine.connect() as connection:
        analysed = {
            name
            for (name,) in connection.exec_driver_sql(
                "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
            )
        }
    assert {"officials", "official_index", "registry_entries", "data_keys"} <= analysed
