"""The registry as a running system: settings, engine, keys, and units of work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from registry.config import Settings
from registry.crypto import PURPOSES, FileKeyProvider, KeyProvider, Keyring, WrappedKey
from registry.db import make_engine, make_session_factory
from registry.errors import KeyUnavailable
from registry.models.base import utcnow
from registry.models.keys import KeySecret
from registry.uow import UnitOfWork


def make_key_provider(settings: Settings, *, create: bool = False) -> KeyProvider:
    """The configured KEK holder: the key file by default, a PKCS#11 token in production."""
    if settings.key_provider == "pkcs11":
        from registry.crypto.pkcs11 import Pkcs11KeyProvider

        return Pkcs11KeyProvider.from_env()
    if settings.key_provider != "file":
        raise KeyUnavailable(f"VETREG_KEY_PROVIDER must be 'file' or 'pkcs11', not {settings.key_provider!r}")
    assert settings.key_file is not None
    if create:
        return FileKeyProvider.open_or_create(settings.key_file)[0]
    return FileKeyProvider(settings.key_file)


def load_keyring(session: Session, provider: KeyProvider) -> Keyring:
    """Unwrap the stored root secrets; refuses to start without them."""
    rows = session.scalars(select(KeySecret).where(KeySecret.state != "destroyed")).all()
    secrets: dict[str, dict[int, bytes]] = {}
    active: dict[str, int] = {}
    for row in rows:
        secrets.setdefault(row.purpose, {})[row.version] = provider.unwrap(
            row.kek_id, row.wrapped
        )
        if row.state == "active":
            active[row.purpose] = max(active.get(row.purpose, 0), row.version)
    missing = [p for p in PURPOSES if p not in active]
    if missing:
        raise KeyUnavailable(
            f"key secrets missing ({', '.join(missing)}); run 'vetreg init' first"
        )
    return Keyring(provider, secrets, active)


def ensure_key_secrets(session: Session, provider: KeyProvider) -> list[str]:
    """Create the root secrets that do not exist yet; returns the purposes created."""
    present = set(session.scalars(select(KeySecret.purpose)).all())
    created = []
    for purpose in PURPOSES:
        if purpose not in present:
            wrapped: WrappedKey = Keyring.new_secret(provider)
            session.add(
                KeySecret(purpose=purpose, version=1, kek_id=wrapped.kek_id, wrapped=wrapped.wrapped)
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

    @classmethod
    def open(
        cls, settings: Settings, *, clock: Callable[[], dt.datetime] = utcnow, engine: Engine | None = None
    ) -> RegistryContext:
        engine = engine or make_engine(settings.database_url)
        factory = make_session_factory(engine)
        provider = make_key_provider(settings)
        with factory() as session:
            keyring = load_keyring(session, provider)
        return cls(settings, engine, factory, provider, keyring, clock)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory, self.keyring, self.clock)

    def close(self) -> None:
        self.engine.dispose()
