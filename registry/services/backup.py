"""Backups (ciphertext only; keys are backed up separately) and restore into an empty instance.

SQLite: an online snapshot with the sqlite3 backup API, copied in one step inside a read
transaction, so it is consistent while the server keeps writing (WAL readers do not block
writers). PostgreSQL: `pg_dump --format=custom` reading a snapshot exported by our own
repeatable-read transaction, so the audit head we record is exactly the one in the dump.

A restore checks the file, copies it into an empty database, upgrades the schema, verifies the
audit hash chain, checks that the configured key provider holds every KEK the data needs, and
records the restore in the restored log.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, func, inspect, select, text
from sqlalchemy.orm import Session

from registry import migrate
from registry.audit.events import GENESIS_HASH, canonical_bytes, chain_hash
from registry.config import Settings
from registry.context import LOADED_STATES, RegistryContext, make_key_provider
from registry.db import make_engine
from registry.errors import (
    Conflict,
    DecryptionFailed,
    KeyUnavailable,
    RegistryError,
    ValidationFailed,
)
from registry.models import AuditEvent, DataKey, KeySecret
from registry.policy import NO_TARGET, Actor, Permission
from registry.uow import UnitOfWork

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupFailed(RegistryError):
    """A backup or restore could not be made; nothing was left half-written."""

    code = "backup_failed"


@dataclass(frozen=True)
class ChainCheck:
    events: int
    head: bytes


@dataclass(frozen=True)
class BackupReport:
    path: Path
    backend: str
    size: int
    sha256: str
    audit_events: int
    audit_head: str
    kek_ids: tuple[str, ...]


@dataclass(frozen=True)
class RestoreReport:
    backend: str
    audit_events: int
    audit_head: str
    kek_ids: tuple[str, ...]
    upgraded_from: str | None


def verify_chain(session: Session) -> ChainCheck:
    """Recompute the audit hash chain from the first event; BackupFailed at the first break."""
    prev, count = GENESIS_HASH, 0
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)
                                 .execution_options(yield_per=2000)):
        count += 1
        if event.seq != count or event.prev_hash != prev:
            raise BackupFailed(f"audit log broken at event {event.seq}: not linked to the last")
        if chain_hash(prev, canonical_bytes(event)) != event.hash:
            raise BackupFailed(f"audit log broken at event {event.seq}: its hash does not match")
        prev = event.hash
    return ChainCheck(count, prev)


def kek_ids_in_use(connection: Connection) -> tuple[str, ...]:
    """KEKs that wrap live data keys or root secrets: the key backup must hold each of them."""
    keys = connection.execute(select(DataKey.kek_id).where(DataKey.wrapped.is_not(None))
                              .distinct()).scalars().all()
    secrets = connection.execute(select(KeySecret.kek_id).where(
        KeySecret.state.in_(LOADED_STATES)).distinct()).scalars().all()
    return tuple(sorted(set(keys) | set(secrets)))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sqlite_path(url: str) -> Path:
    return Path(url.split(":///", 1)[1])


def _libpq_url(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix):]
    return url


def _run(args: list[str], what: str) -> None:
    tool = shutil.which(args[0])
    if tool is None:
        raise BackupFailed(f"{args[0]} not found: install the PostgreSQL client tools")
    # Fixed argument lists; the only variable parts are our own URL and file names.
    result = subprocess.run(  # noqa: S603
        [tool, *args[1:]], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupFailed(f"{what} failed: {result.stderr.strip()[-500:]}")


@contextmanager
def _staging(out: Path) -> Iterator[Path]:
    """A temporary file beside `out`, renamed into place only if the block succeeds."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o600)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def _snapshot_sqlite(ctx: RegistryContext, tmp: Path) -> tuple[ChainCheck, tuple[str, ...]]:
    source = sqlite3.connect(_sqlite_path(ctx.settings.database_url), timeout=30)
    target = sqlite3.connect(tmp)
    try:
        source.backup(target)  # pages=-1: one step, one read transaction, a consistent copy
        if target.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupFailed("the snapshot failed SQLite's integrity check")
        target.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    finally:
        target.close()
        source.close()
    engine = make_engine(f"sqlite:///{tmp}")
    try:
        with Session(engine) as session:
            return verify_chain(session), kek_ids_in_use(session.connection())
    finally:
        engine.dispose()


def _snapshot_postgres(ctx: RegistryContext, tmp: Path) -> tuple[ChainCheck, tuple[str, ...]]:
    with ctx.engine.connect() as connection:
        connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        with Session(bind=connection) as session:
            check = verify_chain(session)
            keks = kek_ids_in_use(connection)
        # pg_dump reads the very snapshot we verified while this transaction stays open.
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
              f"--snapshot={snapshot}", f"--file={tmp}",
              f"--dbname={_libpq_url(ctx.settings.database_url)}"], "pg_dump")
    return check, keks


