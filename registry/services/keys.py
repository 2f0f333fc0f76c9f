"""Key rotation while the registry keeps serving, and the key status report.

`rotate_kek` re-wraps every data key and root secret under a new KEK, then retires the old
KEKs. `rotate_index` builds every official's blind-index rows under a new index secret, switches
lookups to it in one transaction, then removes the old rows and retires the old secret.

Both run in short batches (one transaction each) so that other writers get in between, record
their progress in `key_rotations` in the same transaction as the work, and skip what is already
done, so a run killed at any point is finished by running it again. Batches are not audit events
(there would be hundreds); the start, any resume, the index switch, each retirement and the
finish are.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, exists, func, insert, select, text, update
from sqlalchemy.orm import Session, contains_eager

from registry.context import (
    EXCLUSIVE_KEY_LOCK,
    LOADED_STATES,
    PG_KEY_LOCK,
    RegistryContext,
    sync_keyring,
)
from registry.crypto import INDEX_PURPOSE, Keyring
from registry.errors import Conflict, KeyUnavailable
from registry.identity import Identity, blocking_keys, normalise
from registry.models import DataKey, KeyRotation, KeySecret, Official, OfficialIndex
from registry.models.base import new_id
from registry.policy import NO_TARGET, Actor, Permission
from registry.uow import UnitOfWork
from registry.vault import Vault, text_date

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


def _rewrap_batch(ctx: RegistryContext, rotation_id: uuid.UUID, target: str, size: int) -> int:
    """Re-wrap up to `size` data keys under `target`.

    The keys are read in one short transaction and re-wrapped outside any (an HSM takes a
    while); the write changes a row only if it still holds what was read, so a key shredded
    meanwhile stays shredded and nothing is wrapped twice.
    """
    provider, table = ctx.provider, cast(Table, DataKey.__table__)
    with ctx.session_factory() as session:
        rows = session.execute(_live_data_keys(target).order_by(DataKey.id).limit(size)).all()
    if not rows:
        return 0
    params = [{"b_id": key_id, "b_kek": kek_id, "b_old": wrapped,
               "b_new": provider.wrap(target, provider.unwrap(kek_id, wrapped))}
              for key_id, kek_id, wrapped in rows]
    with ctx.session_factory() as session:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.kek_id == bindparam("b_kek"),
                   table.c.wrapped == bindparam("b_old"))
            .values(kek_id=target, wrapped=bindparam("b_new")),
            params,
        )
        session.execute(update(KeyRotation).where(KeyRotation.id == rotation_id)
                        .values(done=KeyRotation.done + len(rows)))
        session.commit()
    return len(rows)


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


def rotate_kek(ctx: RegistryContext, actor: Actor, *, batch_size: int = BATCH_SIZE,
               progress: Progress | None = None, pause: float = 0.0) -> RotationReport:
    """Re-wrap every data key under a new KEK and retire the old ones (resumes a killed run).

    `pause` seconds between batches leave the server more room, at the cost of a longer run.
    """
    view, resumed = _start(ctx, actor, KEK, _new_kek_rotation(ctx, actor))
    done = view.done
    while True:
        while count := _rewrap_batch(ctx, view.id, view.target, batch_size):
            done += count
            if progress:
                progress(done, max(view.total, done))
            time.sleep(pause)
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
        total = uow.session.scalar(select(func.count()).select_from(_indexable().subquery())) or 0
        return KeyRotation(id=new_id(), kind=INDEX, source=str(current), target=str(target),
                           state=RUNNING, total=total, done=0, started_at=uow.clock(),
                           started_by=actor.username[:64])

    return create


def _indexable() -> Any:
    """Officials whose identity can still be read (shredded ones have no index rows)."""
    return (select(Official).join(Official.data_key).where(DataKey.wrapped.is_not(None))
            .options(contains_eager(Official.data_key)))


def identity_of(vault: Vault, official: Official) -> Identity:
    """The official's identity, decrypted in memory for indexing."""
    v = vault.open_all(official)
    return Identity(v["given_names"] or "", v["paternal_surname"], v["maternal_surname"],
                    text_date(v["birth_date"]), v["sex"], v["curp"])


def _missing(version: int) -> Any:
    return ~exists().where(OfficialIndex.official_id == Official.id,
                           OfficialIndex.key_version == version)


def _index_rows(keyring: Keyring, vault: Vault, officials: Sequence[Official],
                version: int) -> list[dict[str, Any]]:
    """The blind-index rows of `officials` under `version` (computed in memory)."""
    rows = []
    for official in officials:
        vault.remember(official.data_key)
        digests = {(kind, keyring.blind_index(kind, parts, version))
                   for kind, parts in blocking_keys(normalise(identity_of(vault, official)))}
        rows += [{"official_id": official.id, "kind": kind, "key_version": version,
                  "digest": digest} for kind, digest in sorted(digests)]
    return rows


