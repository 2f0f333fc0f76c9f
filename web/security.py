"""Response headers and error pages: the same protections on every response."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from registry.errors import (
    AuthenticationFailed,
    Conflict,
    DecryptionFailed,
    KeyUnavailable,
    NotFound,
    PermissionDenied,
)
from web.i18n import translate_message

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)
HSTS = "max-age=63072000; includeSubDomains"

_MESSAGES = {
    HTTPStatus.BAD_REQUEST: _l("The request could not be understood."),
    HTTPStatus.UNAUTHORIZED: _l("Please sign in."),
    HTTPStatus.FORBIDDEN: _l("You are not allowed to do this. The attempt has been recorded."),
    HTTPStatus.NOT_FOUND: _l("There is no such page or record."),
    HTTPStatus.METHOD_NOT_ALLOWED: _l("This action is not available here."),
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: _l("What you sent is too large."),
    HTTPStatus.TOO_MANY_REQUESTS: _l("Too many attempts. Wait a minute and try again."),
    HTTPStatus.INTERNAL_SERVER_ERROR: _l(
        "Something went wrong on our side. The problem has been logged; please try again."
    ),
    HTTPStatus.SERVICE_UNAVAILABLE: _l(
        "The registry's encryption keys are not available right now. The problem has been "
        "logged; an administrator must restore access to the keys."
    ),
}


def add_security_headers(response: Any) -> Any:
    headers = response.headers
    headers["Content-Security-Policy"] = CSP
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.is_secure:
        headers["Strict-Transport-Security"] = HSTS
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
    return response


def error_page(status: HTTPStatus, message: object = None) -> Any:
    """A generic page (or JSON under /api/) that never shows a traceback."""
    text = str(message or _MESSAGES.get(status, status.phrase))
    if request.path.startswith("/api/"):
        code = status.phrase.lower().replace(" ", "_")
        return jsonify(error={"code": code, "message": text}), status
    return render_template("error.html", status=status, message=text), status


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        status = HTTPStatus(error.code or 500)
        return error_page(status)

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError) -> Any:
        return error_page(
            HTTPStatus.BAD_REQUEST,
            _l(
                "The form has expired or was not sent from this site. "
                "Go back, reload the page and try again."
            ),
        )

    @app.errorhandler(PermissionDenied)
    def denied(_error: PermissionDenied) -> Any:
        return error_page(HTTPStatus.FORBIDDEN)

    @app.errorhandler(NotFound)
    def missing(_error: NotFound) -> Any:
        return error_page(HTTPStatus.NOT_FOUND)

    @app.errorhandler(AuthenticationFailed)
    def unauthenticated(_error: AuthenticationFailed) -> Any:
        return error_page(HTTPStatus.UNAUTHORIZED)

    @app.errorhandler(Conflict)
    def conflict(error: Conflict) -> Any:
        return error_page(HTTPStatus.CONFLICT, translate_message(str(error)))

    @app.errorhandler(DecryptionFailed)
    def unreadable(error: DecryptionFailed) -> Any:
        app.logger.error("record cannot be opened on %s: %s", request.path, error)
        return error_page(HTTPStatus.INTERNAL_SERVER_ERROR, translate_message(str(error)))

    @app.errorhandler(KeyUnavailable)
    def keys_unavailable(error: KeyUnavailable) -> Any:
        app.logger.error("keys unavailable on %s: %s", request.path, error)
        return error_page(HTTPStatus.SERVICE_UNAVAILABLE)

    @app.errorhandler(Exception)
    def crashed(error: Exception) -> Any:
        app.logger.exception(
            "unhandled error on %s %s", request.method, request.path, exc_info=error
        )
        return error_page(HTTPStatus.INTERNAL_SERVER_ERROR)
