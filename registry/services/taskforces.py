"""Task forces and their rosters (members of either country, any rank)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import exists, func, or_, select

from registry.errors import Conflict, NotFound, ValidationFailed
from registry.models import (
    Agency,
    Membership,
    Official,
    OverrideRequest,
    RecertSchedule,
    RegistryEntry,
    Suspension,
    SuspensionReason,
    TaskForce,
)
from registry.models.base import new_id
from registry.models.enums import AuditOutcome, Country, TaskForceStatus
from registry.policy import NO_TARGET, Actor, Permission, Target
from registry.services import compliance, recertification
from registry.services.common import load, load_official
from registry.services.validation import Problems
from registry.uow import UnitOfWork

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,31}$")


@dataclass(frozen=True)
class MemberView:
    membership_id: uuid.UUID
    official_id: uuid.UUID
    official_country: Country
    role: str
    senior: bool
    joined_on: dt.date
    left_on: dt.date | None


@dataclass(frozen=True)
class TaskForceView:
    id: uuid.UUID
    code: str
    name: str
    host_country: Country
    lead_agency: str
    joint: bool
    status: TaskForceStatus
    funding_suspended: bool
    members: tuple[MemberView, ...]


def task_force_target(task_force: TaskForce) -> Target:
    return Target(
        country=task_force.host_country,
        joint_taskforce=task_force.joint,
        agency_id=task_force.lead_agency_id,
    )


def load_task_force(uow: UnitOfWork, task_force_id: uuid.UUID | str) -> TaskForce:
    """By id, or by code (e.g. JTF-NORTE)."""
    if isinstance(task_force_id, str) and _CODE.match(task_force_id.strip().upper()):
        by_code = uow.session.scalar(
            select(TaskForce).where(TaskForce.code == task_force_id.strip().upper())
        )
        if by_code is not None:
            return by_code
    record = load(uow, TaskForce, task_force_id, "task force")
    assert isinstance(record, TaskForce)
    return record


def create_task_force(
    uow: UnitOfWork, actor: Actor, *, code: str, name: str, joint: bool = True
) -> uuid.UUID:
    """Create a unit led by the officer's agency; joint units admit both countries' members."""
    with uow:
        uow.require(actor, Permission.TASKFORCE_MANAGE, NO_TARGET, action="taskforce.create")
        problems = Problems()
        clean_code = (code or "").strip().upper()
        if not _CODE.match(clean_code):
            problems.add("code", "3-32 characters: capital letters, digits and hyphens")
        clean_name = problems.text("name", name)
        problems.check()
        if uow.session.scalar(select(TaskForce.id).where(TaskForce.code == clean_code)):
            raise Conflict(f"task force {clean_code} already exists")
        assert clean_name and actor.agency_id and actor.country
        task_force = TaskForce(
            id=new_id(),
            version=1,
            code=clean_code,
            name=clean_name,
            host_country=actor.country,
            lead_agency_id=actor.agency_id,
            joint=joint,
            status=TaskForceStatus.ACTIVE,
            created_by=actor.user_id,
        )
        uow.session.add(task_force)
        uow.audit.append(
            actor,
            "taskforce.create",
            object_type="taskforce",
            object_id=task_force.id,
            details={"code": clean_code, "joint": joint},
        )
        uow.commit()
        return task_force.id


def add_member(
    uow: UnitOfWork,
    actor: Actor,
    task_force_id: uuid.UUID | str,
    official_id: uuid.UUID | str,
    *,
    role: str,
    senior: bool = False,
    joined_on: str | dt.date | None = None,
) -> uuid.UUID:
    """Put an official on the roster; a national unit takes only its own country's officials."""
    with uow:
        task_force = load_task_force(uow, task_force_id)
        uow.require(
            actor,
            Permission.TASKFORCE_MANAGE,
            task_force_target(task_force),
            action="taskforce.add_member",
            object_type="taskforce",
            object_id=task_force.id,
        )
        official = load_official(uow, official_id)
        problems = Problems()
        clean_role = problems.text("role", role, max_length=80)
        joined = problems.date("joined_on", joined_on or uow.today())
        if not task_force.joint and official.country != task_force.host_country:
            problems.add("official", "this task force is not joint: members must be of its country")
        problems.check()
        if uow.session.scalar(
            select(Membership.id).where(
                Membership.task_force_id == task_force.id,
                Membership.official_id == official.id,
                Membership.left_on.is_(None),
            )
        ):
            raise Conflict("this official is already on the roster")
        assert clean_role and joined
        membership = Membership(
            id=new_id(),
            task_force_id=task_force.id,
            official_id=official.id,
            role=clean_role,
            senior=senior,
            joined_on=joined,
            added_by=actor.user_id,
        )
        uow.session.add(membership)
        uow.session.flush()
        breach = compliance.assignment_breach(uow, task_force.id, official.id)
        if breach is not None:
            _refuse_assignment(uow, actor, task_force.id, official.id, breach)
        uow.audit.append(
            actor,
            "taskforce.add_member",
            object_type="taskforce",
            object_id=task_force.id,
            details={"official": str(official.id), "senior": senior},
        )
        compliance.reassess(uow, actor, [task_force.id])
        uow.commit()
        return membership.id


