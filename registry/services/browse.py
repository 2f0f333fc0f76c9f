"""Reading for the officer's screens: dashboards, paginated lists, search and duplicate checks.

Lists of people are limited to the officer's scope (her country, and members of joint task
forces); names are decrypted in memory for the page shown, and every such read is audited.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import selectinload

from registry.identity import Identity, MatchLevel, normalise, score
from registry.models import (
    Employment,
    Evaluation,
    Membership,
    Official,
    OfficialIndex,
    RegistryEntry,
    TaskForce,
)
from registry.models.enums import Outcome
from registry.policy import NO_TARGET, Actor, Permission, can
from registry.services.common import load_official, official_target
from registry.services.entries import EntryView, entry_view
from registry.services.evaluations import EvaluationView
from registry.services.officials import (
    OfficialInput,
    OfficialView,
    open_official,
    validate_identity,
)
from registry.services.redress import RedressView, list_redress
from registry.services.screening import index_probes
from registry.services.taskforces import task_force_target
from registry.services.validation import Problems
from registry.uow import UnitOfWork

T = TypeVar("T")
MAX_PAGE_SIZE = 100
EXPIRY_HORIZON_DAYS = 60
MAX_CANDIDATES = 500
# A page of people needs each one's data key and agency: load them in one query each.
_OFFICIAL_LOADS = (selectinload(Official.data_key), selectinload(Official.owner_agency))


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, its number (from 1), and the size of the whole list."""

    items: tuple[T, ...]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))


@dataclass(frozen=True)
class OfficialRow:
    id: uuid.UUID
    country: str
    owner_agency: str
    name: str
    birth_date: dt.date | None
    curp: str | None
    match_level: str | None = None
    match_score: float | None = None

    def __repr__(self) -> str:
        return f"<OfficialRow {self.id}>"


@dataclass(frozen=True)
class ExpiringPass:
    official: OfficialRow
    evaluation_id: uuid.UUID
    valid_until: dt.date
    expired: bool


@dataclass(frozen=True)
class Dashboard:
    expiring: tuple[ExpiringPass, ...]
    expiring_total: int
    redress_pending: tuple[RedressView, ...]
    redress_overdue: int


@dataclass(frozen=True)
class EmploymentRow:
    agency: str
    position: str
    rank: str | None
    started_on: dt.date
    ended_on: dt.date | None


@dataclass(frozen=True)
class MembershipRow:
    task_force_id: uuid.UUID
    code: str
    name: str
    role: str
    senior: bool
    joined_on: dt.date
    left_on: dt.date | None


@dataclass(frozen=True)
class OfficialOverview:
    official: OfficialView
    employments: tuple[EmploymentRow, ...]
    evaluations: tuple[EvaluationView, ...]
    entries: tuple[EntryView, ...]
    memberships: tuple[MembershipRow, ...]
    joint_taskforce: bool


@dataclass(frozen=True)
class TaskForceRow:
    id: uuid.UUID
    code: str
    name: str
    host_country: str
    lead_agency: str
    joint: bool
    status: str
    members: int


def page_bounds(number: int, size: int) -> tuple[int, int]:
    number = max(1, number)
    size = min(max(1, size), MAX_PAGE_SIZE)
    return number, size


def _in_scope(actor: Actor) -> ColumnElement[bool]:
    """Officials the officer may read: her country's, and members of joint task forces."""
    on_joint = exists().where(
        Membership.official_id == Official.id,
        Membership.left_on.is_(None),
        Membership.task_force_id == TaskForce.id,
        TaskForce.joint.is_(True),
    )
    return or_(Official.country == actor.country, on_joint)


def _row(
    uow: UnitOfWork, official: Official, match: tuple[str, float] | None = None
) -> OfficialRow:
    view = open_official(uow, official)
    name = " ".join(
        p for p in (view.given_names, view.paternal_surname, view.maternal_surname) if p
    )
    level, points = match if match else (None, None)
    return OfficialRow(
        view.id,
        view.country.value,
        view.owner_agency,
        name,
        view.birth_date,
        view.curp,
        level,
        points,
    )


def _audit_list(uow: UnitOfWork, actor: Actor, view: str, ids: Iterable[uuid.UUID]) -> None:
    shown = [str(i) for i in ids]
    uow.audit.append(
        actor,
        "official.list",
        object_type="official",
        details={"view": view, "count": len(shown), "officials": ",".join(shown)},
    )


