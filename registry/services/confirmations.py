"""Hit confirmation: a screener asks the originating agency to confirm or deny a hit.

Deadlines follow NCIC practice: 10 minutes for an urgent request, one hour for a routine
one. `escalate_overdue` (run every minute by `vetreg confirmations escalate`) sends a
second request when the first deadline passes, and escalates to the originating agency's
parent agency (its supervisors) when the second one passes too; from then on vetting
officers of either agency may answer.

Once the originator confirms, the requester may read the details as far as the entry's
handling code allows:

====  ============  ==========================================================
code  released      caveat
====  ============  ==========================================================
H0    entry, narrative and the listed person's identity (may be shared with vetted
      partners)
H1    the same      not for judicial use without the originator's consent
H2    entry fields  no narrative or identity; no onward sharing without consent
H3    nothing       hit/no-hit only: details stay with the originator
====  ============  ==========================================================
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from registry.errors import Conflict, NotFound, PermissionDenied
from registry.identity import Identity
from registry.models import Agency, RegistryEntry
from registry.models.base import new_id
from registry.models.enums import AuditOutcome, HandlingCode
from registry.models.screening import (
    ConfirmationRequest,
    ConfirmationStatus,
    Screening,
    ScreeningHit,
    Urgency,
)
from registry.policy import NO_TARGET, Actor, Permission, Target
from registry.services.common import load, parse_id
from registry.services.entries import EntryView, entry_view
from registry.services.officials import OfficialView, identity_from_values, open_official
from registry.services.screening import (
    IN_FORCE,
    ScreeningInput,
    query_fingerprint,
    sealed,
    validate_query,
)
from registry.services.validation import Problems
from registry.uow import UnitOfWork
from registry.vault import date_text

ANSWER_WINDOW = {Urgency.URGENT: dt.timedelta(minutes=10), Urgency.ROUTINE: dt.timedelta(hours=1)}
MAX_PER_PAGE = 200


class Answer(StrEnum):
    CONFIRM = "confirm"
    DENY = "deny"


class Direction(StrEnum):
    INCOMING = "incoming"  # to my agency, as originator (or as supervisor after escalation)
    OUTGOING = "outgoing"  # sent by my agency, as requester


class ReleaseTier(StrEnum):
    FULL = "full"
    ENTRY = "entry"
    NONE = "none"


RELEASE: dict[HandlingCode, tuple[ReleaseTier, str]] = {
    HandlingCode.H0: (ReleaseTier.FULL, "may be shared with vetted partner agencies"),
    HandlingCode.H1: (ReleaseTier.FULL, "not for judicial use without the originator's consent"),
    HandlingCode.H2: (ReleaseTier.ENTRY, "no onward sharing without the originator's consent"),
    HandlingCode.H3: (ReleaseTier.NONE, "hit/no-hit only: details stay with the originator"),
}


@dataclass(frozen=True)
class ConfirmationView:
    """A request as both sides see it (ids and codes only)."""

    id: uuid.UUID
    status: ConfirmationStatus
    urgency: Urgency
    screening_id: uuid.UUID
    entry_id: uuid.UUID
    case_ref: str
    level: str
    score: float
    originating_agency: str
    requesting_agency: str
    requested_at: dt.datetime
    due_at: dt.datetime
    reminded_at: dt.datetime | None
    escalated_at: dt.datetime | None
    answered_at: dt.datetime | None
    overdue: bool
    version: int


@dataclass(frozen=True)
class ConfirmationPage:
    items: list[ConfirmationView]
    page: int
    per_page: int
    total: int


@dataclass(frozen=True)
class ConfirmationReview:
    """What the originator compares: the candidate as screened and the listed person."""

    request: ConfirmationView
    candidate: Identity
    record: OfficialView


@dataclass(frozen=True)
class Release:
    """What the requester may read about a confirmed hit."""

    request: ConfirmationView
    handling_code: HandlingCode
    tier: ReleaseTier
    caveat: str
    entry: EntryView | None = None
    official: OfficialView | None = None


@dataclass(frozen=True)
class EscalationStep:
    request_id: uuid.UUID
    action: str  # "second_request" or "escalated"
    agency: str
    notified: str | None


def _view(req: ConfirmationRequest, now: dt.datetime) -> ConfirmationView:
    return ConfirmationView(
        req.id, req.status, req.urgency, req.hit.screening_id, req.entry_id, req.entry.case_ref,
        req.hit.level, req.hit.score, req.originating_agency.code, req.requesting_agency.code,
        req.requested_at, req.due_at, req.reminded_at, req.escalated_at, req.answered_at,
        req.status is ConfirmationStatus.PENDING and req.due_at <= now, req.version,
    )


def _load(uow: UnitOfWork, request_id: uuid.UUID | str) -> ConfirmationRequest:
    req = load(uow, ConfirmationRequest, request_id, "confirmation request")
    assert isinstance(req, ConfirmationRequest)
    return req


def _candidate_json(identity: Identity) -> str:
    return json.dumps({
        "given_names": identity.given_names, "paternal_surname": identity.paternal_surname,
        "maternal_surname": identity.maternal_surname,
        "birth_date": date_text(identity.birth_date), "sex": identity.sex, "curp": identity.curp,
    }, sort_keys=True)


def request_confirmation(
    uow: UnitOfWork, actor: Actor, screening_id: uuid.UUID | str, entry_id: uuid.UUID | str,
    urgency: str | None, candidate: ScreeningInput,
) -> ConfirmationView:
    """Ask the originator of a hit to confirm it; the candidate is sent sealed, for comparison."""
    with uow:
        uow.require(actor, Permission.SCREEN, NO_TARGET, action="confirmation.request",
                    object_type="entry", object_id=entry_id)
        hit = uow.session.scalar(
            select(ScreeningHit).join(Screening).where(
                ScreeningHit.screening_id == parse_id(screening_id, "screening"),
                ScreeningHit.entry_id == parse_id(entry_id, "entry"),
                Screening.agency_id == actor.agency_id))
        if hit is None:
            raise NotFound(f"entry {entry_id} is not a hit of your agency's screening "
                           f"{screening_id}")
        problems = Problems()
        clean_urgency = problems.choice("urgency", urgency, Urgency)
        identity = validate_query(problems, candidate, uow.today())
        if not problems and query_fingerprint(uow, identity) != hit.screening.query_fingerprint:
            problems.add("candidate", "is not the identity that was screened; send the same "
                                      "fields as in the screening")
        problems.check()
        assert clean_urgency and actor.user_id and actor.agency_id
        entry = hit.entry
        if entry.status not in IN_FORCE:
            raise Conflict(f"entry {entry.id} is no longer in force ({entry.status.value})")
        existing = uow.session.scalar(select(ConfirmationRequest.id)
                                      .where(ConfirmationRequest.hit_id == hit.id))
        if existing:
            raise Conflict(f"confirmation of this hit was already requested ({existing})")
        now = uow.clock()
        req = ConfirmationRequest(
            id=new_id(), version=1, hit_id=hit.id, entry_id=entry.id,
            requesting_agency_id=actor.agency_id, requested_by=actor.user_id,
            originating_agency_id=entry.originating_agency_id, urgency=clean_urgency,
            status=ConfirmationStatus.PENDING, requested_at=now,
            due_at=now + ANSWER_WINDOW[clean_urgency],
        )
        uow.vault.seal(sealed(req), {"candidate": _candidate_json(identity)})
        uow.session.add(req)
        uow.session.flush()
        uow.audit.append(actor, "confirmation.request", object_type="confirmation",
                         object_id=req.id, purpose=hit.screening.purpose.value, details={
                             "screening": str(hit.screening_id), "entry": str(entry.id),
                             "urgency": clean_urgency.value,
                             "originator": entry.originating_agency.code,
                         })
        uow.commit()
        return _view(req, now)


def list_confirmations(
    uow: UnitOfWork, actor: Actor, direction: str = "incoming", status: str | None = None,
    page: int = 1, per_page: int = 50,
) -> ConfirmationPage:
    """Requests to answer (incoming) or sent (outgoing) by the actor's agency, oldest due first."""
    with uow:
        problems = Problems()
        clean_direction = problems.choice("direction", direction, Direction)
        clean_status = problems.choice("status", status, ConfirmationStatus, required=False)
        if page < 1:
            problems.add("page", "must be 1 or more")
        if not 1 <= per_page <= MAX_PER_PAGE:
            problems.add("per_page", f"must be between 1 and {MAX_PER_PAGE}")
        problems.check()
        query = select(ConfirmationRequest)
        if clean_direction is Direction.INCOMING:
            uow.require(actor, Permission.CONFIRMATION_ANSWER, Target(agency_id=actor.agency_id),
                        action="confirmation.list")
            origin = aliased(Agency)
            escalated_to_me = ConfirmationRequest.escalated_at.is_not(None) & (
                origin.parent_id == actor.agency_id)
            query = query.join(
                origin, ConfirmationRequest.originating_agency_id == origin.id
            ).where(or_(ConfirmationRequest.originating_agency_id == actor.agency_id,
                        escalated_to_me))
        else:
            uow.require(actor, Permission.SCREEN, NO_TARGET, action="confirmation.list")
            query = query.where(ConfirmationRequest.requesting_agency_id == actor.agency_id)
        if clean_status:
            query = query.where(ConfirmationRequest.status == clean_status)
        total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        ordered = query.order_by(ConfirmationRequest.due_at, ConfirmationRequest.id)
        rows = uow.session.scalars(ordered.offset((page - 1) * per_page).limit(per_page))
        now = uow.clock()
        return ConfirmationPage([_view(r, now) for r in rows], page, per_page, total)


