"""Lifecycle endpoints: task-force compliance status and the recertification due list."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field
from spectree import Response

from registry.services import recertification, taskforces
from web.api.core import api, current_actor, registry, spec
from web.api.schemas import ErrorOut

ERRORS = {"HTTP_401": ErrorOut, "HTTP_403": ErrorOut, "HTTP_404": ErrorOut, "HTTP_422": ErrorOut}


class ReasonOut(BaseModel):
    official_id: uuid.UUID
    rule: str
    senior: bool
    noted_at: dt.datetime


class MemberOut(BaseModel):
    official_id: uuid.UUID
    official_country: str
    senior: bool
    due_on: dt.date | None
    breach: str | None


class TaskForceStatusOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    joint: bool
    status: str
    funding_suspended: bool
    compliant: bool
    suspended_since: dt.datetime | None
    reasons: list[ReasonOut]
    members: list[MemberOut]


class DueQuery(BaseModel):
    within: str = Field("30d", description="Window ahead: 30d, 12w, 6m; overdue are always listed.")
    agency: str | None = Field(None, description="Agency code.")
    include_unvetted: bool = True
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0)


class DueItemOut(BaseModel):
    official_id: uuid.UUID
    agency: str
    country: str
    task_force: bool
    state: str
    last_pass_on: dt.date | None
    due_on: dt.date | None
    days_left: int | None


class DueListOut(BaseModel):
    total: int
    items: list[DueItemOut]


def _status_out(view: taskforces.TaskForceStatusView) -> TaskForceStatusOut:
    return TaskForceStatusOut(
        id=view.id,
        code=view.code,
        name=view.name,
        joint=view.joint,
        status=view.status.value,
        funding_suspended=view.funding_suspended,
        compliant=view.compliant,
        suspended_since=view.suspended_since,
        reasons=[
            ReasonOut(official_id=r.official_id, rule=r.rule, senior=r.senior, noted_at=r.noted_at)
            for r in view.reasons
        ],
        members=[
            MemberOut(
                official_id=m.official_id,
                official_country=m.official_country.value,
                senior=m.senior,
                due_on=m.due_on,
                breach=m.breach,
            )
            for m in view.members
        ],
    )


@api.get("/taskforces/<task_force_id>/status")
@spec.validate(resp=Response(HTTP_200=TaskForceStatusOut, **ERRORS), tags=["lifecycle"])
def task_force_status(task_force_id: str) -> Any:
    """A task force's compliance: suspended or not, why, and each member's standing."""
    view = taskforces.task_force_status(registry().uow(), current_actor(), task_force_id)
    return _status_out(view)


@api.get("/recertification/due")
@spec.validate(query=DueQuery, resp=Response(HTTP_200=DueListOut, **ERRORS), tags=["lifecycle"])
def due_list(query: DueQuery) -> Any:
    """Officials due for recertification within the window, overdue, never vetted or failed."""
    items, total = recertification.due_list(
        registry().uow(),
        current_actor(),
        within=query.within,
        agency=query.agency,
        include_unvetted=query.include_unvetted,
        limit=query.limit,
        offset=query.offset,
    )
    out = DueListOut(
        total=total,
        items=[
            DueItemOut(
                official_id=i.official_id,
                agency=i.agency,
                country=i.country,
                task_force=i.task_force,
                state=i.state,
                last_pass_on=i.last_pass_on,
                due_on=i.due_on,
                days_left=i.days_left,
            )
            for i in items
        ],
    )
    return out