def _refuse_assignment(
    uow: UnitOfWork, actor: Actor, task_force_id: uuid.UUID, official_id: uuid.UUID, rule: str
) -> None:
    """Record the refused assignment on its own, then refuse it with the rule it breaks."""
    uow.session.rollback()
    uow.audit = type(uow.audit)(uow.session, uow.clock)
    uow.audit.append(
        actor,
        "taskforce.add_member",
        object_type="taskforce",
        object_id=task_force_id,
        outcome=AuditOutcome.DENIED,
        details={"official": str(official_id), "rule": rule},
    )
    uow.commit()
    raise ValidationFailed.single(
        "official",
        f"{compliance.RULE_TEXT[rule]}; only an approved commission override "
        "waiving this member allows the assignment",
    )


def remove_member(
    uow: UnitOfWork,
    actor: Actor,
    task_force_id: uuid.UUID | str,
    official_id: uuid.UUID | str,
    left_on: str | dt.date | None = None,
) -> None:
    """Take an official off the roster; the membership history is kept."""
    with uow:
        task_force = load_task_force(uow, task_force_id)
        uow.require(
            actor,
            Permission.TASKFORCE_MANAGE,
            task_force_target(task_force),
            action="taskforce.remove_member",
            object_type="taskforce",
            object_id=task_force.id,
        )
        official = load_official(uow, official_id)
        membership = uow.session.scalar(
            select(Membership).where(
                Membership.task_force_id == task_force.id,
                Membership.official_id == official.id,
                Membership.left_on.is_(None),
            )
        )
        if membership is None:
            raise NotFound("this official is not on the roster")
        problems = Problems()
        left = problems.date("left_on", left_on or uow.today(), not_before=membership.joined_on)
        problems.check()
        membership.left_on = left
        uow.audit.append(
            actor,
            "taskforce.remove_member",
            object_type="taskforce",
            object_id=task_force.id,
            details={"official": str(membership.official_id)},
        )
        recertification.refresh_officials(uow, [official.id])
        compliance.reassess(uow, actor, [task_force.id])
        uow.commit()


def get_task_force(uow: UnitOfWork, actor: Actor, task_force_id: uuid.UUID | str) -> TaskForceView:
    """A task force with its current roster (ids only: identities need an audited read)."""
    with uow:
        task_force = load_task_force(uow, task_force_id)
        uow.require(
            actor,
            Permission.TASKFORCE_READ,
            task_force_target(task_force),
            action="taskforce.read",
            object_type="taskforce",
            object_id=task_force.id,
        )
        lead = uow.session.get(Agency, task_force.lead_agency_id)
        assert lead
        members = tuple(
            MemberView(
                m.id, m.official_id, m.official.country, m.role, m.senior, m.joined_on, m.left_on
            )
            for m in task_force.memberships
            if m.left_on is None
        )
        return TaskForceView(
            task_force.id,
            task_force.code,
            task_force.name,
            task_force.host_country,
            lead.code,
            task_force.joint,
            task_force.status,
            task_force.funding_suspended,
            members,
        )


@dataclass(frozen=True)
class ReasonView:
    official_id: uuid.UUID
    rule: str
    senior: bool
    noted_at: dt.datetime


@dataclass(frozen=True)
class MemberStanding:
    official_id: uuid.UUID
    official_country: Country
    senior: bool
    due_on: dt.date | None
    breach: str | None


