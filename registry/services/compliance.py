"""Task-force compliance: every current member, any rank and either country, holds a valid pass.

A member breaks a rule when listed in the registry, when her latest evaluation failed or
was refused, when she was never vetted, or when her pass expired more than the grace
period ago. A non-compliant task force is suspended with its support funding, the reasons
recorded; the suspension is lifted when the roster is compliant again or an approved
override covers it. Evaluations by either country's officers count alike (reciprocity).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Result, and_, exists, func, or_, select

from registry.models import (
    LifecycleSetting,
    Membership,
    OverrideRequest,
    RecertSchedule,
    RegistryEntry,
    Suspension,
    SuspensionReason,
    TaskForce,
)
from registry.models.base import new_id
from registry.models.enums import EntryStatus, TaskForceStatus
from registry.policy import NO_TARGET, Actor, Permission, can
from registry.services import recertification
from registry.services.validation import Problems
from registry.uow import UnitOfWork

GRACE_KEY = "taskforce.grace_days"
DEFAULT_GRACE_DAYS = 0
IN_FORCE = (EntryStatus.ACTIVE.value, EntryStatus.UNDER_APPEAL.value)
RULE_TEXT = {
    "listed": "is listed in the registry",
    "failed_evaluation": "failed the latest evaluation",
    "refused_evaluation": "refused the latest evaluation",
    "no_pass": "has never passed a vetting evaluation",
    "pass_expired": "has a pass that expired",
}

Violation = tuple[uuid.UUID, str]


def get_setting(uow: UnitOfWork, key: str, default: str) -> str:
    row = uow.session.get(LifecycleSetting, key)
    return row.value if row else default


def put_setting(uow: UnitOfWork, actor: Actor, key: str, value: str) -> None:
    row = uow.session.get(LifecycleSetting, key)
    if row is None:
        uow.session.add(
            LifecycleSetting(key=key, value=value, updated_at=uow.clock(), updated_by=actor.user_id)
        )
    else:
        row.value, row.updated_at, row.updated_by = value, uow.clock(), actor.user_id


def grace_days(uow: UnitOfWork) -> int:
    return int(get_setting(uow, GRACE_KEY, str(DEFAULT_GRACE_DAYS)))


def set_grace_days(uow: UnitOfWork, actor: Actor, days: int) -> None:
    """How long an expired pass is tolerated before the task force is suspended."""
    with uow:
        uow.require(actor, Permission.RECERT_POLICY_MANAGE, NO_TARGET, action="taskforce.grace_set")
        if not 0 <= days <= 365:
            problems = Problems()
            problems.add("grace_days", "must be between 0 and 365")
            problems.check()
        before = grace_days(uow)
        put_setting(uow, actor, GRACE_KEY, str(days))
        uow.audit.append(
            actor,
            "taskforce.grace_set",
            object_type="setting",
            object_id=GRACE_KEY,
            details={"before": before, "days": days},
        )
        uow.commit()


def _member_rows(
    uow: UnitOfWork, task_force_ids: Iterable[uuid.UUID] | None, cutoff: dt.date
) -> Result[uuid.UUID, uuid.UUID, str | None, dt.date | None, bool]:
    """Current members who may break a rule (`member_rule` has the last word on each)."""
    listed = exists().where(
        RegistryEntry.official_id == Membership.official_id, RegistryEntry.status.in_(IN_FORCE)
    )
    query = (
        select(
            Membership.task_force_id,
            Membership.official_id,
            RecertSchedule.standing,
            RecertSchedule.due_on,
            listed.label("listed"),
        )
        .join(TaskForce, TaskForce.id == Membership.task_force_id)
        .outerjoin(RecertSchedule, RecertSchedule.official_id == Membership.official_id)
        .where(
            Membership.left_on.is_(None),
            TaskForce.status != TaskForceStatus.DISBANDED,
            # Members with a pass due on or after the cutoff and no entry in force break none.
            or_(
                RecertSchedule.standing.is_(None),
                RecertSchedule.standing != "pass",
                RecertSchedule.due_on.is_(None),
                RecertSchedule.due_on < cutoff,
                listed,
            ),
        )
    )
    if task_force_ids is not None:
        query = query.where(Membership.task_force_id.in_(list(task_force_ids)))
    return uow.session.execute(query)


def member_rule(
    standing: str | None, due_on: dt.date | None, listed: bool, today: dt.date, grace: int
) -> str | None:
    """The rule a member breaks today, if any (the most serious first)."""
    if listed or standing == "listed":
        return "listed"
    if standing == "fail":
        return "failed_evaluation"
    if standing == "refused":
        return "refused_evaluation"
    if standing in (None, "none") or due_on is None:
        return "no_pass"
    if today > due_on + dt.timedelta(days=grace):
        return "pass_expired"
    return None


def violations(
    uow: UnitOfWork,
    task_force_ids: Iterable[uuid.UUID] | None = None,
) -> dict[uuid.UUID, list[Violation]]:
    """Rule breaches by task force, before overrides (the schedule must be fresh)."""
    today, grace = uow.today(), grace_days(uow)
    found: dict[uuid.UUID, list[Violation]] = defaultdict(list)
    cutoff = today - dt.timedelta(days=grace)
    for tf_id, official_id, standing, due_on, listed in _member_rows(uow, task_force_ids, cutoff):
        rule = member_rule(standing, due_on, bool(listed), today, grace)
        if rule:
            found[tf_id].append((official_id, rule))
    return found


@dataclass(frozen=True)
class Cover:
    """Approved, unexpired overrides: whole task forces, and waived members per task force."""

    task_forces: frozenset[uuid.UUID]
    members: frozenset[tuple[uuid.UUID, uuid.UUID]]


def active_cover(uow: UnitOfWork, task_force_ids: Iterable[uuid.UUID] | None = None) -> Cover:
    now = uow.clock()
    query = select(OverrideRequest.task_force_id, OverrideRequest.official_id).where(
        OverrideRequest.status == "approved", OverrideRequest.ends_at > now
    )
    if task_force_ids is not None:
        query = query.where(OverrideRequest.task_force_id.in_(list(task_force_ids)))
    whole, members = set(), set()
    for tf_id, official_id in uow.session.execute(query):
        if official_id is None:
            whole.add(tf_id)
        else:
            members.add((tf_id, official_id))
    return Cover(frozenset(whole), frozenset(members))


@dataclass(frozen=True)
class ComplianceChange:
    task_force_id: uuid.UUID
    suspended: bool
    reasons: tuple[Violation, ...]


def reassess(
    uow: UnitOfWork,
    actor: Actor | None,
    task_force_ids: Iterable[uuid.UUID] | None = None,
) -> list[ComplianceChange]:
    """Suspend or lift task forces to match their rosters, inside the caller's transaction."""
    ids = None if task_force_ids is None else list(set(task_force_ids))
    uow.session.flush()
    found = violations(uow, ids)
    cover = active_cover(uow, ids)
    open_by_tf = {
        s.task_force_id: s
        for s in uow.session.scalars(
            select(Suspension).where(
                Suspension.lifted_at.is_(None),
                *([Suspension.task_force_id.in_(ids)] if ids is not None else []),
            )
        )
    }
    reasons = _open_reasons(uow, ids)
    changes = []
    # A unit that breaks no rule, is not suspended and has no open suspension stays as it is.
    for task_force in _units(uow, ids, found.keys() | open_by_tf.keys()):
        breaches = [
            (o, r)
            for o, r in found.get(task_force.id, [])
            if (task_force.id, o) not in cover.members
        ]
        overridden = task_force.id in cover.task_forces
        current = open_by_tf.get(task_force.id)
        if breaches and not overridden:
            known = reasons.get(current.id, {}) if current is not None else {}
            change = _suspend(uow, actor, task_force, current, known, breaches)
        elif current is not None or task_force.status is TaskForceStatus.SUSPENDED:
            change = _lift(uow, actor, task_force, current, "override" if breaches else "compliant")
        else:
            change = None
        if change:
            changes.append(change)
    return changes


