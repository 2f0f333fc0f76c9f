"""Sign-in pages: system-use notice + password, TOTP code (or enrolment), unlock, sign-out."""

from __future__ import annotations

import uuid
from typing import Any

import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from registry.errors import AuthenticationFailed, ValidationFailed
from registry.services import auth
from web import limiter
from web.i18n import choose_locale, field_errors, translate_message
from web.session import (
    current_session,
    forget_session,
    now,
    public,
    safe_next,
    start_session,
    uow,
)

bp = Blueprint("auth", __name__, url_prefix="/auth")
_PENDING = "pending_user"
_PENDING_AT = "pending_at"
_PENDING_ENROL = "pending_enrol"
_PENDING_MAX_SECONDS = 300


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _failure_message(error: AuthenticationFailed) -> str:
    if isinstance(error, auth.AccountLocked):
        return _(
            "This account is locked after repeated failed sign-ins. "
            "An administrator must release it."
        )
    if isinstance(error, auth.AccountDisabled):
        return _("This account is disabled. Ask an administrator.")
    if "already used" in str(error):
        return _("The code is wrong or was already used. Wait for the next code.")
    return _("The user name, password or code is wrong.")


def _pending_user() -> uuid.UUID | None:
    raw = session.get(_PENDING)
    started = float(session.get(_PENDING_AT, 0))
    if not raw or now() - started > _PENDING_MAX_SECONDS:
        return None
    return uuid.UUID(raw)


def _clear_pending() -> None:
    for key in (_PENDING, _PENDING_AT, _PENDING_ENROL):
        session.pop(key, None)


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Any:
    if current_session() and not current_session().locked:  # type: ignore[union-attr]
        return redirect(url_for("work.dashboard"))
    values = {"username": request.form.get("username", "")}
    errors: dict[str, list[str]] = {}
    next_path = request.values.get("next")
    if request.method == "POST":
        try:
            accepted = auth.check_password(
                uow(),
                username=values["username"],
                password=request.form.get("password", ""),
                notice_acknowledged=request.form.get("notice") == "yes",
            )
        except ValidationFailed as exc:
            errors = field_errors(exc.problems)
        except AuthenticationFailed as exc:
            flash(_failure_message(exc), "error")
            return render_template("auth/login.html", values=values, errors=errors,
                                   next_path=next_path), 401
        else:
            session.clear()
            session[_PENDING], session[_PENDING_AT] = str(accepted.user_id), now()
            session[_PENDING_ENROL] = accepted.needs_enrolment
            target = "auth.enrol" if accepted.needs_enrolment else "auth.code"
            return redirect(url_for(target, next=safe_next(next_path, "") or None))
    status = 400 if errors else 200
    return render_template(
        "auth/login.html", values=values, errors=errors, next_path=next_path
    ), status


@bp.route("/code", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def code() -> Any:
    user_id = _pending_user()
    if user_id is None or session.get(_PENDING_ENROL):
        flash(_("Please sign in again."), "warning")
        return redirect(url_for("auth.login"))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            token, info = auth.complete_login(uow(), user_id, request.form.get("code", ""))
        except ValidationFailed as exc:
            errors = field_errors(exc.problems)
        except AuthenticationFailed as exc:
            if isinstance(exc, auth.AccountLocked | auth.AccountDisabled):
                _clear_pending()
                flash(_failure_message(exc), "error")
                return redirect(url_for("auth.login"))
            errors = {"code": [_failure_message(exc)]}
        else:
            return _signed_in(token, info)
    return render_template("auth/code.html", errors=errors), 400 if errors else 200


def _signed_in(token: str, info: auth.SessionInfo) -> Any:
    next_path = safe_next(request.args.get("next"), url_for("work.dashboard"))
    locale = session.get("locale")
    start_session(token, info)
    if locale:
        choose_locale(locale)
    flash(_("You are signed in."), "success")
    return redirect(next_path)


@bp.route("/enrol", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def enrol() -> Any:
    user_id = _pending_user()
    if user_id is None or not session.get(_PENDING_ENROL):
        flash(_("Please sign in again."), "warning")
        return redirect(url_for("auth.login"))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            token, info = auth.confirm_enrolment(uow(), user_id, request.form.get("code", ""))
        except ValidationFailed as exc:
            errors = field_errors(exc.problems)
        except AuthenticationFailed as exc:
            if isinstance(exc, auth.AccountLocked | auth.AccountDisabled):
                _clear_pending()
                flash(_failure_message(exc), "error")
                return redirect(url_for("auth.login"))
            errors = {"code": [_failure_message(exc)]}
        else:
            return _signed_in(token, info)
        return render_template("auth/enrol.html", enrolment=None, qr=None, errors=errors), 400
    enrolment = auth.start_enrolment(uow(), user_id)
    qr = segno.make(enrolment.uri, error="m").svg_data_uri(scale=4, border=2)
    return render_template("auth/enrol.html", enrolment=enrolment, qr=qr, errors=errors)


@bp.route("/reauth", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def reauth() -> Any:
    """Unlock an idle session, or confirm identity before a privileged action."""
    info = current_session()
    assert info is not None
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            auth.reauthenticate(
                uow(),
                info.session_id,
                password=request.form.get("password", ""),
                code=request.form.get("code", ""),
            )
        except ValidationFailed as exc:
            errors = field_errors(exc.problems)
        except AuthenticationFailed as exc:
            if auth.session_for_token(uow(), session.get("sid")) is None:
                forget_session()
                flash(_failure_message(exc), "error")
                return redirect(url_for("auth.login"))
            errors = {"code": [_failure_message(exc)]}
        else:
            session["seen"] = int(now())
            flash(_("Identity confirmed."), "success")
            return redirect(safe_next(request.args.get("next"), url_for("work.dashboard")))
    return render_template("auth/reauth.html", errors=errors, locked=info.locked), (
        400 if errors else 200
    )


@bp.post("/logout")
@public
def logout() -> Any:
    info = current_session()
    if info is not None:
        auth.end_session(uow(), info.session_id)
    locale = session.get("locale")
    session.clear()
    if locale:
        choose_locale(locale)
    flash(_("You have signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.post("/language")
@public
def set_language() -> Any:
    """Switch language on any page; a signed-in user's choice is kept in her profile."""
    locale = request.form.get("locale", "")
    choose_locale(locale)
    info = current_session()
    if info is not None and not info.locked and locale in auth.LOCALES:
        try:
            auth.set_preferred_locale(uow(), info.actor, locale)
        except ValidationFailed as exc:
            flash(translate_message(str(exc)), "error")
    return redirect(safe_next(request.form.get("next"), url_for("auth.login")))