def _answer_target(actor: Actor, req: ConfirmationRequest) -> Target:
    """The originator; after escalation, also the originator's parent agency."""
    parent = req.originating_agency.parent_id
    if req.escalated_at is not None and parent is not None and parent == actor.agency_id:
        return Target(agency_id=parent)
    return Target(agency_id=req.originating_agency_id)


def review_confirmation(
    uow: UnitOfWork, actor: Actor, request_id: uuid.UUID | str
) -> ConfirmationReview:
    """The candidate as screened beside the listed person, for the originator to decide."""
    with uow:
        req = _load(uow, request_id)
        uow.require(actor, Permission.CONFIRMATION_ANSWER, _answer_target(actor, req),
                    action="confirmation.review", object_type="confirmation", object_id=req.id)
        raw = json.loads(uow.vault.open(sealed(req), "candidate") or "{}")
        candidate = identity_from_values(raw)
        record = open_official(uow, req.entry.official)
        uow.audit.append(actor, "confirmation.review", object_type="confirmation",
                         object_id=req.id, details={"entry": str(req.entry_id),
                                                    "official": str(record.id)})
        uow.commit()
        return ConfirmationReview(_view(req, uow.clock()), candidate, record)


def answer_confirmation(
    uow: UnitOfWork, actor: Actor, request_id: uuid.UUID | str, answer: str | None
) -> ConfirmationView:
    """Confirm or deny a hit, as the originating agency (or its supervisors after escalation)."""
    with uow:
        req = _load(uow, request_id)
        uow.require(actor, Permission.CONFIRMATION_ANSWER, _answer_target(actor, req),
                    action="confirmation.answer", object_type="confirmation", object_id=req.id)
        problems = Problems()
        clean = problems.choice("answer", answer, Answer)
        problems.check()
        if req.status is not ConfirmationStatus.PENDING:
            raise Conflict(f"this request was already answered ({req.status.value})")
        now = uow.clock()
        late = req.due_at <= now
        req.status = (ConfirmationStatus.CONFIRMED if clean is Answer.CONFIRM
                      else ConfirmationStatus.DENIED)
        req.answered_at, req.answered_by = now, actor.user_id
        req.version += 1
        uow.audit.append(actor, "confirmation.answer", object_type="confirmation",
                         object_id=req.id, details={
                             "answer": req.status.value, "entry": str(req.entry_id),
                             "requester": req.requesting_agency.code, "late": late,
                             "escalated": req.escalated_at is not None,
                         })
        uow.commit()
        return _view(req, now)


