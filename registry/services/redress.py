"""Redress: ARCO requests (access, rectification, cancellation, opposition) and appeals."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from registry.errors import Conflict, ValidationFailed
from registry.models import RedressRequest, RegistryEntry
from registry.models.base import new_id
from registry.models.enums import EntryStatus, RedressKind, RedressStatus
from registry.policy import Actor, Permission, can
from registry.services.common import check_version, load
from registry.services.dates import add_working_days
from registry.services.entries import entry_target, load_entry
from registry.services.validation import Problems
from registry.uow import UnitOfWork

# Granting one of these takes the entry out of force.
ENDS_ENTRY = frozenset({RedressKind.APPEAL, RedressKind.CANCELLATION, RedressKind.OPPOSITION})
ARCO_ANSWER_WORKING_DAYS = 20


@dataclass(frozen=True)
class RedressView:
    id: uuid.UUID
    entry_id: uuid.UUID
    kind: RedressKind
    status: RedressStatus
    filed_on: dt.date
    due_on: dt.date
    decided_on: dt.date | None
    version: int
    overdue: bool


def _view(request: RedressRequest, today: dt.date) -> RedressView:
    overdue = request.status is RedressStatus.PENDING and request.due_on < today
    return RedressView(
        request.id,
        request.entry_id,
        request.kind,
        request.status,
        request.filed_on,
        request.due_on,
        request.decided_on,
        request.version,
        overdue,
    )


def file_redress(
    uow: UnitOfWork,
    actor: Actor,
    entry_id: uuid.UUID | str,
    *,
    kind: str,
    grounds: str,
    filed_on: str | dt.date | None = None,
    working_days: int = ARCO_ANSWER_WORKING_DAYS,
) -> uuid.UUID:
    """File a request for the listed person; an appeal puts the entry under appeal."""
    with uow:
        entry = load_entry(uow, entry_id)
        uow.require(
            actor,
            Permission.REDRESS_FILE,
            entry_target(uow, entry),
            action="redress.file",
            object_type="entry",
            object_id=entry.id,
        )
        problems = Problems()
        clean_kind = problems.choice("kind", kind, RedressKind)
        clean_grounds = problems.text("grounds", grounds, max_length=10000)
        filed = problems.date("filed_on", filed_on or uow.today(), not_after=uow.today())
        if clean_kind is RedressKind.APPEAL and entry.status is not EntryStatus.ACTIVE:
            problems.add("kind", f"an entry that is {entry.status.value} cannot be appealed")
        problems.check()
        assert clean_kind and clean_grounds and filed
        request = RedressRequest(
            id=new_id(),
            version=1,
            entry_id=entry.id,
            kind=clean_kind,
            status=RedressStatus.PENDING,
            filed_on=filed,
            filed_by=actor.user_id,
            created_at=uow.clock(),
            due_on=add_working_days(filed, working_days, entry.originating_agency.country),
        )
        uow.vault.seal(request, {"grounds": clean_grounds, "decision_notes": None})
        uow.session.add(request)
        if clean_kind is RedressKind.APPEAL:
            entry.status = EntryStatus.UNDER_APPEAL
            entry.updated_at = uow.clock()
            uow.vault.bump(entry)
        uow.audit.append(
            actor,
            "redress.file",
            object_type="redress",
            object_id=request.id,
            details={
                "entry": str(entry.id),
                "kind": clean_kind.value,
                "due_on": request.due_on.isoformat(),
            },
        )
        uow.commit()
        return request.id


def decide_redress(
    uow: UnitOfWork,
    actor: Actor,
    request_id: uuid.UUID | str,
    *,
    granted: bool,
    notes: str | None,
    expected_version: int | None = None,
) -> RedressStatus:
    """Decide a request; a granted appeal, cancellation or opposition overturns the entry."""
    with uow:
        request = load(uow, RedressRequest, request_id, "redress request")
        assert isinstance(request, RedressRequest)
        entry = request.entry
        uow.require(
            actor,
            Permission.REDRESS_DECIDE,
            entry_target(uow, entry),
            action="redress.decide",
            object_type="redress",
            object_id=request.id,
        )
        check_version(request.version, expected_version, "this request")
        if request.status is not RedressStatus.PENDING:
            raise Conflict(f"this request was already decided ({request.status.value})")
        problems = Problems()
        clean_notes = problems.text("notes", notes, max_length=10000)
        problems.check()
        grounds = uow.vault.open(request, "grounds")
        request.status = RedressStatus.GRANTED if granted else RedressStatus.DENIED
        request.decided_on, request.decided_by = uow.today(), actor.user_id
        request.version += 1
        uow.vault.seal(request, {"grounds": grounds, "decision_notes": clean_notes})
        _apply_to_entry(uow, request, entry, granted)
        uow.audit.append(
            actor,
            "redress.decide",
            object_type="redress",
            object_id=request.id,
            details={
                "entry": str(entry.id),
                "kind": request.kind.value,
                "decision": request.status.value,
                "entry_status": entry.status.value,
            },
        )
        uow.commit()
        return request.status


def _apply_to_entry(
    uow: UnitOfWork, request: RedressRequest, entry: RegistryEntry, granted: bool
) -> None:
    new_status = entry.status
    if granted and request.kind in ENDS_ENTRY:
        new_status = EntryStatus.OVERTURNED
    elif request.kind is RedressKind.APPEAL and entry.status is EntryStatus.UNDER_APPEAL:
        new_status = EntryStatus.ACTIVE
    if new_status is not entry.status:
        entry.status = new_status
        entry.updated_at = uow.clock()
        uow.vault.bump(entry)


def list_redress(
    uow: UnitOfWork,
    actor: Actor,
    *,
    overdue_only: bool = False,
    pending_only: bool = True,
) -> list[RedressView]:
    """Requests on entries in the actor's scope; `overdue_only` lists answers past due."""
    if not actor.country:
        raise ValidationFailed.single("actor", "a country is required")
    with uow:
        today = uow.today()
        query = select(RedressRequest).order_by(RedressRequest.due_on)
        if pending_only or overdue_only:
            query = query.where(RedressRequest.status == RedressStatus.PENDING)
        if overdue_only:
            query = query.where(RedressRequest.due_on < today)
        views = []
        for request in uow.session.scalars(query):
            if can(actor, Permission.REDRESS_DECIDE, entry_target(uow, request.entry)):
                views.append(_view(request, today))
        return views
