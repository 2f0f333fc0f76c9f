"""Auditor use cases: browse events, inclusion and consistency proofs, verification, exports.

Auditors see who did what to which record id, never a person's identity: events hold ids only.
Verifications and exports are themselves audited.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, select

from registry.audit.export import ExportSummary, write_export
from registry.audit.log import event_count
from registry.audit.parallel import PARALLEL_THRESHOLD, verify_parallel
from registry.audit.scan import scan
from registry.audit.store import LEAF_CACHE, checkpoint_records, cosigned_note, latest_checkpoint
from registry.audit.verify import TrustAnchors, VerificationReport, verify_history
from registry.errors import NotFound, ValidationFailed
from registry.models.audit import AuditEvent
from registry.models.enums import AuditOutcome, Country
from registry.policy import NO_TARGET, Actor, Permission
from registry.services.validation import Problems
from registry.uow import UnitOfWork

MAX_PER_PAGE = 200
EXPORT_VIEW_LIMIT = 100_000


@dataclass(frozen=True)
class EventFilters:
    """Filters of the event list; every field optional."""

    user: uuid.UUID | None = None
    agency: str | None = None
    country: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    outcome: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def as_details(self) -> dict[str, str]:
        """The filters as audit-event details (ids and codes only)."""
        return {k: str(v) for k, v in asdict(self).items() if v is not None}


def parse_filters(raw: Mapping[str, str | None]) -> EventFilters:
    """Validate filter input (query string or CLI options), naming each bad field."""
    problems = Problems()
    user = None
    if raw.get("user"):
        try:
            user = uuid.UUID(str(raw["user"]).strip())
        except ValueError:
            problems.add("user", "must be a user id (UUID)")
    country = (raw.get("country") or "").strip().upper() or None
    if country and country not in {c.value for c in Country}:
        problems.add("country", "must be MX or US")
    outcome = (raw.get("outcome") or "").strip().lower() or None
    if outcome and outcome not in {o.value for o in AuditOutcome}:
        problems.add("outcome", "must be one of: " + ", ".join(o.value for o in AuditOutcome))
    since = problems.date("since", raw.get("since"), required=False)
    until = problems.date("until", raw.get("until"), required=False)
    if since and until and since > until:
        problems.add("until", "must not be before since")
    texts = {name: problems.text(name, raw.get(name), required=False, max_length=64)
             for name in ("agency", "action", "object_type", "object_id")}
    problems.check()
    return EventFilters(user=user, agency=(texts["agency"] or "").upper() or None,
                        country=country, action=texts["action"], object_type=texts["object_type"],
                        object_id=texts["object_id"], outcome=outcome, since=since, until=until)


@dataclass(frozen=True)
class EventView:
    """One audit event as auditors see it."""

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

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(id=str(self.id), time=self.time.isoformat(),
                    actor_user_id=str(self.actor_user_id) if self.actor_user_id else None)
        return data


@dataclass(frozen=True)
class EventPage:
    items: list[EventView]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _view(event: AuditEvent) -> EventView:
    return EventView(event.seq, event.id, event.occurred_at, event.actor_user_id,
                     event.actor_agency, event.actor_country, event.action, event.object_type,
                     event.object_id, event.outcome, event.purpose, json.loads(event.details),
                     event.hash.hex())


def _filtered(filters: EventFilters) -> Select[Any]:
    query = select(AuditEvent)
    f = filters
    if f.user:
        query = query.where(AuditEvent.actor_user_id == f.user)
    if f.agency:
        query = query.where(AuditEvent.actor_agency == f.agency)
    if f.country:
        query = query.where(AuditEvent.actor_country == f.country)
    if f.action:  # "entry." matches every entry action
        query = query.where(AuditEvent.action.startswith(f.action, autoescape=True)
                            if f.action.endswith(".") else AuditEvent.action == f.action)
    if f.object_type:
        query = query.where(AuditEvent.object_type == f.object_type)
    if f.object_id:
        query = query.where(AuditEvent.object_id == f.object_id)
    if f.outcome:
        query = query.where(AuditEvent.outcome == f.outcome)
    if f.since:
        start = dt.datetime.combine(f.since, dt.time(), dt.UTC)
        query = query.where(AuditEvent.occurred_at >= start)
    if f.until:
        end = dt.datetime.combine(f.until + dt.timedelta(days=1), dt.time(), dt.UTC)
        query = query.where(AuditEvent.occurred_at < end)
    return query


def _require_read(uow: UnitOfWork, actor: Actor, action: str) -> None:
    uow.require(actor, Permission.AUDIT_READ, NO_TARGET, action=action, object_type="audit_log")


def list_events(uow: UnitOfWork, actor: Actor, filters: EventFilters = EventFilters(),
                page: int = 1, per_page: int = 50) -> EventPage:
    """One page of events, newest first."""
    problems = Problems()
    if page < 1:
        problems.add("page", "must be 1 or more")
    if not 1 <= per_page <= MAX_PER_PAGE:
        problems.add("per_page", f"must be between 1 and {MAX_PER_PAGE}")
    problems.check()
    with uow:
        _require_read(uow, actor, "audit.list")
        query = _filtered(filters)
        total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = uow.session.scalars(
            query.order_by(AuditEvent.seq.desc()).offset((page - 1) * per_page).limit(per_page))
        return EventPage([_view(e) for e in rows], total, page, per_page)


def _find_event(uow: UnitOfWork, ref: str | int | uuid.UUID) -> AuditEvent:
    text = str(ref).strip()
    event: AuditEvent | None = None
    if text.isdigit():
        event = uow.session.get(AuditEvent, int(text))
    else:
        try:
            event_id = uuid.UUID(text)
        except ValueError:
            raise ValidationFailed.single(
                "event", "give an event id (UUID) or seq number") from None
        event = uow.session.scalar(select(AuditEvent).where(AuditEvent.id == event_id))
    if event is None:
        raise NotFound(f"audit event {text} does not exist")
    return event


@dataclass(frozen=True)
class InclusionProof:
    """RFC 9162 inclusion proof of one event in the tree of a signed checkpoint."""

    seq: int
    event_id: str
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    hashes: list[bytes]
    root_hash: bytes
    checkpoint_number: int
    checkpoint: str

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "event_id": self.event_id, "leaf_index": self.leaf_index,
                "tree_size": self.tree_size, "leaf_hash": self.leaf_hash.hex(),
                "hashes": [h.hex() for h in self.hashes], "root_hash": self.root_hash.hex(),
                "checkpoint_number": self.checkpoint_number, "checkpoint": self.checkpoint}

    @property
    def size_bytes(self) -> int:
        """Bytes of proof material: the sibling hashes."""
        return 32 * len(self.hashes)


@dataclass(frozen=True)
class EventDetail:
    event: EventView
    proof: InclusionProof | None
    pending_reason: str | None = None


def _inclusion(uow: UnitOfWork, event: AuditEvent) -> tuple[InclusionProof | None, str | None]:
    checkpoint = latest_checkpoint(uow.session)
    if checkpoint is None:
        return None, "no checkpoint has been issued yet"
    if event.seq > checkpoint.tree_size:
        return None, (f"appended after the latest checkpoint ({checkpoint.number}, size "
                      f"{checkpoint.tree_size}); it is proven once the next one is issued")
    tree = LEAF_CACHE.tree(uow.session.connection(), checkpoint.tree_size)
    index = event.seq - 1
    proof = InclusionProof(event.seq, str(event.id), index, checkpoint.tree_size,
                           tree.leaf_hash(index), tree.inclusion_proof(index, checkpoint.tree_size),
                           checkpoint.root_hash, checkpoint.number,
                           cosigned_note(uow.session, checkpoint))
    return proof, None


def get_event(uow: UnitOfWork, actor: Actor, ref: str | int | uuid.UUID) -> EventDetail:
    """One event with its inclusion proof against the latest checkpoint (when covered)."""
    with uow:
        _require_read(uow, actor, "audit.event")
        event = _find_event(uow, ref)
        proof, reason = _inclusion(uow, event)
        return EventDetail(_view(event), proof, reason)


def prove_inclusion(uow: UnitOfWork, actor: Actor, ref: str | int | uuid.UUID) -> InclusionProof:
    """Inclusion proof of an event (by id or seq) against the latest checkpoint."""
    detail = get_event(uow, actor, ref)
    if detail.proof is None:
        raise NotFound(f"no proof yet for event {ref}: {detail.pending_reason}")
    return detail.proof


@dataclass(frozen=True)
class ConsistencyProof:
    """RFC 9162 consistency proof between two tree sizes, with the roots and any checkpoints."""

    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    hashes: list[bytes]
    checkpoints: dict[int, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"old_size": self.old_size, "new_size": self.new_size,
                "old_root": self.old_root.hex(), "new_root": self.new_root.hex(),
                "hashes": [h.hex() for h in self.hashes],
                "checkpoints": {str(k): v for k, v in self.checkpoints.items()}}


def prove_consistency(uow: UnitOfWork, actor: Actor, old_size: int,
                      new_size: int | None = None) -> ConsistencyProof:
    """Consistency proof from `old_size` to `new_size` (default: the latest checkpoint's size)."""
    with uow:
        _require_read(uow, actor, "audit.consistency")
        latest = latest_checkpoint(uow.session)
        limit = latest.tree_size if latest else 0
        new = limit if new_size is None else new_size
        problems = Problems()
        if old_size < 0:
            problems.add("old_size", "must be 0 or more")
        if new > limit:
            problems.add("new_size", f"must not exceed the latest checkpoint's size ({limit})")
        if old_size > new:
            problems.add("old_size", f"must not exceed new_size ({new})")
        problems.check()
        tree = LEAF_CACHE.tree(uow.session.connection(), new)
        signed = {}
        for record in checkpoint_records(uow.session):
            if record.tree_size in (old_size, new) and record.tree_size not in signed:
                signed[record.tree_size] = record.note
        return ConsistencyProof(old_size, new, tree.root(old_size), tree.root(new),
                                tree.consistency_proof(old_size, new), signed)


def verify_log(uow: UnitOfWork, actor: Actor, anchors: TrustAnchors,
               workers: int = 1) -> VerificationReport:
    """Recompute the whole tree from the database and check every checkpoint; audited.

    With `workers` > 1 a large log is read by that many processes (committed events only).
    """
    with uow:
        _require_read(uow, actor, "audit.verify")
        records = checkpoint_records(uow.session)
        connection = uow.session.connection()
        size = event_count(connection)
        if workers > 1 and size >= PARALLEL_THRESHOLD:
            url = connection.engine.url.render_as_string(hide_password=False)
            report = verify_parallel(url, size, records, anchors, workers)
        else:
            report = verify_history(scan(connection), records, anchors)
        first = report.first_problem
        details: dict[str, str | int | bool | None] = {
            "events": report.events, "checkpoints": len(records), "problems": len(report.problems)}
        if first:
            details.update(first_kind=first.kind, first_position=first.position)
        uow.audit.append(actor, "audit.verify", object_type="audit_log",
                         outcome=AuditOutcome.SUCCESS if report.ok else AuditOutcome.FAILED,
                         details=details)
        uow.commit()
        return report


def export_log(uow: UnitOfWork, actor: Actor, folder: Path, anchors: TrustAnchors) -> ExportSummary:
    """Write the whole log, checkpoints and public keys to `folder`; the export is audited."""
    with uow:
        uow.require(actor, Permission.AUDIT_EXPORT, NO_TARGET, action="audit.export",
                    object_type="audit_log")
        records = checkpoint_records(uow.session)
        summary = write_export(folder, scan(uow.session.connection()), records,
                               anchors, uow.clock())
        uow.audit.append(actor, "audit.export", object_type="audit_log", details={
            "events": summary.events, "checkpoints": summary.checkpoints, "format": "full"})
        uow.commit()
        return summary


CSV_COLUMNS = ("seq", "id", "time", "actor_user_id", "actor_agency", "actor_country", "action",
               "object_type", "object_id", "outcome", "purpose", "details", "hash_hex")


def _rows(uow: UnitOfWork, filters: EventFilters) -> Iterator[EventView]:
    query = _filtered(filters).order_by(AuditEvent.seq).limit(EXPORT_VIEW_LIMIT)
    for event in uow.session.scalars(query):
        yield _view(event)


def export_events(uow: UnitOfWork, actor: Actor, filters: EventFilters, fmt: str) -> str:
    """A filtered view of the log as CSV or JSONL text (oldest first); the export is audited."""
    if fmt not in ("csv", "jsonl"):
        raise ValidationFailed.single("format", "must be csv or jsonl")
    with uow:
        uow.require(actor, Permission.AUDIT_EXPORT, NO_TARGET, action="audit.export",
                    object_type="audit_log")
        out = io.StringIO()
        count = 0
        if fmt == "csv":
            writer = csv.writer(out)
            writer.writerow(CSV_COLUMNS)
            for view in _rows(uow, filters):
                data = view.to_json()
                data["details"] = json.dumps(view.details, sort_keys=True)
                writer.writerow([_csv_safe(data[c]) for c in CSV_COLUMNS])
                count += 1
        else:
            for view in _rows(uow, filters):
                out.write(json.dumps(view.to_json(), sort_keys=True) + "\n")
                count += 1
        uow.audit.append(actor, "audit.export", object_type="audit_log",
                         details={"format": fmt, "events": count, **filters.as_details()})
        uow.commit()
        return out.getvalue()


def _csv_safe(value: object) -> object:
    # Keep spreadsheet programs from evaluating a cell as a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
