"""Engines and session factories, built on demand (nothing at import time)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

SQLITE_MMAP_BYTES = 1 << 31


def _normalise_url(url: str) -> str:
    # Operators paste plain libpq URLs; the registry speaks psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and write-locking transactions.

    `read_only` (a screening worker's reads): transactions take no write lock on SQLite and
    are declared READ ONLY on PostgreSQL.
    """
    url = _normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _configure_sqlite(engine, read_only)
        return engine
    if read_only:
        kwargs.setdefault("execution_options", {"postgresql_readonly": True})
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so that BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Read pages through a memory map (up to SQLite's limit, 2 GiB here) rather than a
            # copy per read: screening at 1M entries reads thousands of pages a second.
            cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Every use case writes its audit event, so take the write lock up front:
        # a deferred transaction that read the chain head could not append after another writer.
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that never expire loaded objects on commit (services return plain data)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def refresh_statistics(bind: Engine | Connection, tables: Iterable[str]) -> None:
    """ANALYZE tables after a bulk load on PostgreSQL, so that the planner keeps using their
    indexes straight away rather than when autovacuum (if enabled) gets to them.

    SQLite is left alone: its plans here do not depend on statistics.
    """
    if bind.dialect.name != "postgresql":
        return
    engine = bind if isinstance(bind, Engine) else bind.engine
    preparer = engine.dialect.identifier_preparer
    with engine.begin() as connection:
        for table in tables:
            connection.exec_driver_sql(f"ANALYZE {preparer.quote(table)}")
