"""The schema exists only through migrations: one head, round trip, no drift — on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from registry import migrate
from registry.db import make_engine
from registry.models import metadata
from tests.conftest import Database


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_single_head() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_upgrade_matches_models_and_downgrades_cleanly(fresh_db: Database) -> None:
    migrate.upgrade(fresh_db.url)
    assert migrate.current_revision(fresh_db.url) == migrate.head_revision(fresh_db.url)
    assert _tables(fresh_db.url) == set(metadata.tables)
    assert _diff(fresh_db.url) == []
    migrate.downgrade(fresh_db.url, "base")
    assert _tables(fresh_db.url) == set()
    migrate.upgrade(fresh_db.url)
    assert _diff(fresh_db.url) == []


def test_every_revision_downgrades_one_step(fresh_db: Database) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config(fresh_db.url))
    revisions = [r.revision for r in script.walk_revisions("base", "heads")][::-1]
    for revision in revisions:
        migrate.upgrade(fresh_db.url, revision)
    for _ in revisions:
        migrate.downgrade(fresh_db.url, "-1")
    assert migrate.current_revision(fresh_db.url) is None
