"""The officer's start page (work due), appeals and redress requests, task-force rosters."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l

from registry.policy import Permission, can
from registry.services import browse
from web.nav import nav_entry
from web.session import actor, uow

bp = Blueprint("work", __name__)
nav_entry(bp, "work.dashboard", _l("Work due"), Permission.OFFICIAL_READ, order=10)


@bp.get("/")
def index() -> Any:
    who = actor()
    if can(who, Permission.OFFICIAL_READ):
        return redirect(url_for("work.dashboard"))
    return redirect(url_for("account.index"))


@bp.get("/dashboard")
def dashboard() -> Any:
    board = browse.dashboard(uow(), actor())
    return render_template("work/dashboard.html", board=board)
