"""The API's plumbing: blueprint, OpenAPI/validation (spectree + pydantic), bearer auth, errors.

Request and response bodies are pydantic v2 models checked by spectree, which also builds
the OpenAPI document served at /api/v1/openapi.json from the same models, so the document
cannot drift from what the server accepts. Every error is JSON:
`{"error": {"code", "message", "field"?, "problems"?: [{"field", "message", "row"?}]}}`.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from pydantic import ValidationError
from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from werkzeug.exceptions import HTTPException

from registry.context import RegistryContext
from registry.errors import (
    AuthenticationFailed,
    Conflict,
    DecryptionFailed,
    FieldProblem,
    KeyUnavailable,
    NotFound,
    PermissionDenied,
    RegistryError,
    ValidationFailed,
)
from registry.policy import Actor
from registry.services.accounts import authenticate_token

log = logging.getLogger(__name__)

api = Blueprint("api", __name__, url_prefix="/api/v1")

STATUS: dict[type[RegistryError], HTTPStatus] = {
    ValidationFailed: HTTPStatus.UNPROCESSABLE_ENTITY,
    AuthenticationFailed: HTTPStatus.UNAUTHORIZED,
    PermissionDenied: HTTPStatus.FORBIDDEN,
    NotFound: HTTPStatus.NOT_FOUND,
    Conflict: HTTPStatus.CONFLICT,
    DecryptionFailed: HTTPStatus.INTERNAL_SERVER_ERROR,
    KeyUnavailable: HTTPStatus.SERVICE_UNAVAILABLE,
}
# Endpoints that answer without a token.
PUBLIC_ENDPOINTS = {"api.health", "api.openapi"}


class ApiError(Exception):
    """An HTTP-level refusal raised by the adapter itself (bad JSON, missing token)."""

    def __init__(
        self,
        status: HTTPStatus,
        code: str,
        message: str,
        problems: list[FieldProblem] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.problems = status, code, message, problems


def _schema_problems(error: ValidationError) -> list[FieldProblem]:
    problems = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"]) or "body"
        problems.append(FieldProblem(field, str(item["msg"])))
    return problems


def _before(req: Any, _resp: Any, error: Exception | None, _instance: Any, _adapter: Any) -> None:
    """Turn spectree's schema errors into our error format (400 for a body that is not JSON)."""
    if error is None:
        return
    if req.method in ("POST", "PUT", "PATCH") and req.get_json(silent=True) is None:
        raise ApiError(
            HTTPStatus.BAD_REQUEST,
            "bad_request",
            "the request body must be a JSON object (Content-Type: application/json)",
        )
    if isinstance(error, ValidationError):
        problems = _schema_problems(error)
        raise ApiError(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "validation_failed",
            "; ".join(f"{p.field}: {p.message}" for p in problems),
            problems,
        )
    raise ApiError(HTTPStatus.BAD_REQUEST, "bad_request", str(error))


spec = SpecTree(
    "flask",
    title="Joint Task-Force Vetting Registry API",
    version="1",
    description="Screening, hit confirmation and registry reads. Bearer token: "
    "`vetreg tokens create USER` (administrator), then `vetreg login`.",
    path="docs",
    mode="strict",
    before=_before,
    validation_error_status=HTTPStatus.UNPROCESSABLE_ENTITY,
    security_schemes=[
        SecurityScheme(name="bearer", data=SecuritySchemeData(type="http", scheme="bearer"))
    ],
    security={"bearer": []},
)


def registry() -> RegistryContext:
    context = current_app.extensions["vetreg"]
    assert isinstance(context, RegistryContext)
    return context


def current_actor() -> Actor:
    actor = g.get("api_actor")
    assert isinstance(actor, Actor), "authenticate() runs before every private endpoint"
    return actor


@api.before_request
def authenticate() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS or (request.endpoint or "").startswith("api.openapi_"):
        return
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise AuthenticationFailed(
            "send the API token as 'Authorization: Bearer <token>' (vetreg login, or VETREG_TOKEN)"
        )
    g.api_actor = authenticate_token(registry().uow(), secret.strip())


def error_response(
    status: HTTPStatus, code: str, message: str, problems: list[FieldProblem] | None = None
) -> tuple[Response, HTTPStatus]:
    body: dict[str, Any] = {"code": code, "message": message}
    if problems:
        body["problems"] = [
            {
                "field": p.field,
                "message": p.message,
                **({"row": p.row} if p.row is not None else {}),
            }
            for p in problems
        ]
        if len({p.field for p in problems}) == 1:
            body["field"] = problems[0].field
    response = jsonify(error=body)
    if status is HTTPStatus.UNAUTHORIZED:
        response.headers["WWW-Authenticate"] = 'Bearer realm="vetreg"'
    return response, status


@api.errorhandler(RegistryError)
def registry_error(error: RegistryError) -> tuple[Response, HTTPStatus]:
    status = next(
        (s for cls, s in STATUS.items() if isinstance(error, cls)), HTTPStatus.INTERNAL_SERVER_ERROR
    )
    problems = error.problems if isinstance(error, ValidationFailed) else None
    if status is HTTPStatus.INTERNAL_SERVER_ERROR:
        log.error("registry error on %s: %s", request.path, error.code)
        return error_response(status, error.code, "the server could not complete the request")
    return error_response(status, error.code, str(error), problems)


@api.errorhandler(ApiError)
def api_error(error: ApiError) -> tuple[Response, HTTPStatus]:
    return error_response(error.status, error.code, error.message, error.problems)


@api.errorhandler(HTTPException)
def http_error(error: HTTPException) -> tuple[Response, HTTPStatus]:
    status = HTTPStatus(error.code or HTTPStatus.INTERNAL_SERVER_ERROR)
    return error_response(
        status, status.phrase.lower().replace(" ", "_"), error.description or status.description
    )


@api.errorhandler(Exception)
def unexpected_error(error: Exception) -> tuple[Response, HTTPStatus]:
    # Never a traceback (or the personal data a traceback might hold) in the response.
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_response(
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "internal_error",
        "the server could not complete the request",
    )


@api.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI document of this API."""
    return jsonify(spec.spec)


@api.get("/health")
@spec.validate(security={})
def health() -> Any:
    """Liveness check (no token needed)."""
    return jsonify(status="ok")
