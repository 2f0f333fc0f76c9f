"""Commission overrides: lifting a suspension, or waiving one member's vetting, for a while.

A request takes effect only once a commissioner of every required department approved it
(default U.S. DOJ, DHS and State; an administrator may add Mexican counterparts). The
requester cannot vote; one rejection ends the request; a pending request lapses after 14
days; an approved override ends at its end date, and the suspension returns if the roster
is still non-compliant.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from registry.errors import Conflict, PermissionDenied
from registry.models import Agency, OverrideRequest, OverrideVote
from registry.models.base import new_id
from registry.models.enums import AuditOutcome
from registry.policy import NO_TARGET, Actor, Permission, can
from registry.services import compliance
from registry.services.common import load, load_official
from registry.services.taskforces import load_task_force, task_force_target
from registry.services.validation import Problems
from registry.uow import UnitOfWork

DEPARTMENTS_KEY = "override.departments"
DEFAULT_DEPARTMENTS = ("US-DOJ", "US-DHS", "US-DOS")
PENDING_DAYS = 14
MAX_DURATION_DAYS = 365


@dataclass(frozen=True)
class VoteView:
    department: str
    user_id: uuid.UUID
    approve: bool
    voted_at: dt.datetime


@dataclass(frozen=True)
class OverrideView:
    id: uuid.UUID
    task_force_id: uuid.UUID
    task_force_code: str
    official_id: uuid.UUID | None
    duration_days: int
    status: str
    required_departments: tuple[str, ...]
    approved_by: tuple[str, ...]
    requested_by: uuid.UUID | None
    requested_at: dt.datetime
    decide_by: dt.datetime
    ends_at: dt.datetime | None
    votes: tuple[VoteView, ...]
    reason: str | None = None


def required_departments(uow: UnitOfWork) -> tuple[str, ...]:
    raw = compliance.get_setting(uow, DEPARTMENTS_KEY, ",".join(DEFAULT_DEPARTMENTS))
    return tuple(code for code in raw.split(",") if code)


def set_departments(uow: UnitOfWork, actor: Actor, codes: list[str]) -> tuple[str, ...]:
    """Which departments must each approve an override (agency codes of departments)."""
    with uow:
        uow.require(
            actor, Permission.RECERT_POLICY_MANAGE, NO_TARGET, action="override.departments_set"
        )
        problems = Problems()
        clean = tuple(dict.fromkeys(c.strip().upper() for c in codes if c.strip()))
        if not clean:
            problems.add("departments", "name at least one department")
        for code in clean:
            if uow.session.scalar(select(Agency.id).where(Agency.code == code)) is None:
                problems.add("departments", f"agency {code!r} does not exist")
        problems.check()
        before = required_departments(uow)
        compliance.put_setting(uow, actor, DEPARTMENTS_KEY, ",".join(clean))
        uow.audit.append(
            actor,
            "override.departments_set",
            object_type="setting",
            object_id=DEPARTMENTS_KEY,
            details={"before": list(before), "departments": list(clean)},
        )
        uow.commit()
        return clean


def request_override(
    uow: UnitOfWork,
    actor: Actor,
    *,
    task_force_id: uuid.UUID | str,
    reason: str,
    duration_days: int,
    official_id: uuid.UUID | str | None = None,
) -> uuid.UUID:
    """File a request; it has no effect until every required department approved it."""
    with uow:
        task_force = load_task_force(uow, task_force_id)
        uow.require(
            actor,
            Permission.OVERRIDE_REQUEST,
            task_force_target(task_force),
            action="override.request",
            object_type="taskforce",
            object_id=task_force.id,
        )
        problems = Problems()
        clean_reason = problems.text("reason", reason, max_length=2000)
        if not isinstance(duration_days, int) or not 1 <= duration_days <= MAX_DURATION_DAYS:
            problems.add("duration_days", f"must be between 1 and {MAX_DURATION_DAYS} days")
        official = load_official(uow, official_id) if official_id else None
        problems.check()
        now = uow.clock()
        request = OverrideRequest(
            id=new_id(),
            version=1,
            task_force_id=task_force.id,
            official_id=official.id if official else None,
            duration_days=duration_days,
            required_departments=list(required_departments(uow)),
            status="pending",
            requested_by=actor.user_id,
            requested_at=now,
            decide_by=now + dt.timedelta(days=PENDING_DAYS),
        )
        uow.vault.seal(request, {"reason": clean_reason})
        uow.session.add(request)
        uow.audit.append(
            actor,
            "override.request",
            object_type="override",
            object_id=request.id,
            details={
                "taskforce": str(task_force.id),
                "official": str(official.id) if official else None,
                "duration_days": duration_days,
                "departments": list(request.required_departments),
            },
        )
        uow.commit()
        return request.id


def department_of(uow: UnitOfWork, actor: Actor, required: tuple[str, ...]) -> str | None:
    """A commissioner's department: her agency, or its parent, if it sits on the commission."""
    agency = uow.session.get(Agency, actor.agency_id) if actor.agency_id else None
    while agency is not None:
        if agency.code in required:
            return agency.code
        agency = agency.parent
    return None


def _load(uow: UnitOfWork, request_id: uuid.UUID | str) -> OverrideRequest:
    record = load(uow, OverrideRequest, request_id, "override request")
    assert isinstance(record, OverrideRequest)
    return record


def _refuse(uow: UnitOfWork, actor: Actor, request: OverrideRequest, why: str) -> None:
    uow.session.rollback()
    uow.audit = type(uow.audit)(uow.session, uow.clock)
    uow.audit.append(
        actor,
        "override.vote",
        object_type="override",
        object_id=request.id,
        outcome=AuditOutcome.DENIED,
        details={"why": why},
    )
    uow.commit()