def confirmation_release(uow: UnitOfWork, actor: Actor, request_id: uuid.UUID | str) -> Release:
    """The requester's view: status, and once confirmed the details the handling code allows."""
    with uow:
        req = _load(uow, request_id)
        if actor.agency_id != req.requesting_agency_id:
            # Other agencies may not learn that the request exists.
            raise NotFound(f"confirmation request {request_id} does not exist")
        uow.require(actor, Permission.SCREEN, NO_TARGET, action="confirmation.release",
                    object_type="confirmation", object_id=req.id)
        entry = req.entry
        now = uow.clock()
        tier, caveat = RELEASE[entry.handling_code]
        if req.status is not ConfirmationStatus.CONFIRMED:
            return Release(_view(req, now), entry.handling_code, ReleaseTier.NONE,
                           "details are released only after the originator confirms the hit")
        release = _released(uow, req, entry, tier, caveat, now)
        uow.audit.append(actor, "confirmation.release", object_type="confirmation",
                         object_id=req.id, details={"entry": str(entry.id),
                                                    "handling_code": entry.handling_code.value,
                                                    "tier": tier.value})
        uow.commit()
        return release


def _released(uow: UnitOfWork, req: ConfirmationRequest, entry: RegistryEntry,
              tier: ReleaseTier, caveat: str, now: dt.datetime) -> Release:
    if tier is ReleaseTier.FULL:
        return Release(_view(req, now), entry.handling_code, tier, caveat,
                       entry_view(entry, uow.vault.open(sealed(entry), "narrative")),
                       open_official(uow, entry.official))
    if tier is ReleaseTier.ENTRY:
        return Release(_view(req, now), entry.handling_code, tier, caveat, entry_view(entry))
    return Release(_view(req, now), entry.handling_code, tier, caveat)