def _insert(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(cast(Table, OfficialIndex.__table__)), rows)


def _build(session: Session, keyring: Keyring, version: int, after: uuid.UUID | None,
           size: int) -> tuple[int, uuid.UUID | None]:
    """Index up to `size` officials lacking rows of `version`, after id `after` (in id order)."""
    query = _indexable().where(_missing(version)).order_by(Official.id).limit(size)
    if after is not None:
        query = query.where(Official.id > after)
    officials = session.scalars(query).unique().all()
    if not officials:
        return 0, None
    _insert(session, _index_rows(keyring, Vault(session, keyring), officials, version))
    return len(officials), officials[-1].id


def _build_batch(ctx: RegistryContext, rotation_id: uuid.UUID, version: int,
                 after: uuid.UUID | None, size: int) -> tuple[int, uuid.UUID | None]:
    """Index one batch: read, compute outside any transaction, then write what is unchanged.

    The write transaction excludes every other one (on SQLite all do; on PostgreSQL through
    the key lock), so an official re-indexed by a writer since the read is seen by its version
    and left for the catch-up pass, never indexed from its old identity.
    """
    with ctx.session_factory() as session:
        sync_keyring(session.connection(), ctx.keyring)
        query = _indexable().where(_missing(version)).order_by(Official.id).limit(size)
        if after is not None:
            query = query.where(Official.id > after)
        officials = session.scalars(query).unique().all()
        session.expunge_all()  # keep the loaded rows; end the transaction before the work
    if not officials:
        return 0, None
    read = {o.id: o.version for o in officials}
    rows = _index_rows(ctx.keyring, Vault(session, ctx.keyring), officials, version)
    with ctx.session_factory(info={EXCLUSIVE_KEY_LOCK: True}) as session:
        current = (select(Official.id, Official.version).join(Official.data_key)
                   .where(Official.id.in_(read), DataKey.wrapped.is_not(None), _missing(version)))
        unchanged = {i for i, v in session.execute(current) if read[i] == v}  # not shredded
        _insert(session, [r for r in rows if r["official_id"] in unchanged])
        session.execute(update(KeyRotation).where(KeyRotation.id == rotation_id)
                        .values(done=KeyRotation.done + len(unchanged)))
        session.commit()
    return len(unchanged), officials[-1].id


def _switch_index(ctx: RegistryContext, actor: Actor, rotation_id: uuid.UUID, size: int) -> None:
    """Index what writers changed meanwhile, then make the new version the one lookups use."""
    with ctx.uow() as uow:
        _exclusive(uow)
        uow.require(actor, Permission.KEY_MANAGE, NO_TARGET, action="keys.rotate_index")
        sync_keyring(uow.session.connection(), ctx.keyring)
        row = uow.session.get(KeyRotation, rotation_id)
        assert row is not None
        target, late, after = int(row.target), 0, None
        while True:
            count, after = _build(uow.session, ctx.keyring, target, after, size)
            late += count
            if after is None:
                break
        for secret in uow.session.scalars(select(KeySecret).where(
                KeySecret.purpose == INDEX_PURPOSE, KeySecret.state.in_(("active", "building")))):
            secret.state = "active" if secret.version == target else "retiring"
        row.state, row.done = SWITCHED, row.done + late
        uow.audit.append(actor, "keys.index_switch", object_type="key_rotation", object_id=row.id,
                         details={"from": row.source, "to": row.target, "indexed_at_switch": late})
        uow.commit()


def _drop_old_rows(ctx: RegistryContext, target: int, size: int) -> int:
    with ctx.session_factory() as session:
        owners = (select(OfficialIndex.official_id).where(OfficialIndex.key_version != target)
                  .distinct().limit(size))
        result = session.execute(delete(OfficialIndex).where(
            OfficialIndex.key_version != target,
            OfficialIndex.official_id.in_(owners.scalar_subquery())))
        session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


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
    target, done = int(view.target), view.done
    if view.state == RUNNING:
        for _ in range(2):  # the second pass picks up officials written during the first
            after: uuid.UUID | None = None
            while True:
                count, after = _build_batch(ctx, view.id, target, after, batch_size)
                done += count
                if progress and count:
                    progress(done, max(view.total, done))
                if after is None:
                    break
                time.sleep(pause)
        _switch_index(ctx, actor, view.id, batch_size)
    while _drop_old_rows(ctx, target, batch_size):
        pass
    retired = _retire_index_secrets(ctx, actor, view.id)
    return RotationReport(rotation_view(ctx, view.id), resumed, retired)


# --- status -----------------------------------------------------------------------------------


def rotation_view(ctx: RegistryContext, rotation_id: uuid.UUID) -> RotationView:
    with ctx.session_factory() as session:
        row = session.get(KeyRotation, rotation_id)
        if row is None:
            raise KeyUnavailable(f"rotation {rotation_id} not found")
        return rotation_as_view(row)