def vote(uow: UnitOfWork, actor: Actor, request_id: uuid.UUID | str, *, approve: bool) -> str:
    """Record a commissioner's vote; returns the request's status afterwards."""
    with uow:
        request = _load(uow, request_id)
        uow.require(
            actor,
            Permission.OVERRIDE_VOTE,
            NO_TARGET,
            action="override.vote",
            object_type="override",
            object_id=request.id,
        )
        if request.requested_by is not None and request.requested_by == actor.user_id:
            _refuse(uow, actor, request, "requester")
            raise PermissionDenied("the requester of an override cannot vote on it")
        department = department_of(uow, actor, tuple(request.required_departments))
        if department is None:
            _refuse(uow, actor, request, "department")
            raise PermissionDenied("your department is not among those this override requires")
        if request.status == "pending" and uow.clock() >= request.decide_by:
            _close(uow, actor, request, "expired")
            uow.commit()
            raise Conflict(
                f"override request {request.id} lapsed unanswered on {request.decide_by:%Y-%m-%d}"
            )
        if request.status != "pending":
            raise Conflict(f"override request {request.id} is {request.status}; voting is closed")
        if uow.session.scalar(
            select(OverrideVote.id).where(
                OverrideVote.request_id == request.id, OverrideVote.user_id == actor.user_id
            )
        ):
            raise Conflict("you have already voted on this request")
        assert actor.user_id
        uow.session.add(
            OverrideVote(
                id=new_id(),
                request_id=request.id,
                user_id=actor.user_id,
                department=department,
                approve=approve,
                voted_at=uow.clock(),
            )
        )
        uow.audit.append(
            actor,
            "override.vote",
            object_type="override",
            object_id=request.id,
            details={"department": department, "approve": approve},
        )
        uow.session.flush()
        if not approve:
            _close(uow, actor, request, "rejected")
        elif set(request.required_departments) <= _approving(uow, request):
            request.status, request.decided_at = "approved", uow.clock()
            request.ends_at = uow.clock() + dt.timedelta(days=request.duration_days)
            uow.audit.append(
                actor,
                "override.approve",
                object_type="override",
                object_id=request.id,
                details={
                    "taskforce": str(request.task_force_id),
                    "ends_at": request.ends_at.isoformat(),
                },
            )
            compliance.reassess(uow, actor, [request.task_force_id])
        uow.commit()
        return request.status


def _approving(uow: UnitOfWork, request: OverrideRequest) -> set[str]:
    return set(
        uow.session.scalars(
            select(OverrideVote.department).where(
                OverrideVote.request_id == request.id, OverrideVote.approve.is_(True)
            )
        )
    )


def _close(uow: UnitOfWork, actor: Actor | None, request: OverrideRequest, status: str) -> None:
    request.status, request.decided_at = status, uow.clock()
    uow.audit.append(
        actor,
        f"override.{status}",
        object_type="override",
        object_id=request.id,
        details={"taskforce": str(request.task_force_id)},
    )


def expire_overrides(uow: UnitOfWork, actor: Actor | None) -> int:
    """Lapse unanswered requests and end approved overrides whose time is up (no commit)."""
    now = uow.clock()
    stale = list(
        uow.session.scalars(
            select(OverrideRequest).where(
                ((OverrideRequest.status == "pending") & (OverrideRequest.decide_by <= now))
                | ((OverrideRequest.status == "approved") & (OverrideRequest.ends_at <= now))
            )
        )
    )
    for request in stale:
        _close(uow, actor, request, "expired")
    if stale:
        compliance.reassess(uow, actor, {r.task_force_id for r in stale})
    return len(stale)


def _view(uow: UnitOfWork, request: OverrideRequest, reason: str | None = None) -> OverrideView:
    votes = tuple(
        VoteView(v.department, v.user_id, v.approve, v.voted_at)
        for v in uow.session.scalars(
            select(OverrideVote)
            .where(OverrideVote.request_id == request.id)
            .order_by(OverrideVote.voted_at)
        )
    )
    task_force = load_task_force(uow, request.task_force_id)
    return OverrideView(
        request.id,
        request.task_force_id,
        task_force.code,
        request.official_id,
        request.duration_days,
        request.status,
        tuple(request.required_departments),
        tuple(sorted({v.department for v in votes if v.approve})),
        request.requested_by,
        request.requested_at,
        request.decide_by,
        request.ends_at,
        votes,
        reason,
    )


def _read_permission(actor: Actor) -> Permission:
    return (
        Permission.OVERRIDE_VOTE
        if can(actor, Permission.OVERRIDE_VOTE)
        else Permission.OVERRIDE_REQUEST
    )


def list_overrides(
    uow: UnitOfWork,
    actor: Actor,
    *,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[OverrideView]:
    """Requests, newest first (reasons need `get_override`, an audited read)."""
    with uow:
        uow.require(actor, _read_permission(actor), NO_TARGET, action="override.list")
        query = select(OverrideRequest).order_by(OverrideRequest.requested_at.desc())
        if status:
            query = query.where(OverrideRequest.status == status)
        rows = uow.session.scalars(query.limit(limit).offset(offset))
        return [_view(uow, r) for r in rows]


def get_override(uow: UnitOfWork, actor: Actor, request_id: uuid.UUID | str) -> OverrideView:
    """One request with its reason, for the commissioners to decide on (audited)."""
    with uow:
        request = _load(uow, request_id)
        uow.require(
            actor,
            _read_permission(actor),
            NO_TARGET,
            action="override.read",
            object_type="override",
            object_id=request.id,
        )
        view = _view(uow, request, uow.vault.open(request, "reason"))
        uow.audit.append(actor, "override.read", object_type="override", object_id=request.id)
        uow.commit()
        return view
