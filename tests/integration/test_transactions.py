"""A change and its audit event commit together or not at all; the log refuses rewrites."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from registry.context import RegistryContext
from registry.models import AuditEvent, Official
from registry.policy import Actor
from registry.services.officials import register_official
from registry.uow import AuditMissing, UnitOfWork
from tests.factories import World, person, register


class CrashBeforeCommit(UnitOfWork):
    """Flushes the change and its audit event, then fails before COMMIT."""

    def commit(self) -> None:
        self.session.flush()
        raise RuntimeError("power cut")


def _count(ctx: RegistryContext, model: type) -> int:
    with ctx.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_failure_before_commit_leaves_neither_change_nor_event(
    ctx: RegistryContext, world: World
) -> None:
    events_before = _count(ctx, AuditEvent)
    crashing = CrashBeforeCommit(ctx.session_factory, ctx.keyring, ctx.clock)
    with pytest.raises(RuntimeError, match="power cut"):
        register_official(crashing, world.mx_officer, person(0))
    assert _count(ctx, Official) == 0
    assert _count(ctx, AuditEvent) == events_before


def test_change_without_audit_event_cannot_commit(ctx: RegistryContext, operator: Actor) -> None:
    from registry.models import Agency

    with ctx.uow() as uow, pytest.raises(AuditMissing):
        uow.session.add(
            Agency(code="MX-X", name="x", country="MX", sector="police", level="federal")
        )
        uow.commit()
    with ctx.uow() as uow:
        assert uow.session.scalar(select(Agency).where(Agency.code == "MX-X")) is None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'tampered'",
        "DELETE FROM audit_events",
    ],
)
def test_database_refuses_rewriting_the_log(
    ctx: RegistryContext, world: World, statement: str
) -> None:
    register(ctx, world.mx_officer)
    with ctx.uow() as uow, pytest.raises(DBAPIError, match="append-only"):
        uow.session.execute(text(statement))


def test_events_chain_in_order(ctx: RegistryContext, world: World) -> None:
    from registry.audit.events import GENESIS_HASH, canonical_bytes, chain_hash

    register(ctx, world.mx_officer)
    with ctx.uow() as uow:
        events = list(uow.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        uow.session.expunge_all()
    previous = GENESIS_HASH
    for expected_seq, event in enumerate(events, start=events[0].seq):
        assert event.seq == expected_seq
        assert event.prev_hash == previous
        assert event.hash == chain_hash(previous, canonical_bytes(event))
        previous = event.hash
