"""The user's own account: password change and API tokens for the command line."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from registry.errors import Conflict, NotFound, ValidationFailed
from registry.policy import Permission
from registry.services import accounts, auth
from web.forms import refused, typed
from web.nav import nav_entry
from web.session import actor, uow

bp = Blueprint("account", __name__, url_prefix="/account")
nav_entry(bp, "account.tokens", _l("API tokens"), Permission.TOKEN_MANAGE_OWN, order=80)


@bp.get("/")
def index() -> Any:
    return render_template("account/index.html", values={}, errors={})


@bp.post("/password")
def password() -> Any:
    try:
        auth.change_password(
            uow(),
            actor(),
            current=request.form.get("current_password", ""),
            new=request.form.get("new_password", ""),
            confirm=request.form.get("confirm_password", ""),
        )
    except ValidationFailed as exc:
        return refused("account/index.html", exc, values={})
    flash(_("Your password was changed."), "success")
    return redirect(url_for("account.index"))


def _tokens() -> list[accounts.TokenView]:
    return accounts.list_tokens(uow(), actor())


@bp.get("/tokens")
def tokens() -> Any:
    return render_template(
        "account/tokens.html", tokens=_tokens(), values={"days": "90"}, errors={}, secret=None
    )


@bp.post("/tokens")
def create_token() -> Any:
    values = typed("name", "days")
    try:
        days = int(values["days"] or "0")
    except ValueError:
        days = 0
    try:
        _token_id, secret = accounts.create_token(uow(), actor(), name=values["name"], days=days)
    except (ValidationFailed, Conflict) as exc:
        return refused("account/tokens.html", exc, tokens=_tokens(), values=values, secret=None)
    flash(_("The token was created. Copy it now: it will not be shown again."), "success")
    return render_template(
        "account/tokens.html", tokens=_tokens(), values={"days": "90"}, errors={}, secret=secret
    )


@bp.post("/tokens/<token_id>/revoke")
def revoke_token(token_id: str) -> Any:
    try:
        accounts.revoke_token(uow(), actor(), token_id)
    except (NotFound, Conflict):
        flash(_("This token does not exist or was already revoked."), "error")
        return redirect(url_for("account.tokens"))
    flash(_("The token was revoked."), "success")
    return redirect(url_for("account.tokens"))
