"""Who is signed in: loads the session behind the cookie before each request.

Every page needs a signed-in user unless its view is marked `@public`; the JSON API
(token auth) is left to its own blueprint.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, redirect, request, session, url_for

from registry.context import RegistryContext
from registry.policy import Actor, Permission, can
from registry.services import auth
from registry.services.auth import SessionInfo
from registry.uow import UnitOfWork

F = TypeVar("F", bound=Callable[..., Any])
_TOKEN = "sid"
_SEEN = "seen"
_PUBLIC_BLUEPRINTS = frozenset({"api"})
_ALLOWED_WHEN_LOCKED = frozenset({"auth.reauth", "auth.logout", "auth.set_language"})


def registry_context() -> RegistryContext:
    ctx = current_app.extensions["vetreg"]
    assert isinstance(ctx, RegistryContext)
    return ctx


def uow() -> UnitOfWork:
    return registry_context().uow()


def public(view: F) -> F:
    """Mark a view that needs no signed-in user (sign-in pages, static files, errors)."""
    view.vetreg_public = True  # type: ignore[attr-defined]
    return view


def current_session() -> SessionInfo | None:
    return g.get("web_session")


def current_actor() -> Actor | None:
    info = current_session()
    return info.actor if info else None


def actor() -> Actor:
    """The signed-in actor (views behind the login requirement only)."""
    found = current_actor()
    if found is None:
        abort(401)
    return found


def may(permission: Permission) -> bool:
    """For templates: whether to show a link or button (services still decide)."""
    found = current_actor()
    return found is not None and can(found, permission)


def now() -> float:
    """The registry's clock as a timestamp (tests move it)."""
    return registry_context().clock().timestamp()


def start_session(token: str, info: SessionInfo) -> None:
    session.clear()
    session[_TOKEN] = token
    session[_SEEN] = int(now())
    session.permanent = True
    g.web_session = info


def forget_session() -> None:
    session.pop(_TOKEN, None)
    session.pop(_SEEN, None)
    g.web_session = None


def _is_public() -> bool:
    if request.endpoint is None or request.endpoint == "static":
        return True
    if request.blueprint in _PUBLIC_BLUEPRINTS:
        return True
    view = current_app.view_functions.get(request.endpoint)
    return bool(getattr(view, "vetreg_public", False))


def load_session() -> Any:
    """before_request: find the session, lock it when idle, send strangers to sign in."""
    g.web_session = None
    if request.blueprint in _PUBLIC_BLUEPRINTS:
        return None
    token = session.get(_TOKEN)
    info = auth.session_for_token(uow(), token) if token else None
    if token and info is None:
        auth.end_stale_session(uow(), token)
        forget_session()
    if info is not None:
        moment = now()
        idle = moment - float(session.get(_SEEN, 0)) > auth.IDLE_LIMIT.total_seconds()
        if idle and not info.locked:
            auth.lock_session(uow(), info.session_id)
            info = auth.session_for_token(uow(), token)
        g.web_session = info
        if info is not None and not info.locked:
            session[_SEEN] = int(moment)
    if _is_public():
        return None
    if g.web_session is None:
        return redirect(url_for("auth.login", next=_safe_next(request.full_path)))
    if g.web_session.locked and request.endpoint not in _ALLOWED_WHEN_LOCKED:
        return redirect(url_for("auth.reauth", next=_safe_next(request.full_path)))
    return None


def _safe_next(target: str | None) -> str | None:
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    return target.rstrip("?") or None


def safe_next(target: str | None, default: str) -> str:
    """A local path to return to after signing in (never another site)."""
    return _safe_next(target) or default


def fresh_auth_required(view: F) -> F:
    """Privileged actions (key and role changes, votes) ask for password and code again."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        info = current_session()
        clock = registry_context().clock
        if info is None or auth.needs_fresh_auth(info, clock()):
            return redirect(url_for("auth.reauth", next=_safe_next(request.full_path)))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