def list_officials(
    uow: UnitOfWork, actor: Actor, *, page: int = 1, size: int = 20
) -> Page[OfficialRow]:
    """Officials in the officer's scope, most recently registered first."""
    number, size = page_bounds(page, size)
    with uow:
        uow.require(actor, Permission.OFFICIAL_READ, NO_TARGET, action="official.list")
        scope = _in_scope(actor)
        total = uow.session.scalar(select(func.count()).select_from(Official).where(scope)) or 0
        officials = uow.session.scalars(
            select(Official)
            .options(*_OFFICIAL_LOADS)
            .where(scope)
            .order_by(Official.created_at.desc(), Official.id)
            .offset((number - 1) * size)
            .limit(size)
        ).all()
        rows = tuple(_row(uow, o) for o in officials)
        _audit_list(uow, actor, "list", (r.id for r in rows))
        uow.commit()
        return Page(rows, number, size, total)


def _candidates(uow: UnitOfWork, identity: Identity) -> list[Official]:
    digests = index_probes(uow.keyring, normalise(identity))
    if not digests:
        return []
    ids: set[uuid.UUID] = set()
    by_kind: dict[tuple[str, int], list[int]] = {}
    for kind, version, digest in digests:
        by_kind.setdefault((kind, version), []).append(digest)
    for (kind, version), values in by_kind.items():
        ids.update(
            uow.session.scalars(
                select(OfficialIndex.official_id)
                .where(
                    OfficialIndex.kind == kind,
                    OfficialIndex.key_version == version,
                    OfficialIndex.digest.in_(values),
                )
                .limit(MAX_CANDIDATES)
            )
        )
    if not ids:
        return []
    return list(
        uow.session.scalars(select(Official).options(*_OFFICIAL_LOADS).where(Official.id.in_(ids)))
    )


def _matches(
    uow: UnitOfWork, actor: Actor, identity: Identity, exclude: uuid.UUID | None = None
) -> list[OfficialRow]:
    query = normalise(identity)
    found: list[OfficialRow] = []
    for official in _candidates(uow, identity):
        if official.id == exclude or not can(
            actor, Permission.OFFICIAL_READ, official_target(uow, official)
        ):
            continue
        view = open_official(uow, official)
        match = score(query, normalise(view.identity()))
        if match.level is None:
            continue
        found.append(_row(uow, official, (match.level.value, round(match.score, 3))))
    order = {MatchLevel.EXACT.value: 0, MatchLevel.PROBABLE.value: 1}
    found.sort(key=lambda r: (order.get(r.match_level or "", 2), -(r.match_score or 0)))
    return found


def search_officials(
    uow: UnitOfWork, actor: Actor, data: OfficialInput, *, page: int = 1, size: int = 20
) -> Page[OfficialRow]:
    """Officials in scope matching a name (and optionally birth date) or a CURP."""
    number, size = page_bounds(page, size)
    with uow:
        uow.require(actor, Permission.OFFICIAL_READ, NO_TARGET, action="official.search")
        problems = Problems()
        identity = _search_identity(problems, data, uow.today())
        problems.check()
        rows = _matches(uow, actor, identity)
        shown = tuple(rows[(number - 1) * size : number * size])
        uow.audit.append(
            actor,
            "official.search",
            object_type="official",
            details={"results": len(rows), "shown": len(shown), "by_curp": bool(identity.curp)},
        )
        uow.commit()
        return Page(shown, number, size, len(rows))


def _search_identity(problems: Problems, data: OfficialInput, today: dt.date) -> Identity:
    if data.curp and data.curp.strip():
        lenient = OfficialInput(
            data.given_names or "-",
            data.paternal_surname or "-",
            data.maternal_surname,
            data.birth_date,
            data.sex,
            data.curp,
        )
        identity = validate_identity(problems, lenient, today)
        return Identity(
            data.given_names or "",
            data.paternal_surname or None,
            data.maternal_surname or None,
            identity.birth_date,
            identity.sex,
            identity.curp,
        )
    return validate_identity(problems, data, today)


def possible_duplicates(uow: UnitOfWork, actor: Actor, data: OfficialInput) -> list[OfficialRow]:
    """Before registering: validate the identity (all problems) and list likely existing records."""
    with uow:
        uow.require(actor, Permission.OFFICIAL_REGISTER, NO_TARGET, action="official.match_check")
        problems = Problems()
        identity = validate_identity(problems, data, uow.today())
        problems.check()
        rows = _matches(uow, actor, identity)
        uow.audit.append(
            actor, "official.match_check", object_type="official", details={"results": len(rows)}
        )
        uow.commit()
        return rows