@dataclass(frozen=True)
class TaskForceStatusView:
    id: uuid.UUID
    code: str
    name: str
    joint: bool
    status: TaskForceStatus
    funding_suspended: bool
    suspended_since: dt.datetime | None
    reasons: tuple[ReasonView, ...]
    members: tuple[MemberStanding, ...]
    overrides: tuple[tuple[uuid.UUID, uuid.UUID | None, dt.datetime], ...]

    @property
    def compliant(self) -> bool:
        return all(m.breach is None for m in self.members)


def _status_view(uow: UnitOfWork, task_force: TaskForce) -> TaskForceStatusView:
    today, grace = uow.today(), compliance.grace_days(uow)
    seniors = {m.official_id for m in task_force.memberships if m.left_on is None and m.senior}
    rows = uow.session.execute(
        select(
            Membership.official_id,
            Official.country,
            Membership.senior,
            RecertSchedule.standing,
            RecertSchedule.due_on,
            exists().where(
                RegistryEntry.official_id == Membership.official_id,
                RegistryEntry.status.in_(compliance.IN_FORCE),
            ),
        )
        .join(Official, Official.id == Membership.official_id)
        .outerjoin(RecertSchedule, RecertSchedule.official_id == Membership.official_id)
        .where(Membership.task_force_id == task_force.id, Membership.left_on.is_(None))
        .order_by(Membership.senior.desc(), Membership.joined_on)
    )
    members = tuple(
        MemberStanding(
            o,
            c,
            s,
            due if standing == "pass" else None,
            compliance.member_rule(standing, due, bool(listed), today, grace),
        )
        for o, c, s, standing, due, listed in rows
    )
    suspension = uow.session.scalar(
        select(Suspension).where(
            Suspension.task_force_id == task_force.id, Suspension.lifted_at.is_(None)
        )
    )
    reasons: tuple[ReasonView, ...] = ()
    if suspension is not None:
        reasons = tuple(
            ReasonView(r.official_id, r.rule, r.official_id in seniors, r.noted_at)
            for r in uow.session.scalars(
                select(SuspensionReason)
                .where(
                    SuspensionReason.suspension_id == suspension.id,
                    SuspensionReason.resolved_at.is_(None),
                )
                .order_by(SuspensionReason.noted_at)
            )
        )
    active = tuple(
        (r.id, r.official_id, r.ends_at)
        for r in uow.session.scalars(
            select(OverrideRequest).where(
                OverrideRequest.task_force_id == task_force.id,
                OverrideRequest.status == "approved",
                OverrideRequest.ends_at > uow.clock(),
            )
        )
        if r.ends_at
    )
    return TaskForceStatusView(
        task_force.id,
        task_force.code,
        task_force.name,
        task_force.joint,
        task_force.status,
        task_force.funding_suspended,
        suspension.started_at if suspension else None,
        reasons,
        members,
        active,
    )


def task_force_status(
    uow: UnitOfWork, actor: Actor, task_force_id: uuid.UUID | str
) -> TaskForceStatusView:
    """Compliance of one task force: suspension and its reasons, each member's standing."""
    with uow:
        task_force = load_task_force(uow, task_force_id)
        uow.require(
            actor,
            Permission.TASKFORCE_READ,
            task_force_target(task_force),
            action="taskforce.status",
            object_type="taskforce",
            object_id=task_force.id,
        )
        return _status_view(uow, task_force)


def list_task_force_status(
    uow: UnitOfWork,
    actor: Actor,
    *,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[TaskForceStatusView], int]:
    """Task forces the actor may see (own country's and joint ones), suspended first."""
    with uow:
        uow.require(actor, Permission.TASKFORCE_READ, NO_TARGET, action="taskforce.status_list")
        problems = Problems()
        wanted = problems.choice("status", status, TaskForceStatus, required=False)
        problems.check()
        query = select(TaskForce)
        if actor.country is not None and not actor.system:
            query = query.where(
                or_(TaskForce.host_country == actor.country, TaskForce.joint.is_(True))
            )
        if wanted is not None:
            query = query.where(TaskForce.status == wanted)
        total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = uow.session.scalars(
            query.order_by(TaskForce.status.desc(), TaskForce.code).limit(limit).offset(offset)
        )
        return [_status_view(uow, tf) for tf in rows], int(total)
