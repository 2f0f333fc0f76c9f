"""Unit of work: one session, one transaction, explicit commit, rollback by default."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session, sessionmaker

from registry.audit.events import AuditWriter, DetailValue
from registry.crypto import Keyring
from registry.errors import PermissionDenied
from registry.models.base import utcnow
from registry.models.enums import AuditOutcome
from registry.policy import Actor, Permission, Target, can
from registry.vault import Vault

if TYPE_CHECKING:
    from registry.workers import WorkerPool


class AuditMissing(RuntimeError):
    """A use case tried to commit a change without recording its audit event."""


def _mark_changed(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        session.info["changed"] = True


class UnitOfWork:
    """Opens a session per `with` block; services call `commit()` exactly once."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        keyring: Keyring,
        clock: Callable[[], dt.datetime] = utcnow,
        workers: WorkerPool | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.keyring = keyring
        self.clock = clock
        self.workers = workers  # for services that split CPU-bound reads across cores

    @property
    def bind(self) -> Engine | Connection:
        """What its sessions run on, without opening a transaction."""
        return cast(Engine | Connection, self._session_factory.kw["bind"])

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        event.listen(self.session, "before_flush", _mark_changed)
        # Begin now: the transaction's first act syncs the process's keys (a rotation may have
        # switched them), and keyed lookups computed before any SQL must see that state.
        self.session.connection()
        self.vault = Vault(self.session, self.keyring)
        self.audit = AuditWriter(self.session, self.clock)
        self._committed = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        """Commit the change together with its audit events; refuse a change left unaudited."""
        self.session.flush()
        if self.session.info.get("changed") and self.audit.appended == 0:
            raise AuditMissing("a change must be committed with its audit event")
        self.session.commit()
        self._committed = True
        self.audit.committed()

    def rollback(self) -> None:
        self.session.rollback()

    def today(self) -> dt.date:
        return self.clock().date()

    def require(
        self,
        actor: Actor,
        permission: Permission,
        target: Target,
        *,
        action: str,
        object_type: str | None = None,
        object_id: object = None,
        details: dict[str, DetailValue] | None = None,
    ) -> None:
        """Ask policy; on refusal, audit the denied attempt (committed alone) and raise."""
        if can(actor, permission, target):
            return
        self.session.rollback()
        self.audit = AuditWriter(self.session, self.clock)
        self.audit.append(
            actor,
            action,
            object_type=object_type,
            object_id=str(object_id) if object_id is not None else None,
            outcome=AuditOutcome.DENIED,
            details={"permission": str(permission), **(details or {})},
        )
        self.commit()
        raise PermissionDenied(f"not permitted: {permission}")
