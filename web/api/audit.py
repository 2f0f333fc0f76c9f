"""Auditor endpoints: events, inclusion and consistency proofs, checkpoints, verification."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field
from spectree import Response

from registry.audit.config import AuditSettings
from registry.audit.verify import CheckpointStatus
from registry.services import audit, audit_checkpoints
from web.api.core import api, current_actor, registry, spec
from web.api.schemas import ErrorOut

ERRORS = {"HTTP_401": ErrorOut, "HTTP_403": ErrorOut, "HTTP_404": ErrorOut, "HTTP_422": ErrorOut}
TAGS = ["audit"]


def _settings() -> AuditSettings:
    return AuditSettings.from_env(registry().settings)


class EventQuery(BaseModel):
    user: str | None = Field(None, description="Acting user id (UUID).")
    agency: str | None = Field(None, description="Acting agency code, e.g. MX-GN.")
    country: str | None = Field(None, description="MX or US.")
    action: str | None = Field(None, description="Exact action, or a prefix ending in '.'.")
    object_type: str | None = None
    object_id: str | None = None
    outcome: str | None = Field(None, description="success, denied or failed.")
    since: str | None = Field(None, description="YYYY-MM-DD, inclusive.")
    until: str | None = Field(None, description="YYYY-MM-DD, inclusive.")
    page: int = Field(1, ge=1)
    per_page: int = Field(50, ge=1, le=audit.MAX_PER_PAGE)


class EventOut(BaseModel):
    seq: int
    id: uuid.UUID
    time: dt.datetime
    actor_user_id: uuid.UUID | None
    actor_agency: str | None
    actor_country: str | None
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    purpose: str | None
    details: dict[str, Any]
    hash_hex: str


class EventPageOut(BaseModel):
    total: int
    page: int
    pages: int
    items: list[EventOut]


class InclusionOut(BaseModel):
    seq: int
    event_id: str
    leaf_index: int
    tree_size: int
    leaf_hash: str
    hashes: list[str] = Field(description="Sibling hashes (hex), nearest first (RFC 9162).")
    root_hash: str
    checkpoint_number: int
    checkpoint: str = Field(description="The signed note, with every cosignature.")


class EventDetailOut(BaseModel):
    event: EventOut
    proof: InclusionOut | None
    pending_reason: str | None


class ConsistencyQuery(BaseModel):
    old: int = Field(ge=0, description="Old tree size.")
    new: int | None = Field(None, ge=0, description="New tree size (default: latest checkpoint).")


class ConsistencyOut(BaseModel):
    old_size: int
    new_size: int
    old_root: str
    new_root: str
    hashes: list[str]
    checkpoints: dict[str, str]


class CheckpointOut(BaseModel):
    number: int
    tree_size: int
    root: str
    signature_ok: bool
    root_ok: bool
    cosigned_by: list[str]
    missing: list[str]
    final: bool


class CheckpointListOut(BaseModel):
    policy: list[str]
    items: list[CheckpointOut]


class ProblemOut(BaseModel):
    kind: str
    position: int
    message: str


class VerifyOut(BaseModel):
    ok: bool
    events: int
    seconds: float
    uncovered: int
    problems: list[ProblemOut]
    latest: CheckpointOut | None


def _event(view: audit.EventView) -> EventOut:
    return EventOut(**view.to_json())


def _checkpoint(status: CheckpointStatus) -> CheckpointOut:
    return CheckpointOut(number=status.number, tree_size=status.tree_size, root=status.root_hex,
                         signature_ok=status.signature_ok, root_ok=status.root_ok,
                         cosigned_by=list(status.cosigned_by), missing=list(status.missing),
                         final=status.final)


@api.get("/audit/events")
@spec.validate(query=EventQuery, resp=Response(HTTP_200=EventPageOut, **ERRORS), tags=TAGS)
def audit_events(query: EventQuery) -> Any:
    """Audit events, newest first, filtered; ids only, never a person's identity."""
    raw = query.model_dump(exclude={"page", "per_page"})
    filters = audit.parse_filters(raw)
    page = audit.list_events(registry().uow(), current_actor(), filters, query.page,
                             query.per_page)
    return EventPageOut(total=page.total, page=page.page, pages=page.pages,
                        items=[_event(e) for e in page.items])


@api.get("/audit/events/<ref>")
@spec.validate(resp=Response(HTTP_200=EventDetailOut, **ERRORS), tags=TAGS)
def audit_event(ref: str) -> Any:
    """One event (by id or seq) with its inclusion proof against the latest checkpoint."""
    detail = audit.get_event(registry().uow(), current_actor(), ref)
    proof = InclusionOut(**detail.proof.to_json()) if detail.proof else None
    return EventDetailOut(event=_event(detail.event), proof=proof,
                          pending_reason=detail.pending_reason)


@api.get("/audit/proofs/inclusion/<ref>")
@spec.validate(resp=Response(HTTP_200=InclusionOut, **ERRORS), tags=TAGS)
def audit_inclusion(ref: str) -> Any:
    """RFC 9162 inclusion proof of an event (id or seq) in the latest checkpoint."""
    return InclusionOut(**audit.prove_inclusion(registry().uow(), current_actor(), ref).to_json())


@api.get("/audit/proofs/consistency")
@spec.validate(query=ConsistencyQuery, resp=Response(HTTP_200=ConsistencyOut, **ERRORS),
               tags=TAGS)
def audit_consistency(query: ConsistencyQuery) -> Any:
    """RFC 9162 consistency proof between two tree sizes, with the checkpoints at those sizes."""
    proof = audit.prove_consistency(registry().uow(), current_actor(), query.old, query.new)
    return ConsistencyOut(**proof.to_json())


@api.get("/audit/checkpoints")
@spec.validate(resp=Response(HTTP_200=CheckpointListOut, **ERRORS), tags=TAGS)
def audit_checkpoints_list() -> Any:
    """Every checkpoint with its log-signature, root and cosignature status, newest first."""
    settings = _settings()
    statuses = audit_checkpoints.checkpoint_statuses(registry().uow(), current_actor(),
                                                     settings.public_anchors())
    return CheckpointListOut(policy=list(settings.policy),
                             items=[_checkpoint(s) for s in reversed(statuses)])


@api.post("/audit/verify")
@spec.validate(resp=Response(HTTP_200=VerifyOut, **ERRORS), tags=TAGS)
def audit_verify() -> Any:
    """Recompute the whole log and check every checkpoint now (audited)."""
    report = audit.verify_log(registry().uow(), current_actor(), _settings().public_anchors())
    return VerifyOut(ok=report.ok, events=report.events, seconds=round(report.seconds, 3),
                     uncovered=report.uncovered,
                     problems=[ProblemOut(kind=p.kind, position=p.position, message=p.message)
                               for p in report.problems],
                     latest=_checkpoint(report.latest) if report.latest else None)
