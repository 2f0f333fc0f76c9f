"""Administration pages: accounts, and releasing an account locked after failed sign-ins."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from registry.errors import ValidationFailed
from registry.policy import Permission
from registry.services import accounts, auth
from web.i18n import translate_message
from web.nav import nav_entry
from web.session import actor, fresh_auth_required, uow

bp = Blueprint("admin", __name__, url_prefix="/admin")
nav_entry(bp, "admin.users", _l("User accounts"), Permission.USER_MANAGE, order=90)


@bp.get("/users")
def users() -> Any:
    return render_template("admin/users.html", users=accounts.list_users(uow(), actor()))


@bp.post("/users/<username>/unlock")
@fresh_auth_required
def unlock(username: str) -> Any:
    try:
        auth.unlock_user(uow(), actor(), username)
    except ValidationFailed as exc:
        flash(translate_message(exc.problems[0].message), "error")
        return redirect(url_for("admin.users"))
    flash(_("The account %(name)s was released.", name=username), "success")
    return redirect(url_for("admin.users"))
