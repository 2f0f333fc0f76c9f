"""Auditor proofs over the JSON API (/api/v1/audit/...)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.audit.checkpoint import signing_vkey
from registry.audit.config import AuditSettings
from registry.audit.merkle import verify_consistency, verify_inclusion
from registry.context import RegistryContext
from registry.crypto.signing import Ed25519Key
from registry.policy import Actor
from registry.services import accounts, audit_checkpoints
from tests.audit.conftest import ORIGIN, Witnesses
from tests.factories import World, register
from web.api import api


@pytest.fixture
def client(ctx: RegistryContext, monkeypatch: pytest.MonkeyPatch, log_key: Ed25519Key,
           witnesses: Witnesses) -> FlaskClient:
    monkeypatch.setenv("VETREG_AUDIT_ORIGIN", ORIGIN)
    monkeypatch.setenv("VETREG_LOG_VKEY", signing_vkey(log_key))
    monkeypatch.setenv("VETREG_WITNESS_KEYS",
                       ",".join(f"{c}={v}" for c, v in witnesses.vkeys.items()))
    app = Flask(__name__)
    app.extensions["vetreg"] = ctx
    app.register_blueprint(api)
    return app.test_client()


def _token(ctx: RegistryContext, username: str) -> dict[str, str]:
    secret = accounts.create_token(ctx.uow(), Actor.system_operator("t"), name="t", days=1,
                                   username=username)[1]
    return {"Authorization": f"Bearer {secret}"}


def test_auditor_gets_events_and_proofs_that_verify(
    ctx: RegistryContext, world: World, client: FlaskClient, audit_settings: AuditSettings,
    log_key: Ed25519Key, witnesses: Witnesses,
) -> None:
    for n in range(3):
        register(ctx, world.mx_officer, n)
    admin = world.actor("MX", "admin")
    first = audit_checkpoints.issue_checkpoint(ctx.uow(), admin, audit_settings, log_key)
    second = audit_checkpoints.issue_checkpoint(ctx.uow(), admin, audit_settings, log_key)
    audit_checkpoints.collect_cosignatures(ctx.uow(), admin, audit_settings, second.number,
                                           witnesses.clients("MX"), second.tree, log_key)
    headers = _token(ctx, "us.auditor")

    page = client.get("/api/v1/audit/events?action=official.&per_page=2", headers=headers)
    assert page.status_code == HTTPStatus.OK, page.get_json()
    body = page.get_json()
    assert body["total"] == 3 and body["pages"] == 2 and len(body["items"]) == 2
    seq = body["items"][0]["seq"]

    detail = client.get(f"/api/v1/audit/events/{body['items'][0]['id']}", headers=headers)
    proof = detail.get_json()["proof"]
    assert proof["tree_size"] == second.tree_size and "— witness.mx.test" in proof["checkpoint"]
    verify_inclusion(seq - 1, proof["tree_size"], bytes.fromhex(proof["leaf_hash"]),
                     [bytes.fromhex(h) for h in proof["hashes"]], bytes.fromhex(second.root_hex))
    assert client.get(f"/api/v1/audit/proofs/inclusion/{seq}",
                      headers=headers).get_json() == proof

    consistency = client.get(f"/api/v1/audit/proofs/consistency?old={first.tree_size}",
                             headers=headers).get_json()
    verify_consistency(first.tree_size, second.tree_size, bytes.fromhex(consistency["old_root"]),
                       bytes.fromhex(consistency["new_root"]),
                       [bytes.fromhex(h) for h in consistency["hashes"]])

    checkpoints = client.get("/api/v1/audit/checkpoints", headers=headers).get_json()
    latest = checkpoints["items"][0]
    assert checkpoints["policy"] == ["MX", "US"]
    assert latest["number"] == second.number and latest["signature_ok"] and latest["root_ok"]
    assert latest["cosigned_by"] == ["MX"] and latest["missing"] == ["US"] and not latest["final"]

    verified = client.post("/api/v1/audit/verify", headers=headers).get_json()
    assert verified["ok"] and verified["latest"]["number"] == second.number


def test_api_refuses_non_auditors_and_names_bad_fields(
    ctx: RegistryContext, world: World, client: FlaskClient
) -> None:
    refused = client.get("/api/v1/audit/events", headers=_token(ctx, "mx.screener"))
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert refused.get_json()["error"]["code"] == "permission_denied"
    bad = client.get("/api/v1/audit/events?country=CA&since=yesterday",
                     headers=_token(ctx, "mx.auditor"))
    assert bad.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    fields = {p["field"] for p in bad.get_json()["error"]["problems"]}
    assert fields == {"country", "since"}
    missing = client.get("/api/v1/audit/events/999999", headers=_token(ctx, "mx.auditor"))
    assert missing.status_code == HTTPStatus.NOT_FOUND


def test_openapi_lists_the_audit_endpoints(client: FlaskClient) -> None:
    paths = set(client.get("/api/v1/openapi.json").get_json()["paths"])
    assert {"/api/v1/audit/events", "/api/v1/audit/events/{ref}",
            "/api/v1/audit/proofs/inclusion/{ref}", "/api/v1/audit/proofs/consistency",
            "/api/v1/audit/checkpoints", "/api/v1/audit/verify"} <= paths
