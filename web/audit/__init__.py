"""Auditor pages: the event log with filters, an event with its proof, checkpoints, verify now.

Auditors see who did what to which record id; never a person's identity (events hold ids).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from registry.audit.config import AuditSettings
from registry.errors import ValidationFailed
from registry.policy import Permission
from registry.services import audit, audit_checkpoints
from web.forms import page_number, refused
from web.nav import nav_entry
from web.session import actor, registry_context, uow

bp = Blueprint("audit_pages", __name__, url_prefix="/audit")
nav_entry(bp, "audit_pages.events", _l("Audit log"), Permission.AUDIT_READ, order=60)

FILTER_FIELDS = ("user", "agency", "country", "action", "object_type", "object_id", "outcome",
                 "since", "until")


def _settings() -> AuditSettings:
    return AuditSettings.from_env(registry_context().settings)


def _raw_filters() -> dict[str, str]:
    return {name: request.args.get(name, "").strip() for name in FILTER_FIELDS}


@bp.get("/")
def events() -> Any:
    """Events, newest first, filtered and paginated."""
    raw = _raw_filters()
    size = current_app.config.get("PAGE_SIZE", 50)
    try:
        filters = audit.parse_filters(raw)
        page = audit.list_events(uow(), actor(), filters, page_number(), size)
    except ValidationFailed as exc:
        return refused("audit/events.html", exc, page=None, filters=raw)
    query = {k: v for k, v in raw.items() if v}
    return render_template("audit/events.html", page=page, filters=raw, query=query, errors={})


@bp.get("/export.<fmt>")
def export(fmt: str) -> Any:
    """The filtered view as CSV or JSONL (oldest first); the export itself is audited."""
    if fmt not in ("csv", "jsonl"):
        return render_template("error.html", message=_("Unknown format.")), HTTPStatus.NOT_FOUND
    try:
        filters = audit.parse_filters(_raw_filters())
    except ValidationFailed as exc:
        return refused("audit/events.html", exc, page=None, filters=_raw_filters())
    body = audit.export_events(uow(), actor(), filters, fmt)
    mimetype = "text/csv" if fmt == "csv" else "application/x-ndjson"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename=audit-events.{fmt}"})


@bp.get("/events/<ref>")
def event(ref: str) -> Any:
    """One event with its inclusion proof against the latest checkpoint."""
    detail = audit.get_event(uow(), actor(), ref)
    return render_template("audit/event.html", detail=detail)


@bp.get("/checkpoints")
def checkpoints() -> Any:
    """Checkpoint history: log signature, root and cosignatures of each, newest first."""
    settings = _settings()
    statuses = audit_checkpoints.checkpoint_statuses(uow(), actor(), settings.public_anchors())
    size = current_app.config.get("PAGE_SIZE", 50)
    page = page_number()
    newest = list(reversed(statuses))
    pages = max(1, -(-len(newest) // size))
    return render_template("audit/checkpoints.html", items=newest[(page - 1) * size:page * size],
                           page=page, pages=pages, total=len(newest), policy=settings.policy)


@bp.route("/verify", methods=["GET", "POST"])
def verify() -> Any:
    """Verify the whole log now and show the result (the verification is audited)."""
    report = None
    if request.method == "POST":
        report = audit.verify_log(uow(), actor(), _settings().public_anchors())
    return render_template("audit/verify.html", report=report)
