"""Key rotation while the registry keeps serving, and the key status report.

`rotate_kek` re-wraps every data key and root secret under a new KEK, then retires the old
KEKs. `rotate_index` builds every official's blind-index rows under a new index secret, switches
lookups to it in one transaction, then removes the old rows and retires the old secret.

Both run in short batches in id order (one transaction each, which also reads the next batch)
so that other writers get in between, record their progress in `key_rotations` in the same
transaction as the work, and skip what is already done, so a run killed at any point is
finished by running it again. Batches are not audit events (there would be hundreds); the
start, any resume, the index switch, each retirement and the finish are. The index batches
themselves are built by `index_build`.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, exists, func, select, text, update
from sqlalchemy.orm import Session

from registry.context import (
    EXCLUSIVE_KEY_LOCK,
    LOADED_STATES,
    PG_KEY_LOCK,
    RegistryContext,
    sync_keyring,
)
from registry.crypto import INDEX_PURPOSE, Keyring
from registry.errors import Conflict, KeyUnavailable
from registry.models import DataKey, KeyRotation, KeySecret, Official, OfficialIndex
from registry.models.base import new_id
from registry.policy import NO_TARGET, Actor, Permission
from registry.services.index_build import (
    batch_end,
    build_pass,
    build_remaining,
    readable,
    within,
)
from registry.uow import UnitOfWork

BATCH_SIZE = 500
KEK, INDEX = "kek", "index"
RUNNING, SWITCHED, FINISHED = "running", "switched", "finished"

Progress = Callable[[int, int], None]
"""Called after each batch with (records done, records in total)."""


@dataclass(frozen=True)
class RotationView:
    id: uuid.UUID
    kind: str
    source: str
    target: str
    state: str
    total: int
    done: int
    started_at: dt.datetime
    started_by: str
    finished_at: dt.datetime | None


@dataclass(frozen=True)
class RotationReport:
    """What a `rotate_*` run did; `resumed` when it finished an interrupted rotation."""

    rotation: RotationView
    resumed: bool
    retired: tuple[str, ...]


def rotation_as_view(row: KeyRotation) -> RotationView:
    return RotationView(row.id, row.kind, row.source, row.target, row.state, row.total, row.done,
                        row.started_at, row.started_by, row.finished_at)


def _exclusive(uow: UnitOfWork) -> None:
    """Make this unit of work's transaction exclude every other one (PostgreSQL key lock)."""
    uow.session.info[EXCLUSIVE_KEY_LOCK] = True  # for any later transaction of this session
    connection = uow.session.connection()
    if connection.dialect.name == "postgresql":
        # Our own shared lock (taken when the transaction began) does not block this one.
        connection.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": PG_KEY_LOCK})
        sync_keyring(connection, uow.keyring)  # a fresh snapshot, after every other writer


def _unfinished(session: Session, kind: str) -> KeyRotation | None:
    return session.scalar(select(KeyRotation).where(KeyRotation.kind == kind,
                                                    KeyRotation.state != FINISHED))


def _start(ctx: RegistryContext, actor: Actor, kind: str,
           create: Callable[[UnitOfWork], KeyRotation]) -> tuple[RotationView, bool]:
    """Resume the unfinished rotation of this kind, or create one; both are audited."""
    with ctx.uow() as uow:
        _exclusive(uow)
        uow.require(actor, Permission.KEY_MANAGE, NO_TARGET, action=f"keys.rotate_{kind}")
        row = _unfinished(uow.session, kind)
        resumed = row is not None
        if row is None:
            row = create(uow)
            uow.session.add(row)
        uow.audit.append(actor, "keys.rotation_resume" if resumed else "keys.rotation_start",
                         object_type="key_rotation", object_id=row.id,
                         details={"kind": kind, "source": row.source, "target": row.target,
                                  "total": row.total, "done": row.done})
        uow.commit()
        return rotation_as_view(row), resumed


# --- KEK rotation -----------------------------------------------------------------------------


