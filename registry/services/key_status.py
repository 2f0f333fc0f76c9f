"""What keys are in use: KEKs and secret versions with counts per version, and rotations."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from registry.context import LOADED_STATES, RegistryContext
from registry.crypto import INDEX_PURPOSE
from registry.identity import BLOCKING_SCHEME
from registry.models import DataKey, KeyRotation, KeySecret, OfficialIndex
from registry.policy import NO_TARGET, Actor, Permission
from registry.services.keys import RotationView, rotation_as_view


@dataclass(frozen=True)
class KekUsage:
    kek_id: str
    active: bool
    available: bool
    data_keys: int
    secrets: int


@dataclass(frozen=True)
class SecretUsage:
    purpose: str
    version: int
    state: str
    kek_id: str
    index_rows: int | None
    blocking_scheme: int | None = None  # index versions only (`identity.BLOCKING_SCHEME`)

    @property
    def rebuild_due(self) -> bool:
        """A live index version built under an older blocking scheme (`keys rotate --index`)."""
        return (self.blocking_scheme is not None and self.state != "retired"
                and self.blocking_scheme < BLOCKING_SCHEME)


@dataclass(frozen=True)
class KeyStatus:
    keks: list[KekUsage]
    shredded_data_keys: int
    secrets: list[SecretUsage]
    rotations: list[RotationView]


def key_status(ctx: RegistryContext, actor: Actor, *, history: int = 5) -> KeyStatus:
    """KEKs and secret versions in use with counts per version; rotations under way or recent."""
    with ctx.uow() as uow:
        uow.require(actor, Permission.KEY_MANAGE, NO_TARGET, action="keys.status")
        s = uow.session
        keys = {kek: n for kek, n in s.execute(select(DataKey.kek_id, func.count()).where(
            DataKey.wrapped.is_not(None)).group_by(DataKey.kek_id))}
        shredded = s.scalar(select(func.count()).where(DataKey.wrapped.is_(None))) or 0
        secrets = s.scalars(select(KeySecret).order_by(KeySecret.purpose, KeySecret.version)).all()
        rows = {version: n for version, n in s.execute(
            select(OfficialIndex.key_version, func.count()).group_by(OfficialIndex.key_version))}
        available = ctx.provider.kek_ids()
        active = ctx.provider.active_kek_id() if available else ""
        in_use = {x.kek_id for x in secrets if x.state in LOADED_STATES}
        keks = [KekUsage(k, k == active, k in available, keys.get(k, 0),
                         sum(1 for x in secrets if x.kek_id == k and x.state in LOADED_STATES))
                for k in sorted(set(available) | set(keys) | in_use, key=_kek_order)]
        usages = [SecretUsage(x.purpose, x.version, x.state, x.kek_id,
                              *((rows.get(x.version, 0), x.blocking_scheme)
                                if x.purpose == INDEX_PURPOSE else (None, None)))
                  for x in secrets]
        recent = s.scalars(select(KeyRotation).order_by(KeyRotation.started_at.desc())
                           .limit(history)).all()
        return KeyStatus(keks, shredded, usages, [rotation_as_view(r) for r in recent])


def _kek_order(kek_id: str) -> tuple[str, int]:
    prefix, _, number = kek_id.rpartition("-")
    return (prefix, int(number)) if number.isdigit() else (kek_id, 0)

