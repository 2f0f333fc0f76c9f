"""Vetting lifecycle pages: due lists, task-force compliance, commission overrides, draws."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from registry.errors import Conflict, ValidationFailed
from registry.policy import Permission
from registry.services import overrides, recertification, revetting, schedule_export, taskforces
from web.forms import page_number, refused, typed
from web.i18n import translate_message
from web.labels import term
from web.nav import nav_entry
from web.session import actor, registry_context, uow

bp = Blueprint("lifecycle", __name__, url_prefix="/lifecycle")
nav_entry(bp, "lifecycle.due", _l("Recertification"), Permission.SCHEDULE_READ, order=45)
nav_entry(bp, "lifecycle.compliance", _l("Compliance"), Permission.TASKFORCE_READ, order=46)
nav_entry(
    bp,
    "lifecycle.override_list",
    _l("Overrides"),
    (Permission.OVERRIDE_VOTE, Permission.OVERRIDE_REQUEST),
    order=47,
)
nav_entry(bp, "lifecycle.draws", _l("Re-vetting draws"), Permission.REVET_DRAW, order=48)


def _filters() -> dict[str, Any]:
    return {
        "within": request.args.get("within", "30d"),
        "agency": request.args.get("agency") or None,
        "include_unvetted": request.args.get("unvetted", "yes") == "yes",
    }


@bp.get("/due")
def due() -> Any:
    """Who is due within the window, overdue, never vetted or failed."""
    filters = _filters()
    size = current_app.config.get("PAGE_SIZE", 50)
    page = page_number()
    try:
        items, total = recertification.due_list(
            uow(), actor(), limit=size, offset=(page - 1) * size, **filters
        )
    except ValidationFailed as exc:
        return refused(
            "lifecycle/due.html", exc, items=[], total=0, page=1, pages=1, filters=filters
        )
    pages = max(1, (total + size - 1) // size)
    return render_template(
        "lifecycle/due.html",
        items=items,
        total=total,
        page=page,
        pages=pages,
        filters=filters,
        errors={},
    )


@bp.get("/due.<fmt>")
def due_export(fmt: str) -> Any:
    """The whole due list as CSV or as an iCalendar file."""
    if fmt not in ("csv", "ics"):
        return render_template("error.html", message=_("Unknown format.")), HTTPStatus.NOT_FOUND
    items = list(recertification.iter_due(uow(), actor(), **_filters()))
    if fmt == "csv":
        return Response(
            schedule_export.to_csv(items),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=recertification-due.csv"},
        )
    now = registry_context().clock()
    return Response(
        schedule_export.to_ics(items, now.date(), now),
        mimetype="text/calendar",
        headers={"Content-Disposition": "attachment; filename=recertification-due.ics"},
    )


@bp.get("/compliance")
def compliance() -> Any:
    """Every task force's compliance, suspended ones first."""
    size = current_app.config.get("PAGE_SIZE", 50)
    page = page_number()
    suspended = request.args.get("suspended") == "yes"
    views, total = taskforces.list_task_force_status(
        uow(),
        actor(),
        status="suspended" if suspended else None,
        limit=size,
        offset=(page - 1) * size,
    )
    return render_template(
        "lifecycle/compliance.html",
        views=views,
        total=total,
        page=page,
        pages=max(1, (total + size - 1) // size),
        suspended=suspended,
    )


@bp.get("/compliance/<task_force_id>")
def task_force(task_force_id: str) -> Any:
    view = taskforces.task_force_status(uow(), actor(), task_force_id)
    return render_template("lifecycle/task_force.html", tf=view)


@bp.get("/overrides")
def override_list() -> Any:
    status = request.args.get("status") or None
    views = overrides.list_overrides(uow(), actor(), status=status)
    return render_template("lifecycle/overrides.html", views=views, status=status)


@bp.route("/overrides/new", methods=["GET", "POST"])
def override_new() -> Any:
    values = typed("task_force", "official", "duration_days", "reason")
    if request.method == "GET":
        values["task_force"] = request.args.get("task_force", "")
        values["duration_days"] = "30"
        return render_template("lifecycle/override_new.html", values=values, errors={})
    try:
        days = int(values["duration_days"]) if values["duration_days"].strip().isdigit() else -1
        request_id = overrides.request_override(
            uow(),
            actor(),
            task_force_id=values["task_force"],
            reason=values["reason"],
            duration_days=days,
            official_id=values["official"].strip() or None,
        )
    except (ValidationFailed, Conflict) as exc:
        return refused("lifecycle/override_new.html", exc, values=values)
    flash(
        _("The request was filed; it takes effect once every required department approves."),
        "success",
    )
    return redirect(url_for("lifecycle.override_show", request_id=request_id))


@bp.get("/overrides/<request_id>")
def override_show(request_id: str) -> Any:
    view = overrides.get_override(uow(), actor(), request_id)
    missing = sorted(set(view.required_departments) - set(view.approved_by))
    return render_template("lifecycle/override.html", o=view, missing=missing)


@bp.post("/overrides/<request_id>/vote")
def override_vote(request_id: str) -> Any:
    decision = request.form.get("decision")
    if decision not in ("approve", "reject"):
        flash(_("Choose approve or reject."), "error")
        return redirect(url_for("lifecycle.override_show", request_id=request_id))
    try:
        status = overrides.vote(uow(), actor(), request_id, approve=decision == "approve")
    except Conflict as exc:
        flash(_("Not saved: %(reason)s", reason=translate_message(str(exc))), "error")
        return redirect(url_for("lifecycle.override_show", request_id=request_id))
    flash(
        _(
            "Your vote was recorded; the request is %(status)s.",
            status=term("override_status", status).lower(),
        ),
        "success",
    )
    return redirect(url_for("lifecycle.override_show", request_id=request_id))


@bp.get("/draws")
def draws() -> Any:
    return render_template("lifecycle/draws.html", views=revetting.list_draws(uow(), actor()))


@bp.get("/draws/<draw_id>")
def draw(draw_id: str) -> Any:
    return render_template("lifecycle/draw.html", d=revetting.get_draw(uow(), actor(), draw_id))