def _live_data_keys(not_under: str) -> Any:
    return select(DataKey.id, DataKey.kek_id, DataKey.wrapped).where(
        DataKey.kek_id != not_under, DataKey.wrapped.is_not(None))


def _new_kek_rotation(ctx: RegistryContext, actor: Actor) -> Callable[[UnitOfWork], KeyRotation]:
    def create(uow: UnitOfWork) -> KeyRotation:
        old = ctx.provider.kek_ids()
        target = ctx.provider.new_kek()
        total = uow.session.scalar(select(func.count()).select_from(
            _live_data_keys(target).subquery())) or 0
        return KeyRotation(id=new_id(), kind=KEK, source=",".join(old)[:200], target=target,
                           state=RUNNING, total=total, done=0, started_at=uow.clock(),
                           started_by=actor.username[:64])

    return create


def _keys_to_rewrap(session: Session, target: str, after: uuid.UUID | None,
                    size: int) -> Sequence[Any]:
    """The next `size` live data keys not under `target` after id `after`, in id order."""
    query = _live_data_keys(target).order_by(DataKey.id).limit(size)
    return session.execute(query if after is None else query.where(DataKey.id > after)).all()


def _rewrap_pass(ctx: RegistryContext, rotation_id: uuid.UUID, target: str, size: int,
                 on_batch: Callable[[int], None], pause: float) -> None:
    """Re-wrap under `target`, batch by batch in id order, every data key not under it.

    A batch is re-wrapped outside any transaction (an HSM takes a while); its write changes a
    row only if it still holds what was read, so a key shredded meanwhile stays shredded and
    nothing is wrapped twice. The write's transaction also reads the next batch: one
    transaction per batch, which matters where writers queue for one lock (SQLite).
    """
    provider, table = ctx.provider, cast(Table, DataKey.__table__)
    rewrap = (update(table)
              .where(table.c.id == bindparam("b_id"), table.c.kek_id == bindparam("b_kek"),
                     table.c.wrapped == bindparam("b_old"))
              .values(kek_id=target, wrapped=bindparam("b_new")))
    with ctx.session_factory() as session:
        rows = _keys_to_rewrap(session, target, None, size)
    while rows:
        params = [{"b_id": key_id, "b_kek": kek_id, "b_old": wrapped,
                   "b_new": provider.wrap(target, provider.unwrap(kek_id, wrapped))}
                  for key_id, kek_id, wrapped in rows]
        with ctx.session_factory() as session:
            session.execute(rewrap, params)
            session.execute(update(KeyRotation).where(KeyRotation.id == rotation_id)
                            .values(done=KeyRotation.done + len(rows)))
            following = _keys_to_rewrap(session, target, rows[-1][0], size)
            session.commit()
        on_batch(len(rows))
        rows = following
        if rows:
            time.sleep(pause)


def _kek_users(session: Session, kek_id: str) -> int:
    keys = session.scalar(select(func.count()).where(DataKey.kek_id == kek_id,
                                                     DataKey.wrapped.is_not(None))) or 0
    secrets = session.scalar(select(func.count()).where(KeySecret.kek_id == kek_id,
                                                        KeySecret.state.in_(LOADED_STATES))) or 0
    return keys + secrets