def official_overview(
    uow: UnitOfWork, actor: Actor, official_id: uuid.UUID | str
) -> OfficialOverview:
    """An official's identity, posts, evaluations, entries and task forces: one audited read."""
    with uow:
        official = load_official(uow, official_id)
        target = official_target(uow, official)
        uow.require(
            actor,
            Permission.OFFICIAL_READ,
            target,
            action="official.read",
            object_type="official",
            object_id=official.id,
        )
        view = open_official(uow, official)
        employments = tuple(
            EmploymentRow(e.agency.code, e.position, e.rank, e.started_on, e.ended_on)
            for e in uow.session.scalars(
                select(Employment)
                .where(Employment.official_id == official.id)
                .order_by(Employment.started_on.desc())
            )
        )
        evaluations = tuple(
            EvaluationView(
                e.id,
                e.official_id,
                e.type,
                e.outcome,
                dict(e.components),
                e.evaluated_on,
                e.valid_until,
                e.evaluating_agency.code,
                e.version,
            )
            for e in uow.session.scalars(
                select(Evaluation)
                .where(Evaluation.official_id == official.id)
                .order_by(Evaluation.evaluated_on.desc(), Evaluation.id)
            )
        )
        entries = tuple(
            entry_view(e)
            for e in uow.session.scalars(
                select(RegistryEntry)
                .where(RegistryEntry.official_id == official.id)
                .order_by(RegistryEntry.effective_date.desc())
            )
        )
        memberships = tuple(
            MembershipRow(
                m.task_force_id,
                m.task_force.code,
                m.task_force.name,
                m.role,
                m.senior,
                m.joined_on,
                m.left_on,
            )
            for m in uow.session.scalars(
                select(Membership)
                .where(Membership.official_id == official.id)
                .order_by(Membership.joined_on.desc())
            )
        )
        uow.audit.append(
            actor,
            "official.read",
            object_type="official",
            object_id=official.id,
            details={"view": "overview"},
        )
        uow.commit()
        return OfficialOverview(
            view, employments, evaluations, entries, memberships, target.joint_taskforce
        )


def _expiring_passes(
    uow: UnitOfWork, actor: Actor, horizon: dt.date, limit: int
) -> tuple[list[Evaluation], int]:
    """Officials in scope whose latest evaluation is a pass ending by `horizon`, soonest first."""
    latest = (
        select(Evaluation.official_id, func.max(Evaluation.evaluated_on).label("last"))
        .group_by(Evaluation.official_id)
        .subquery()
    )
    query = (
        select(Evaluation)
        .join(
            latest,
            (latest.c.official_id == Evaluation.official_id)
            & (latest.c.last == Evaluation.evaluated_on),
        )
        .join(Official, Official.id == Evaluation.official_id)
        .where(
            Evaluation.outcome == Outcome.PASS,
            Evaluation.valid_until <= horizon,
            _in_scope(actor),
        )
    )
    total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = uow.session.scalars(
        query.options(
            selectinload(Evaluation.official).selectinload(Official.data_key),
            selectinload(Evaluation.official).selectinload(Official.owner_agency),
        )
        .order_by(Evaluation.valid_until, Evaluation.id)
        .limit(limit)
    ).all()
    return list(rows), total


def dashboard(uow: UnitOfWork, actor: Actor, *, limit: int = 10) -> Dashboard:
    """Work due: passes expiring within 60 days (or expired), and appeals and requests pending."""
    redress = list_redress(uow, actor) if can(actor, Permission.REDRESS_DECIDE) else []
    with uow:
        uow.require(actor, Permission.OFFICIAL_READ, NO_TARGET, action="dashboard.read")
        today = uow.today()
        shown, total = _expiring_passes(
            uow, actor, today + dt.timedelta(days=EXPIRY_HORIZON_DAYS), limit
        )
        expiring = tuple(
            ExpiringPass(
                _row(uow, e.official),
                e.id,
                e.valid_until or today,
                bool(e.valid_until and e.valid_until < today),
            )
            for e in shown
        )
        if expiring:
            _audit_list(uow, actor, "dashboard", (e.official.id for e in expiring))
        uow.commit()
    return Dashboard(expiring, total, tuple(redress[:limit]), sum(1 for r in redress if r.overdue))