_CHUNK = 500  # ids per IN list, well inside every driver's limit on bound parameters


def _units(
    uow: UnitOfWork, ids: list[uuid.UUID] | None, candidates: Iterable[uuid.UUID]
) -> list[TaskForce]:
    """The task forces among `candidates` or suspended (within `ids`), not disbanded."""
    suspended = select(TaskForce.id).where(TaskForce.status == TaskForceStatus.SUSPENDED)
    if ids is not None:
        suspended = suspended.where(TaskForce.id.in_(ids))
    wanted = sorted(set(candidates) | set(uow.session.scalars(suspended)))
    units: list[TaskForce] = []
    for start in range(0, len(wanted), _CHUNK):
        units.extend(
            uow.session.scalars(
                select(TaskForce)
                .where(
                    TaskForce.id.in_(wanted[start : start + _CHUNK]),
                    TaskForce.status != TaskForceStatus.DISBANDED,
                )
                .order_by(TaskForce.id)
            )
        )
    return units


def _open_reasons(
    uow: UnitOfWork, ids: list[uuid.UUID] | None
) -> dict[uuid.UUID, dict[Violation, SuspensionReason]]:
    """The reasons recorded for each open suspension, by suspension (one query for all)."""
    query = (
        select(SuspensionReason)
        .join(Suspension, Suspension.id == SuspensionReason.suspension_id)
        .where(Suspension.lifted_at.is_(None))
    )
    if ids is not None:
        query = query.where(Suspension.task_force_id.in_(ids))
    reasons: dict[uuid.UUID, dict[Violation, SuspensionReason]] = defaultdict(dict)
    for reason in uow.session.scalars(query):
        reasons[reason.suspension_id][(reason.official_id, reason.rule)] = reason
    return reasons


