"""Appending goes to the driver directly; the rows and the chain are what the ORM path made."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import uuid

import pytest
from sqlalchemy import insert, select, text

from registry.audit.events import AuditWriter
from registry.audit.log import event_count
from registry.audit.scan import scan
from registry.audit.verify import TrustAnchors, verify_history
from registry.config import Settings
from registry.context import RegistryContext
from registry.models.audit import AuditEvent
from registry.policy import Actor
from tests.factories import World

_STORED = text("SELECT id, occurred_at, actor_user_id, actor_agency, details, prev_hash, hash "
               "FROM audit_events WHERE seq = :seq")


def test_rows_are_stored_exactly_as_the_orm_stores_them(ctx: RegistryContext,
                                                        world: World) -> None:
    # Whole seconds: the stored time must still carry ".000000" as SQLAlchemy writes it.
    moment = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    actor = world.actor("MX", "vetting_officer")
    with ctx.uow() as uow:
        writer = AuditWriter(uow.session, lambda: moment)
        writer.append(actor, "test.stored", object_type="official", object_id="x",
                      details={"n": 1})
        seq = int(uow.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()))
                  or 0)
        mine = uow.session.execute(_STORED, {"seq": seq}).one()
        # The same values through SQLAlchemy's own binding, in this transaction only.
        twin = {c.key: getattr(uow.session.get(AuditEvent, seq), c.key)
                for c in AuditEvent.__table__.columns}
        twin_id = uuid.uuid4()
        twin.update(seq=seq + 1, id=twin_id)
        uow.session.execute(insert(AuditEvent), twin)
        orms = uow.session.execute(_STORED, {"seq": seq + 1}).one()
        assert mine[1:] == orms[1:]
        # Ids in the same form (32 hex digits on SQLite, uuid on PostgreSQL).
        assert type(mine[0]) is type(orms[0])
        assert str(orms[0]).replace("-", "") == twin_id.hex
        stored = uow.session.get(AuditEvent, seq)
        assert stored is not None
        assert (stored.occurred_at, stored.actor_user_id) == (moment, actor.user_id)


def _append(context: RegistryContext, actor: Actor, n: int, errors: list[BaseException],
            tag: str) -> None:
    try:
        for i in range(n):
            with context.uow() as uow:
                uow.audit.append(actor, "test.concurrent", object_id=f"{tag}-{i}",
                                 details={"i": i})
                if i % 5 == 0:  # two events in one transaction
                    uow.audit.append(actor, "test.concurrent", object_id=f"{tag}-{i}b")
                if i % 7 == 3:  # appended, then rolled back: leaves no trace in the chain
                    continue
                uow.commit()
    except BaseException as exc:
        errors.append(exc)
        raise


def _check_chain(context: RegistryContext) -> int:
    with context.engine.connect() as connection:
        size = event_count(connection)
        report = verify_history(scan(connection), [], TrustAnchors("o", "k"))
        seqs = connection.execute(text("SELECT seq FROM audit_events ORDER BY seq")).scalars()
        assert list(seqs) == list(range(1, size + 1))
    assert report.ok, report.problems[:3]
    assert report.events == size
    return size


def test_concurrent_writers_in_two_processes_keep_one_chain(instance: Settings) -> None:
    # Two contexts stand for two server processes: each remembers its own last head, which
    # the other keeps moving, so appends run both on a right and on a stale guess.
    contexts = [RegistryContext.open(instance) for _ in range(2)]
    try:
        actor = Actor.system_operator("tests")
        before = _check_chain(contexts[0])
        errors: list[BaseException] = []
        threads = [threading.Thread(target=_append, args=(contexts[i % 2], actor, 20, errors,
                                                            f"t{i}"))
                   for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors, errors
        per_thread = sum(1 + (i % 5 == 0) for i in range(20) if i % 7 != 3)
        assert _check_chain(contexts[0]) == before + 4 * per_thread
    finally:
        for context in contexts:
            context.close()


def test_appends_in_turn_from_two_processes(instance: Settings) -> None:
    first, second = RegistryContext.open(instance), RegistryContext.open(instance)
    try:
        actor = Actor.system_operator("tests")
        start = _check_chain(first)
        for context in (first, first, second, first, second, second, first):
            with context.uow() as uow:
                uow.audit.append(actor, "test.turn")
                uow.commit()
        assert _check_chain(first) == start + 7
        # A clock that is not UTC-aware is refused, as the ORM column refuses it.
        naive = dataclasses.replace(first, clock=lambda: dt.datetime(2026, 1, 1))
        with naive.uow() as uow, pytest.raises(ValueError, match="naive"):
            uow.audit.append(actor, "test.naive")
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize(
    "details",
    [{"nested": {"action": "entry.create"}}, {"items": [{"seq": 1}]}, {"deep": [[1]]}],
)
def test_details_that_nest_objects_are_refused(ctx: RegistryContext, details: dict) -> None:
    """Readers embed stored details verbatim: an object inside them could mimic event fields."""
    with ctx.uow() as uow, pytest.raises(ValueError, match="lists of them"):
        uow.audit.append(Actor.system_operator("tests"), "test.nested", details=details)