def create_backup(ctx: RegistryContext, uow: UnitOfWork, actor: Actor, out: Path) -> BackupReport:
    """Write a consistent snapshot to `out` (refuses to overwrite); the backup is audited."""
    with uow:
        uow.require(actor, Permission.KEY_MANAGE, NO_TARGET, action="backup.create")
        uow.rollback()  # no transaction held while the snapshot is taken
    if out.exists():
        raise Conflict(f"{out} already exists; choose a new file name")
    backend = "sqlite" if ctx.settings.is_sqlite else "postgresql"
    with _staging(out) as tmp:
        snap = _snapshot_sqlite if backend == "sqlite" else _snapshot_postgres
        check, keks = snap(ctx, tmp)
    report = BackupReport(out, backend, out.stat().st_size, _sha256(out), check.events,
                          check.head.hex(), keks)
    with uow:
        uow.audit.append(actor, "backup.create", object_type="backup", object_id=report.sha256[:32],
                         details={"backend": backend, "bytes": report.size,
                                  "sha256": report.sha256, "audit_events": check.events,
                                  "kek_ids": list(keks)})
        uow.commit()
    return report


def _ensure_empty(settings: Settings) -> None:
    if settings.is_sqlite:
        path = _sqlite_path(settings.database_url)
        if path.exists() and path.stat().st_size > 0:
            raise Conflict(f"{path} already holds a database; restore only into an empty instance")
        return
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise Conflict("the target database is not empty; restore only into an empty database")


def _check_source(source: Path, backend: str) -> None:
    if not source.is_file():
        raise ValidationFailed.single("file", f"{source} does not exist")
    magic = SQLITE_MAGIC if backend == "sqlite" else PG_DUMP_MAGIC
    with source.open("rb") as fh:
        if fh.read(len(magic)) != magic:
            kind = "an SQLite database" if backend == "sqlite" else "a pg_dump custom archive"
            raise ValidationFailed.single("file", f"{source} is not {kind} "
                                                  f"(this instance uses {backend})")


def _check_keys(settings: Settings, connection: Connection) -> tuple[str, ...]:
    """Every KEK the data needs is present and is the right one (it unwraps what it wrapped)."""
    needed = kek_ids_in_use(connection)
    provider = make_key_provider(settings)
    where = "the key file" if settings.key_provider == "file" else "the HSM token"
    missing = [k for k in needed if k not in set(provider.kek_ids())]
    if missing:
        raise KeyUnavailable(f"{where} lacks {', '.join(missing)}: restore the key backup taken "
                             "with this data first (see docs/keys.md)")
    samples: list[tuple[str, bytes]] = [(k, w) for k, w in connection.execute(
        select(KeySecret.kek_id, KeySecret.wrapped).where(KeySecret.state.in_(LOADED_STATES)))]
    for kek_id in needed:
        row = connection.execute(select(DataKey.wrapped).where(
            DataKey.kek_id == kek_id, DataKey.wrapped.is_not(None)).limit(1)).scalar()
        samples += [(kek_id, row)] if row else []
    for kek_id, wrapped in samples:
        try:
            provider.unwrap(kek_id, wrapped)
        except DecryptionFailed:
            raise KeyUnavailable(f"{kek_id} in {where} is not the key these data were wrapped "
                                 "under: restore the matching key backup") from None
    return needed


def restore_backup(settings: Settings, source: Path, actor: Actor) -> RestoreReport:
    """Restore `source` into the empty database of `settings`, then verify and audit it."""
    backend = "sqlite" if settings.is_sqlite else "postgresql"
    _check_source(source, backend)
    _ensure_empty(settings)
    if backend == "sqlite":
        target = _sqlite_path(settings.database_url)
        with _staging(target) as tmp:
            with sqlite3.connect(source) as src, sqlite3.connect(tmp) as dst:
                src.backup(dst)
            report = _verify_restored(settings, f"sqlite:///{tmp}")
    else:
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
              "--single-transaction", f"--dbname={_libpq_url(settings.database_url)}",
              str(source)], "pg_restore")
        try:
            report = _verify_restored(settings, settings.database_url)
        except RegistryError:
            _empty_postgres(settings.database_url)  # it was empty before: leave it so
            raise
    ctx = RegistryContext.open(settings)  # proves the keys unwrap the restored secrets
    try:
        with ctx.uow() as uow:
            uow.audit.append(actor, "backup.restore", object_type="backup",
                             object_id=_sha256(source)[:32],
                             details={"backend": backend, "audit_events": report.audit_events,
                                      "upgraded_from": report.upgraded_from})
            uow.commit()
    finally:
        ctx.close()
    return report


def _empty_postgres(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def _verify_restored(settings: Settings, url: str) -> RestoreReport:
    revision = migrate.current_revision(url)
    if revision is None:
        raise BackupFailed("the backup holds no registry schema (no alembic revision)")
    head = migrate.head_revision(url)
    if revision != head:
        migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            check = verify_chain(session)
            keks = _check_keys(settings, session.connection())
            if not session.scalar(select(func.count()).select_from(KeySecret)):
                raise BackupFailed("the backup holds no key secrets")
    finally:
        engine.dispose()
    return RestoreReport("sqlite" if url.startswith("sqlite") else "postgresql", check.events,
                         check.head.hex(), keks, None if revision == head else revision)