def _finish_kek(
    ctx: RegistryContext, actor: Actor, rotation_id: uuid.UUID
) -> tuple[str, ...] | None:
    """Re-wrap the root secrets, then retire every KEK no data uses; None if keys remain."""
    with ctx.uow() as uow:
        _exclusive(uow)  # waits for in-flight transactions, which may still use an old KEK
        uow.require(actor, Permission.KEY_MANAGE, NO_TARGET, action="keys.rotate_kek")
        row = uow.session.get(KeyRotation, rotation_id)
        assert row is not None
        if uow.session.scalar(select(exists(_live_data_keys(row.target)))):
            return None
        secrets = uow.session.scalars(select(KeySecret).where(
            KeySecret.kek_id != row.target, KeySecret.state.in_(LOADED_STATES))).all()
        for secret in secrets:
            value = ctx.provider.unwrap(secret.kek_id, secret.wrapped)
            secret.kek_id, secret.wrapped = row.target, ctx.provider.wrap(row.target, value)
        uow.session.flush()
        retired = []
        for kek_id in ctx.provider.kek_ids():
            if kek_id != row.target and _kek_users(uow.session, kek_id) == 0:
                ctx.provider.retire_kek(kek_id)
                retired.append(kek_id)
                uow.audit.append(actor, "keys.kek_retire", object_type="kek", object_id=kek_id,
                                 details={"rotation": str(row.id), "successor": row.target})
        row.state, row.finished_at = FINISHED, uow.clock()
        uow.audit.append(actor, "keys.rotation_finish", object_type="key_rotation",
                         object_id=row.id, details={"kind": KEK, "target": row.target,
                                                    "rewrapped": row.done,
                                                    "secrets_rewrapped": len(secrets),
                                                    "retired": retired})
        uow.commit()
        return tuple(retired)


def _counter(view: RotationView, progress: Progress | None) -> Callable[[int], None]:
    """What a pass calls after each batch: adds its count and reports progress."""
    done = view.done

    def on_batch(count: int) -> None:
        nonlocal done
        done += count
        if progress and count:
            progress(done, max(view.total, done))

    return on_batch


def rotate_kek(ctx: RegistryContext, actor: Actor, *, batch_size: int = BATCH_SIZE,
               progress: Progress | None = None, pause: float = 0.0) -> RotationReport:
    """Re-wrap every data key under a new KEK and retire the old ones (resumes a killed run).

    `pause` seconds between batches leave the server more room, at the cost of a longer run.
    """
    view, resumed = _start(ctx, actor, KEK, _new_kek_rotation(ctx, actor))
    on_batch = _counter(view, progress)
    while True:  # until no key is left under an old KEK, new ones written meanwhile included
        _rewrap_pass(ctx, view.id, view.target, batch_size, on_batch, pause)
        retired = _finish_kek(ctx, actor, view.id)
        if retired is not None:
            return RotationReport(rotation_view(ctx, view.id), resumed, retired)


# --- blind-index rotation ---------------------------------------------------------------------


def _new_index_rotation(ctx: RegistryContext, actor: Actor) -> Callable[[UnitOfWork], KeyRotation]:
    def create(uow: UnitOfWork) -> KeyRotation:
        versions = uow.session.execute(select(KeySecret.version, KeySecret.state).where(
            KeySecret.purpose == INDEX_PURPOSE)).all()
        current = max(v for v, state in versions if state == "active")
        target = max(v for v, _ in versions) + 1
        wrapped = Keyring.new_secret(ctx.provider)
        uow.session.add(KeySecret(purpose=INDEX_PURPOSE, version=target, kek_id=wrapped.kek_id,
                                  wrapped=wrapped.wrapped, state="building",
                                  created_at=uow.clock()))
        total = uow.session.scalar(select(func.count()).select_from(Official)
                                   .join(Official.data_key).where(readable())) or 0
        return KeyRotation(id=new_id(), kind=INDEX, source=str(current), target=str(target),
                           state=RUNNING, total=total, done=0, started_at=uow.clock(),
                           started_by=actor.username[:64])

    return create


def _switch_index(ctx: RegistryContext, actor: Actor, rotation_id: uuid.UUID, size: int) -> None:
    """Index what writers changed meanwhile, then make the new version the one lookups use."""
    with ctx.uow() as uow:
        _exclusive(uow)
        uow.require(actor, Permission.KEY_MANAGE, NO_TARGET, action="keys.rotate_index")
        sync_keyring(uow.session.connection(), ctx.keyring)
        row = uow.session.get(KeyRotation, rotation_id)
        assert row is not None
        target = int(row.target)
        late = build_remaining(uow.session, ctx.keyring, target, size)
        for secret in uow.session.scalars(select(KeySecret).where(
                KeySecret.purpose == INDEX_PURPOSE, KeySecret.state.in_(("active", "building")))):
            secret.state = "active" if secret.version == target else "retiring"
        row.state, row.done = SWITCHED, row.done + late
        uow.audit.append(actor, "keys.index_switch", object_type="key_rotation", object_id=row.id,
                         details={"from": row.source, "to": row.target, "indexed_at_switch": late})
        uow.commit()


