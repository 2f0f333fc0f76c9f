"""The registry as a running system: settings, engine, keys, and units of work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, event, select, text
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from registry.config import Settings
from registry.crypto import (
    INDEX_PURPOSE,
    PURPOSES,
    FileKeyProvider,
    KeyProvider,
    Keyring,
    WrappedKey,
)
from registry.db import make_engine, make_session_factory
from registry.errors import KeyUnavailable
from registry.models.base import utcnow
from registry.models.keys import KeySecret
from registry.uow import UnitOfWork
from registry.workers import WorkerPool


def make_key_provider(settings: Settings, *, create: bool = False) -> KeyProvider:
    """The configured KEK holder: the key file by default, a PKCS#11 token in production."""
    if settings.key_provider == "pkcs11":
        from registry.crypto.pkcs11 import Pkcs11KeyProvider

        provider = Pkcs11KeyProvider.from_env()
        if create:
            provider.ensure_kek()
        return provider
    if settings.key_provider != "file":
        raise KeyUnavailable(
            f"VETREG_KEY_PROVIDER must be 'file' or 'pkcs11', not {settings.key_provider!r}"
        )
    assert settings.key_file is not None
    if create:
        return FileKeyProvider.open_or_create(settings.key_file)[0]
    return FileKeyProvider(settings.key_file)


# Secrets a process keeps in memory: the one in use, one being built, one being phased out.
LOADED_STATES = ("active", "building", "retiring")
# Arbitrary constant naming the key-state lock on PostgreSQL (see `install_key_sync`).
PG_KEY_LOCK = 0x7665747265670002
# `session.info` flag: this session's transactions take the key-state lock exclusively.
EXCLUSIVE_KEY_LOCK = "vetreg_exclusive_key_lock"


@dataclass(frozen=True)
class _StoredSecrets:
    secrets: dict[str, dict[int, bytes]]
    active: dict[str, int]
    marker: tuple[tuple[str, int, str], ...]
    index_schemes: dict[int, int]


def _read_secrets(rows: Any, provider: KeyProvider, known: Keyring | None = None) -> _StoredSecrets:
    secrets: dict[str, dict[int, bytes]] = {}
    active: dict[str, int] = {}
    marker = []
    schemes: dict[int, int] = {}
    for purpose, version, state, kek_id, wrapped, scheme in rows:
        if state not in LOADED_STATES:
            continue
        marker.append((purpose, version, state))
        value = known.secrets.get(purpose, {}).get(version) if known else None
        secrets.setdefault(purpose, {})[version] = value or provider.unwrap(kek_id, wrapped)
        if state == "active":
            active[purpose] = max(active.get(purpose, 0), version)
        if purpose == INDEX_PURPOSE:
            schemes[version] = scheme
    return _StoredSecrets(secrets, active, tuple(sorted(marker)), schemes)


# Built once: every transaction runs it (see `sync_keyring`).
_SECRETS_SQL = select(
    KeySecret.purpose,
    KeySecret.version,
    KeySecret.state,
    KeySecret.kek_id,
    KeySecret.wrapped,
    KeySecret.blocking_scheme,
)


def load_keyring(session: Session, provider: KeyProvider) -> Keyring:
    """Unwrap the stored root secrets; refuses to start without them."""
    rows = session.execute(_SECRETS_SQL).all()
    stored = _read_secrets(rows, provider)
    missing = [p for p in PURPOSES if p not in stored.active]
    if missing:
        raise KeyUnavailable(f"key secrets missing ({', '.join(missing)}); run 'vetreg init' first")
    return Keyring(provider, stored.secrets, stored.active, marker=stored.marker,
                   index_schemes=stored.index_schemes)


def sync_keyring(connection: Connection, keyring: Keyring) -> None:
    """Bring the process's keyring up to the stored secrets (a rotation may have switched them).

    On PostgreSQL the transaction first takes the key-state lock shared, so a rotation step
    that takes it exclusively (an index batch, the switch) never interleaves with it.
    """
    if connection.dialect.name == "postgresql":
        # Its own statement: under READ COMMITTED the SELECT below then takes its snapshot
        # after the lock is granted, so it sees a switch that committed while we waited.
        connection.execute(
            text("SELECT pg_advisory_xact_lock_shared(:lock)"), {"lock": PG_KEY_LOCK}
        )
    rows = connection.execute(_SECRETS_SQL).all()
    current = tuple(sorted((r[0], r[1], r[2]) for r in rows if r[2] in LOADED_STATES))
    if current != keyring.marker:
        stored = _read_secrets(rows, keyring.provider, keyring)
        if all(p in stored.active for p in PURPOSES):
            keyring.replace(stored.secrets, stored.active, stored.marker, stored.index_schemes)


def install_key_sync(factory: sessionmaker[Session], keyring: Keyring) -> None:
    """Every transaction of `factory` starts by syncing the keyring (see `sync_keyring`)."""

    @event.listens_for(factory, "after_begin")
    def _on_begin(session: Session, _tx: SessionTransaction, connection: Connection) -> None:
        if session.info.get(EXCLUSIVE_KEY_LOCK) and connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": PG_KEY_LOCK})
        sync_keyring(connection, keyring)


def ensure_key_secrets(session: Session, provider: KeyProvider) -> list[str]:
    """Create the root secrets that do not exist yet; returns the purposes created."""
    present = set(session.scalars(select(KeySecret.purpose)).all())
    created = []
    for purpose in PURPOSES:
        if purpose not in present:
            wrapped: WrappedKey = Keyring.new_secret(provider)
            session.add(
                KeySecret(
                    purpose=purpose, version=1, kek_id=wrapped.kek_id, wrapped=wrapped.wrapped
                )
            )
            created.append(purpose)
    return created


@dataclass
class RegistryContext:
    """What adapters hold on to: build once per process with `open()`."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    provider: KeyProvider
    keyring: Keyring
    clock: Callable[[], dt.datetime] = utcnow
    workers: WorkerPool | None = None  # shares of large screening batches (`registry.workers`)

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        engine: Engine | None = None,
    ) -> RegistryContext:
        engine = engine or make_engine(settings.database_url)
        factory = make_session_factory(engine)
        provider = make_key_provider(settings)
        with factory() as session:
            keyring = load_keyring(session, provider)
        install_key_sync(factory, keyring)
        workers = (
            WorkerPool(settings, settings.screening_workers) if settings.screening_workers else None
        )
        return cls(settings, engine, factory, provider, keyring, clock, workers)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory, self.keyring, self.clock, self.workers)

    def close(self) -> None:
        if self.workers is not None:
            self.workers.close()
        self.engine.dispose()