def list_task_forces(
    uow: UnitOfWork, actor: Actor, *, page: int = 1, size: int = 20
) -> Page[TaskForceRow]:
    """Task forces the user may see (joint ones, and her own country's), by code."""
    number, size = page_bounds(page, size)
    with uow:
        uow.require(actor, Permission.TASKFORCE_READ, NO_TARGET, action="taskforce.list")
        scope = or_(TaskForce.joint.is_(True), TaskForce.host_country == actor.country)
        total = uow.session.scalar(select(func.count()).select_from(TaskForce).where(scope)) or 0
        forces: Sequence[TaskForce] = uow.session.scalars(
            select(TaskForce)
            .where(scope)
            .order_by(TaskForce.code)
            .offset((number - 1) * size)
            .limit(size)
        ).all()
        counts: dict[uuid.UUID, int] = dict(
            uow.session.execute(
                select(Membership.task_force_id, func.count())
                .where(
                    Membership.task_force_id.in_([t.id for t in forces]),
                    Membership.left_on.is_(None),
                )
                .group_by(Membership.task_force_id)
            ).all()
        )
        rows = tuple(
            TaskForceRow(
                t.id,
                t.code,
                t.name,
                t.host_country.value,
                t.lead_agency.code,
                t.joint,
                t.status.value,
                counts.get(t.id, 0),
            )
            for t in forces
            if can(actor, Permission.TASKFORCE_READ, task_force_target(t))
        )
        return Page(rows, number, size, total)


def roster_names(
    uow: UnitOfWork, actor: Actor, task_force_id: uuid.UUID | str
) -> dict[uuid.UUID, str]:
    """Names of a roster's current members the reader may see (an audited read)."""
    with uow:
        task_force = uow.session.get(TaskForce, uuid.UUID(str(task_force_id)))
        if task_force is None:
            return {}
        uow.require(
            actor,
            Permission.TASKFORCE_READ,
            task_force_target(task_force),
            action="taskforce.read",
            object_type="taskforce",
            object_id=task_force.id,
        )
        names: dict[uuid.UUID, str] = {}
        for m in task_force.memberships:
            if m.left_on is None and can(
                actor, Permission.OFFICIAL_READ, official_target(uow, m.official)
            ):
                names[m.official_id] = _row(uow, m.official).name
        if names:
            _audit_list(uow, actor, "roster", names)
            uow.commit()
        return names


def official_choices(uow: UnitOfWork, actor: Actor, official_id: uuid.UUID | str) -> OfficialRow:
    """One official's name for a form heading (an audited read)."""
    with uow:
        official = load_official(uow, official_id)
        uow.require(
            actor,
            Permission.OFFICIAL_READ,
            official_target(uow, official),
            action="official.read",
            object_type="official",
            object_id=official.id,
        )
        row = _row(uow, official)
        uow.audit.append(
            actor,
            "official.read",
            object_type="official",
            object_id=official.id,
            details={"view": "heading"},
        )
        uow.commit()
        return row


def task_force_options(uow: UnitOfWork, actor: Actor) -> list[tuple[uuid.UUID, str]]:
    """Task forces whose roster the officer may change (for the 'add to task force' form)."""
    with uow:
        forces = uow.session.scalars(select(TaskForce).order_by(TaskForce.code)).all()
        return [
            (t.id, f"{t.code} — {t.name}")
            for t in forces
            if can(actor, Permission.TASKFORCE_MANAGE, task_force_target(t))
        ]


@dataclass(frozen=True)
class RedressDetail:
    request: RedressView
    entry: EntryView
    official_name: str
    grounds: str
    decision_notes: str | None

    def __repr__(self) -> str:
        return f"<RedressDetail {self.request.id}>"


def redress_page(
    uow: UnitOfWork, actor: Actor, *, page: int = 1, size: int = 20, overdue_only: bool = False
) -> Page[RedressView]:
    """Pending appeals and requests in scope, earliest answer date first."""
    number, size = page_bounds(page, size)
    rows = list_redress(uow, actor, overdue_only=overdue_only)
    return Page(tuple(rows[(number - 1) * size : number * size]), number, size, len(rows))


def redress_detail(uow: UnitOfWork, actor: Actor, request_id: uuid.UUID | str) -> RedressDetail:
    """A request with its grounds and the entry it concerns (an audited read)."""
    from registry.models import RedressRequest
    from registry.services.common import load
    from registry.services.entries import entry_target
    from registry.services.redress import _view

    with uow:
        request = load(uow, RedressRequest, request_id, "redress request")
        assert isinstance(request, RedressRequest)
        entry = request.entry
        uow.require(
            actor,
            Permission.REDRESS_DECIDE,
            entry_target(uow, entry),
            action="redress.read",
            object_type="redress",
            object_id=request.id,
        )
        detail = RedressDetail(
            _view(request, uow.today()),
            entry_view(entry, uow.vault.open(entry, "narrative")),
            _row(uow, entry.official).name,
            uow.vault.open(request, "grounds") or "",
            uow.vault.open(request, "decision_notes"),
        )
        uow.audit.append(
            actor,
            "redress.read",
            object_type="redress",
            object_id=request.id,
            details={"entry": str(entry.id)},
        )
        uow.commit()
        return detail
