"""Test fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from VETREG_TEST_POSTGRES_URL (default: the local server, database `test`
used only to create throwaway databases). When it is unreachable the PostgreSQL half is
skipped, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from registry.config import Settings
from registry.context import RegistryContext, ensure_key_secrets, load_keyring
from registry.crypto import FileKeyProvider
from registry.db import make_engine
from registry.migrate import upgrade
from registry.policy import Actor
from tests.factories import World, build_world

PG_ADMIN_URL = os.environ.get(
    "VETREG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]

# Property tests check outcomes, not speed: a busy CI machine must not fail them on a deadline.
settings.register_profile("vetreg", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("vetreg")


def _pg_admin() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)


def postgres_or_skip() -> None:
    try:
        _pg_admin().close()
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is unreachable at {PG_ADMIN_URL} under CI: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc}")


@dataclass
class Database:
    """A throwaway database: its URL and how to drop it."""

    backend: str
    url: str
    name: str | None = None

    def drop(self) -> None:
        if self.name:
            with _pg_admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def new_database(backend: str, tmp_path: Path) -> Database:
    """An empty database of the given backend (not migrated)."""
    if backend == "sqlite":
        return Database(backend, f"sqlite:///{tmp_path / f'db-{uuid.uuid4().hex[:8]}.sqlite3'}")
    postgres_or_skip()
    name = f"vetreg_t_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return Database(backend, f"{base}/{name}", name)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def migrated(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """One migrated database per backend for the whole session (tests roll back)."""
    database = new_database(backend, tmp_path_factory.mktemp(backend))
    upgrade(database.url)
    yield database
    database.drop()


@pytest.fixture(scope="session")
def key_provider(tmp_path_factory: pytest.TempPathFactory) -> FileKeyProvider:
    return FileKeyProvider.create(tmp_path_factory.mktemp("keys") / "vetreg.keys")


@pytest.fixture(scope="session")
def engine(migrated: Database, key_provider: FileKeyProvider) -> Iterator[Engine]:
    engine = make_engine(migrated.url)
    with Session(engine) as session:
        ensure_key_secrets(session, key_provider)
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions joined to an outer transaction that is rolled back after the test."""
    connection = engine.connect()
    transaction = connection.begin()
    yield sessionmaker(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=False,
    )
    transaction.rollback()
    connection.close()


@pytest.fixture
def ctx(
    engine: Engine,
    session_factory: sessionmaker[Session],
    key_provider: FileKeyProvider,
    migrated: Database,
    tmp_path: Path,
) -> RegistryContext:
    with session_factory() as session:
        keyring = load_keyring(session, key_provider)
    settings = Settings(
        instance_dir=tmp_path, database_url=migrated.url, key_file=key_provider.path
    )
    return RegistryContext(settings, engine, session_factory, key_provider, keyring)


@pytest.fixture
def operator() -> Actor:
    return Actor.system_operator("tests")


@pytest.fixture
def world(ctx: RegistryContext, operator: Actor) -> World:
    """Agencies of both countries and a user of every role in each."""
    return build_world(ctx, operator)


@pytest.fixture
def fresh_db(backend: str, tmp_path: Path) -> Iterator[Database]:
    """An empty, unmigrated database of the current backend, dropped afterwards."""
    database = new_database(backend, tmp_path)
    yield database
    database.drop()


@pytest.fixture
def instance(fresh_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A real, committed instance (key file, migrated database) for CLI and storage tests."""
    monkeypatch.setenv("VETREG_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("VETREG_DATABASE_URL", fresh_db.url)
    monkeypatch.setenv("VETREG_KEY_FILE", str(tmp_path / "instance" / "vetreg.keys"))
    settings = Settings.from_env()
    from registry.services.setup import initialise

    initialise(settings)
    return settings


_BACKEND_ID = re.compile(r"\[(?:[^\]]*-)?(sqlite|postgresql)(?:-[^\]]*)?\]")


def _count_by_backend(reports: list[pytest.TestReport]) -> dict[str, int]:
    counts = dict.fromkeys(BACKENDS, 0)
    for report in reports:
        match = _BACKEND_ID.search(report.nodeid)
        if match and report.when == "call":
            counts[match.group(1)] += 1
    return counts


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    passed = _count_by_backend(terminalreporter.stats.get("passed", []))
    skipped = _count_by_backend(terminalreporter.stats.get("skipped", []))
    terminalreporter.write_sep("-", "database backends")
    for name in BACKENDS:
        terminalreporter.write_line(f"{name}: {passed[name]} passed, {skipped[name]} skipped")
    if os.environ.get("CI") == "true" and passed["sqlite"] and not passed["postgresql"]:
        terminalreporter.write_line("CI: no test ran on PostgreSQL", red=True)
        terminalreporter._session.exitstatus = 1  # type: ignore[attr-defined]
