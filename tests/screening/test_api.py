"""JSON API contract: OpenAPI document, JSON errors naming the field, status mapping."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.context import RegistryContext
from registry.policy import Actor
from registry.services import accounts
from tests.factories import World
from tests.screening.conftest import Listed
from web.api import api


@pytest.fixture
def client(ctx: RegistryContext) -> FlaskClient:
    app = Flask(__name__)
    app.extensions["vetreg"] = ctx
    app.register_blueprint(api)
    return app.test_client()


def _token(ctx: RegistryContext, username: str) -> dict[str, str]:
    secret = accounts.create_token(ctx.uow(), Actor.system_operator("t"), name="t", days=1,
                                   username=username)[1]
    return {"Authorization": f"Bearer {secret}"}


def test_openapi_document_lists_every_endpoint(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/screenings", "/api/v1/screenings/batch", "/api/v1/confirmations",
            "/api/v1/confirmations/{request_id}/answer", "/api/v1/entries/{entry_id}/summary",
            } <= set(doc["paths"])
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_errors_are_json_and_name_the_field(ctx: RegistryContext, world: World,
                                            listed: Listed, client: FlaskClient) -> None:
    headers = _token(ctx, "mx.screener")
    missing = client.post("/api/v1/screenings", json={"given_names": "Ana"})
    assert missing.status_code == HTTPStatus.UNAUTHORIZED
    assert missing.get_json()["error"]["code"] == "authentication_failed"
    schema = client.post("/api/v1/screenings", json={"given_names": "Ana", "purpose": "FUN"},
                         headers=headers)
    assert schema.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert schema.get_json()["error"]["field"] == "purpose"
    domain = client.post("/api/v1/screenings", headers=headers, json={
        "given_names": "Ana", "paternal_surname": "Ruiz", "birth_date": "1990-02-30",
        "purpose": "HIRING"})
    assert domain.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert domain.get_json()["error"]["field"] == "birth_date"
    not_json = client.post("/api/v1/screenings", data="{", headers={
        **headers, "Content-Type": "application/json"})
    assert not_json.status_code == HTTPStatus.BAD_REQUEST
    other = client.get(f"/api/v1/entries/{listed.us_entry}", headers=headers)
    assert other.status_code == HTTPStatus.FORBIDDEN
    unknown = client.get(f"/api/v1/entries/{listed.us_entry}/summary", headers=headers)
    assert unknown.status_code == HTTPStatus.NOT_FOUND
    auditor = client.post("/api/v1/screenings", headers=_token(ctx, "mx.auditor"), json={
        "given_names": "Ana", "paternal_surname": "Ruiz", "purpose": "HIRING"})
    assert auditor.status_code == HTTPStatus.FORBIDDEN