def escalate_overdue(uow: UnitOfWork, actor: Actor) -> list[EscalationStep]:
    """Second request after a missed deadline; escalation to the parent agency after two."""
    with uow:
        if not actor.system:
            uow.audit.append(actor, "confirmation.escalate", outcome=AuditOutcome.DENIED,
                             details={"reason": "only the server's scheduled job escalates"})
            uow.commit()
            raise PermissionDenied("only the server's scheduled job escalates confirmations")
        now = uow.clock()
        overdue = uow.session.scalars(
            select(ConfirmationRequest).where(
                ConfirmationRequest.status == ConfirmationStatus.PENDING,
                ConfirmationRequest.escalated_at.is_(None),
                ConfirmationRequest.due_at <= now,
            ).order_by(ConfirmationRequest.due_at)).all()
        steps = [_escalate(uow, actor, req, now) for req in overdue]
        uow.commit()
        return steps


def _escalate(uow: UnitOfWork, actor: Actor, req: ConfirmationRequest,
              now: dt.datetime) -> EscalationStep:
    origin = req.originating_agency
    req.due_at = now + ANSWER_WINDOW[req.urgency]
    req.version += 1
    if req.reminded_at is None:
        req.reminded_at, action, notified = now, "second_request", origin.code
    else:
        parent = uow.session.get(Agency, origin.parent_id) if origin.parent_id else None
        req.escalated_at, action = now, "escalated"
        notified = parent.code if parent else origin.code
    uow.audit.append(actor, f"confirmation.{action}", object_type="confirmation",
                     object_id=req.id, details={"agency": origin.code, "notified": notified,
                                                "urgency": req.urgency.value,
                                                "due": req.due_at.isoformat()})
    return EscalationStep(req.id, action, origin.code, notified)

