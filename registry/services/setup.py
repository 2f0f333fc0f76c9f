"""First run: migrate the schema, create the key file and the wrapped root secrets."""

from __future__ import annotations

from dataclasses import dataclass

from registry.audit.events import AuditWriter
from registry.config import Settings
from registry.context import ensure_key_secrets, make_key_provider
from registry.db import make_engine, make_session_factory
from registry.migrate import upgrade
from registry.models.base import utcnow
from registry.policy import Actor


@dataclass(frozen=True)
class InitReport:
    key_file_created: bool
    secrets_created: tuple[str, ...]


def initialise(settings: Settings, actor: Actor | None = None) -> InitReport:
    """Idempotent: safe to run on every start (`make run` does)."""
    actor = actor or Actor.system_operator()
    key_file_existed = settings.key_file is not None and settings.key_file.exists()
    upgrade(settings.database_url)
    provider = make_key_provider(settings, create=True)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            created = ensure_key_secrets(session, provider)
            if created:
                AuditWriter(session, utcnow).append(
                    actor,
                    "keys.init",
                    object_type="key_secret",
                    details={"purposes": created, "kek": provider.active_kek_id()},
                )
            session.commit()
    finally:
        engine.dispose()
    created_file = settings.key_provider == "file" and not key_file_existed
    return InitReport(created_file, tuple(created))