def _suspend(
    uow: UnitOfWork,
    actor: Actor | None,
    task_force: TaskForce,
    current: Suspension | None,
    known: dict[Violation, SuspensionReason],
    breaches: list[Violation],
) -> ComplianceChange | None:
    now = uow.clock()
    if current is None:
        current = Suspension(id=new_id(), task_force_id=task_force.id, started_at=now)
        uow.session.add(current)
    holding = set(breaches)
    for key, reason in known.items():
        if key not in holding and reason.resolved_at is None:
            reason.resolved_at = now  # still suspended, but this member no longer breaks it
        elif key in holding and reason.resolved_at is not None:
            reason.resolved_at = None
    new = [b for b in breaches if b not in known]
    for official_id, rule in new:
        uow.session.add(
            SuspensionReason(
                suspension_id=current.id, official_id=official_id, rule=rule, noted_at=now
            )
        )
    was_active = (
        task_force.status is not TaskForceStatus.SUSPENDED or not task_force.funding_suspended
    )
    if not new and not was_active:
        return None
    task_force.status, task_force.funding_suspended = TaskForceStatus.SUSPENDED, True
    task_force.version += 1
    uow.audit.append(
        actor,
        "taskforce.suspend",
        object_type="taskforce",
        object_id=task_force.id,
        details={
            "suspension": str(current.id),
            "members": [str(o) for o, _ in new],
            "rules": [r for _, r in new],
            "funding_suspended": True,
        },
    )
    return ComplianceChange(task_force.id, True, tuple(new))


def _lift(
    uow: UnitOfWork,
    actor: Actor | None,
    task_force: TaskForce,
    current: Suspension | None,
    because: str,
) -> ComplianceChange:
    if current is not None:
        current.lifted_at, current.lifted_because = uow.clock(), because
    task_force.status, task_force.funding_suspended = TaskForceStatus.ACTIVE, False
    task_force.version += 1
    uow.audit.append(
        actor,
        "taskforce.lift",
        object_type="taskforce",
        object_id=task_force.id,
        details={
            "suspension": str(current.id) if current else None,
            "because": because,
            "funding_suspended": False,
        },
    )
    return ComplianceChange(task_force.id, False, ())


def job_permission(actor: Actor) -> Permission:
    """Periodic jobs run as the operator (an administrator) or as a vetting officer."""
    if can(actor, Permission.TASKFORCE_MANAGE):
        return Permission.TASKFORCE_MANAGE
    return Permission.RECERT_POLICY_MANAGE


def current_task_forces(uow: UnitOfWork, official_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        uow.session.scalars(
            select(Membership.task_force_id).where(
                Membership.official_id == official_id, Membership.left_on.is_(None)
            )
        )
    )


def after_evaluation(uow: UnitOfWork, actor: Actor, official_id: uuid.UUID) -> None:
    """Hook for `record_evaluation`: a failed or refused result suspends at once."""
    recertification.refresh_officials(uow, [official_id])
    task_forces = current_task_forces(uow, official_id)
    if task_forces:
        reassess(uow, actor, task_forces)


def assignment_breach(
    uow: UnitOfWork, task_force_id: uuid.UUID, official_id: uuid.UUID
) -> str | None:
    """The rule an official would break on this roster (membership flushed), unless waived."""
    recertification.refresh_officials(uow, [official_id])
    cover = active_cover(uow, [task_force_id])
    if (task_force_id, official_id) in cover.members:
        return None
    listed = uow.session.scalar(
        select(
            exists().where(
                and_(RegistryEntry.official_id == official_id, RegistryEntry.status.in_(IN_FORCE))
            )
        )
    )
    row = uow.session.get(RecertSchedule, official_id)
    return member_rule(
        row.standing if row else None, row.due_on if row else None, bool(listed), uow.today(), 0
    )


def check_all(uow: UnitOfWork, actor: Actor) -> dict[str, int]:
    """The periodic job: end overrides whose time is up, then suspend or lift every unit."""
    from registry.services.overrides import expire_overrides

    with uow:
        uow.require(actor, job_permission(actor), NO_TARGET, action="taskforce.check")
        expired = expire_overrides(uow, actor)
        # The schedule is kept current by every evaluation and roster change; entries are
        # read directly, so only the passage of time is new here.
        changes = reassess(uow, actor)
        suspended = sum(1 for c in changes if c.suspended)
        summary = {
            "suspended": suspended,
            "lifted": len(changes) - suspended,
            "overrides_expired": expired,
            "task_forces": int(uow.session.scalar(select(func.count(TaskForce.id))) or 0),
        }
        uow.audit.append(actor, "taskforce.check", object_type="taskforce", details=summary)
        uow.commit()
        return summary
