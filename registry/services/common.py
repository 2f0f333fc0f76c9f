"""Lookups and checks shared by the services (no commits here)."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select

from registry.errors import Conflict, NotFound
from registry.models import Agency, Membership, Official, TaskForce, User
from registry.policy import Actor, Role, Target
from registry.uow import UnitOfWork

_ROLE_VALUES = frozenset(r.value for r in Role)


def parse_id(value: uuid.UUID | str, what: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"{what} {value!r} does not exist") from None


def agency_by_code(uow: UnitOfWork, code: str) -> Agency | None:
    return uow.session.scalar(select(Agency).where(Agency.code == code.strip().upper()))


def require_agency(uow: UnitOfWork, code: str) -> Agency:
    agency = agency_by_code(uow, code)
    if agency is None:
        raise NotFound(f"agency {code!r} does not exist")
    return agency


def load(uow: UnitOfWork, model: type, record_id: uuid.UUID | str, what: str) -> object:
    record = uow.session.get(model, parse_id(record_id, what))
    if record is None:
        raise NotFound(f"{what} {record_id} does not exist")
    return record


def load_official(uow: UnitOfWork, official_id: uuid.UUID | str) -> Official:
    official = load(uow, Official, official_id, "official")
    assert isinstance(official, Official)
    return official


def on_joint_task_force(uow: UnitOfWork, official_id: uuid.UUID) -> bool:
    """Whether the official currently serves on a joint task force (reciprocal vetting)."""
    query = select(
        exists().where(
            Membership.official_id == official_id,
            Membership.left_on.is_(None),
            Membership.task_force_id == TaskForce.id,
            TaskForce.joint.is_(True),
        )
    )
    return bool(uow.session.scalar(query))


def official_target(uow: UnitOfWork, official: Official) -> Target:
    return Target(
        country=official.country,
        joint_taskforce=on_joint_task_force(uow, official.id),
        agency_id=official.owner_agency_id,
    )


def check_version(current: int, expected: int | None, what: str) -> None:
    """Optimistic locking: refuse to save over a version the user did not see."""
    if expected is not None and expected != current:
        raise Conflict(
            f"{what} was changed by someone else (you edited version {expected}, "
            f"it is now at version {current}); reload it and apply your change again"
        )


def actor_for(user: User) -> Actor:
    agency = user.agency
    return Actor(
        user_id=user.id,
        username=user.username,
        agency_id=agency.id,
        agency_code=agency.code,
        country=agency.country,
        roles=frozenset(Role(r) for r in user.role_names if r in _ROLE_VALUES),
    )