def _drop_old_rows(ctx: RegistryContext, target: int, after: uuid.UUID | None,
                   size: int) -> uuid.UUID | None:
    """Delete the other versions' rows of the `size` officials after id `after`; returns where
    the next batch starts (None after the last)."""
    table = cast(Table, OfficialIndex.__table__)
    with ctx.session_factory() as session:
        last = batch_end(session, after, size)
        session.connection().execute(delete(table).where(
            table.c.key_version != target, *within(table.c.official_id, after, last)))
        session.commit()
        return last


def _retire_index_secrets(
    ctx: RegistryContext, actor: Actor, rotation_id: uuid.UUID
) -> tuple[str, ...]:
    with ctx.uow() as uow:
        _exclusive(uow)
        uow.require(actor, Permission.KEY_MANAGE, NO_TARGET, action="keys.rotate_index")
        row = uow.session.get(KeyRotation, rotation_id)
        assert row is not None
        retired = []
        for secret in uow.session.scalars(select(KeySecret).where(
                KeySecret.purpose == INDEX_PURPOSE, KeySecret.state == "retiring")):
            in_use = uow.session.scalar(select(exists().where(
                OfficialIndex.key_version == secret.version)))
            if in_use:
                raise Conflict(f"index rows of version {secret.version} remain; run again")
            secret.state, secret.wrapped, secret.retired_at = "retired", b"", uow.clock()
            retired.append(f"{INDEX_PURPOSE}-{secret.version}")
            uow.audit.append(actor, "keys.secret_retire", object_type="key_secret",
                             object_id=f"{INDEX_PURPOSE}-{secret.version}",
                             details={"rotation": str(row.id), "successor": row.target})
        row.state, row.finished_at = FINISHED, uow.clock()
        uow.audit.append(actor, "keys.rotation_finish", object_type="key_rotation",
                         object_id=row.id, details={"kind": INDEX, "target": row.target,
                                                    "indexed": row.done, "retired": retired})
        uow.commit()
        return tuple(retired)


def rotate_index(ctx: RegistryContext, actor: Actor, *, batch_size: int = BATCH_SIZE,
                 progress: Progress | None = None, pause: float = 0.0) -> RotationReport:
    """Rebuild the blind index under a new secret, switch atomically, retire the old secret.

    `pause` seconds between batches leave the server more room, at the cost of a longer run.
    """
    view, resumed = _start(ctx, actor, INDEX, _new_index_rotation(ctx, actor))
    target, on_batch = int(view.target), _counter(view, progress)
    if view.state == RUNNING:
        for _ in range(2):  # the second pass picks up officials written during the first
            build_pass(ctx, view.id, target, batch_size, on_batch, pause)
        _switch_index(ctx, actor, view.id, batch_size)
    last = _drop_old_rows(ctx, target, None, batch_size)
    while last is not None:
        last = _drop_old_rows(ctx, target, last, batch_size)
    retired = _retire_index_secrets(ctx, actor, view.id)
    return RotationReport(rotation_view(ctx, view.id), resumed, retired)


# --- status -----------------------------------------------------------------------------------


def rotation_view(ctx: RegistryContext, rotation_id: uuid.UUID) -> RotationView:
    with ctx.session_factory() as session:
        row = session.get(KeyRotation, rotation_id)
        if row is None:
            raise KeyUnavailable(f"rotation {rotation_id} not found")
        return rotation_as_view(row)
