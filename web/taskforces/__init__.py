"""Task forces: the list, creating one, and managing its roster."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from registry.errors import Conflict, NotFound, ValidationFailed
from registry.policy import Permission
from registry.services import browse, taskforces
from web.forms import page_number, refused, typed
from web.i18n import translate_message
from web.nav import nav_entry
from web.session import actor, uow

bp = Blueprint("taskforces", __name__, url_prefix="/taskforces")
nav_entry(bp, "taskforces.index", _l("Task forces"), Permission.TASKFORCE_READ, order=40)


@bp.get("/")
def index() -> Any:
    page = browse.list_task_forces(
        uow(), actor(), page=page_number(), size=current_app.config["PAGE_SIZE"]
    )
    return render_template("taskforces/index.html", page=page)


@bp.route("/new", methods=["GET", "POST"])
def create() -> Any:
    values = typed("code", "name", "joint")
    if request.method == "GET":
        values["joint"] = "yes"
        return render_template("taskforces/new.html", values=values, errors={})
    try:
        task_force_id = taskforces.create_task_force(
            uow(), actor(), code=values["code"], name=values["name"], joint=values["joint"] == "yes"
        )
    except (ValidationFailed, Conflict) as exc:
        return refused("taskforces/new.html", exc, values=values)
    flash(_("The task force was created."), "success")
    return redirect(url_for("taskforces.show", task_force_id=task_force_id))


@bp.get("/<task_force_id>")
def show(task_force_id: str) -> Any:
    who = actor()
    view = taskforces.get_task_force(uow(), who, task_force_id)
    names = browse.roster_names(uow(), who, view.id)
    return render_template("taskforces/show.html", tf=view, names=names)


@bp.post("/<task_force_id>/members/<official_id>/remove")
def remove_member(task_force_id: str, official_id: str) -> Any:
    try:
        taskforces.remove_member(
            uow(), actor(), task_force_id, official_id, left_on=request.form.get("left_on") or None
        )
    except (ValidationFailed, NotFound) as exc:
        if isinstance(exc, NotFound) and "roster" not in str(exc):
            raise
        message = (
            "; ".join(translate_message(p.message) for p in exc.problems)
            if isinstance(exc, ValidationFailed)
            else _("This official is not on the roster.")
        )
        flash(_("Not saved: %(reason)s", reason=message), "error")
        return redirect(url_for("taskforces.show", task_force_id=task_force_id))
    flash(_("The official was taken off the roster."), "success")
    return redirect(url_for("taskforces.show", task_force_id=task_force_id))
