"""The officer's start page (work due), appeals and redress requests, task-force rosters."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from registry.errors import Conflict, ValidationFailed
from registry.policy import Permission, Target, can
from registry.services import browse, confirmations
from web.forms import page_number, refused
from web.nav import nav_entry
from web.session import actor, uow

bp = Blueprint("work", __name__)
nav_entry(bp, "work.dashboard", _l("Work due"), Permission.OFFICIAL_READ, order=10)
nav_entry(
    bp, "work.confirmations", _l("Hit confirmations"), Permission.CONFIRMATION_ANSWER, order=35
)


def _answers_for_agency() -> bool:
    who = actor()
    return can(who, Permission.CONFIRMATION_ANSWER, Target(agency_id=who.agency_id))


@bp.get("/")
def index() -> Any:
    who = actor()
    if can(who, Permission.OFFICIAL_READ):
        return redirect(url_for("work.dashboard"))
    return redirect(url_for("account.index"))


@bp.get("/dashboard")
def dashboard() -> Any:
    who = actor()
    board = browse.dashboard(uow(), who)
    pending = None
    if _answers_for_agency():
        pending = confirmations.list_confirmations(uow(), who, "incoming", "pending", 1, 5)
    return render_template("work/dashboard.html", board=board, confirmations=pending)


@bp.get("/confirmations", endpoint="confirmations")
def confirmations_list() -> Any:
    """Hit-confirmation requests addressed to the officer's agency, earliest deadline first."""
    status = request.args.get("status") or "pending"
    size = current_app.config["PAGE_SIZE"]
    found = confirmations.list_confirmations(
        uow(), actor(), "incoming", None if status == "all" else status, page_number(), size
    )
    page = browse.Page(tuple(found.items), found.page, found.per_page, found.total)
    return render_template("work/confirmations.html", page=page, status=status)


@bp.route("/confirmations/<request_id>", methods=["GET", "POST"])
def confirmation(request_id: str) -> Any:
    """Compare the screened candidate with the listed person, then confirm or deny the hit."""
    who = actor()
    if request.method == "POST":
        try:
            confirmations.answer_confirmation(uow(), who, request_id, request.form.get("answer"))
        except (ValidationFailed, Conflict) as exc:
            review = confirmations.review_confirmation(uow(), who, request_id)
            return refused("work/confirmation.html", exc, review=review)
        flash(_("Your answer was sent to the requesting agency."), "success")
        return redirect(url_for("work.confirmations"))
    review = confirmations.review_confirmation(uow(), who, request_id)
    return render_template("work/confirmation.html", review=review, errors={})
