"""Auditor pages: filtered event list with pagination, event proof, checkpoints, verify now,
exports of a filtered view (audited); ids only, never a person's identity."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.audit.checkpoint import signing_vkey
from registry.audit.config import AuditSettings
from registry.context import RegistryContext
from registry.crypto.signing import Ed25519Key
from registry.policy import Actor
from registry.services import audit_checkpoints
from registry.services.officials import register_official
from tests.audit.conftest import ORIGIN, Witnesses
from tests.factories import person
from tests.web.conftest import Clock, Login, audit_events, csrf_of, sign_in


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, log_key: Ed25519Key, witnesses: Witnesses) -> None:
    monkeypatch.setenv("VETREG_AUDIT_ORIGIN", ORIGIN)
    monkeypatch.setenv("VETREG_LOG_VKEY", signing_vkey(log_key))
    monkeypatch.setenv("VETREG_WITNESS_KEYS",
                       ",".join(f"{c}={v}" for c, v in witnesses.vkeys.items()))


@pytest.fixture
def auditor_client(app: Flask, make_login: Callable[..., Login], clock: Clock,
                   env: None) -> FlaskClient:
    client = app.test_client()
    sign_in(client, make_login("us.auditor", "US-DEA", roles=("auditor",)), clock)
    return client


@pytest.fixture
def officer(make_login: Callable[..., Login]) -> Login:
    return make_login("mx.officer", "MX-GN")


def test_event_list_filters_paginates_and_shows_ids_not_names(
    app: Flask, wctx: RegistryContext, officer: Login, auditor_client: FlaskClient
) -> None:
    app.config["PAGE_SIZE"] = 2
    ids = [register_official(wctx.uow(), officer.actor, person(n)) for n in range(3)]
    page = auditor_client.get("/audit/?action=official.register&country=MX")
    html = page.get_data(as_text=True)
    assert page.status_code == HTTPStatus.OK
    assert "3 event(s)" in html and "Page 1 of 2" in html and "official.register" in html
    assert person(0).paternal_surname not in html and person(2).given_names not in html
    second = auditor_client.get("/audit/?action=official.register&country=MX&page=2")
    assert str(ids[0])[:12] in second.get_data(as_text=True)
    bad = auditor_client.get("/audit/?country=CA&since=never")
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert "must be MX or US" in bad.get_data(as_text=True)
    empty = auditor_client.get("/audit/?action=nothing.here")
    assert "No event matches these filters." in empty.get_data(as_text=True)


def test_export_of_a_filtered_view_is_audited(
    wctx: RegistryContext, officer: Login, auditor_client: FlaskClient
) -> None:
    official = register_official(wctx.uow(), officer.actor, person(0))
    csv = auditor_client.get(f"/audit/export.csv?object_id={official}")
    assert csv.status_code == HTTPStatus.OK and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).strip().splitlines()
    assert lines[0].startswith("seq,id,time") and len(lines) == 2 and str(official) in lines[1]
    jsonl = auditor_client.get("/audit/export.jsonl?action=official.")
    assert jsonl.mimetype == "application/x-ndjson"
    exports = audit_events(wctx, "audit.export")
    assert [e.outcome for e in exports] == ["success", "success"]
    assert str(official) in exports[0].details


def test_event_detail_checkpoints_and_verify_now(
    wctx: RegistryContext, officer: Login, auditor_client: FlaskClient,
    audit_settings: AuditSettings, log_key: Ed25519Key, witnesses: Witnesses,
) -> None:
    register_official(wctx.uow(), officer.actor, person(0))
    admin = Actor.system_operator("tests")
    issued = audit_checkpoints.issue_checkpoint(wctx.uow(), admin, audit_settings, log_key)
    audit_checkpoints.collect_cosignatures(wctx.uow(), admin, audit_settings, issued.number,
                                           witnesses.clients("MX"), issued.tree, log_key)
    detail = auditor_client.get("/audit/events/1").get_data(as_text=True)
    assert f"checkpoint {issued.number} (tree size {issued.tree_size})" in detail
    assert issued.root_hex in detail and "— witness.mx.test/audit" in detail

    history = auditor_client.get("/audit/checkpoints").get_data(as_text=True)
    assert "not final: missing US" in history and "valid" in history

    form = auditor_client.get("/audit/verify").get_data(as_text=True)
    result = auditor_client.post("/audit/verify", data={"csrf_token": csrf_of(form)})
    text = result.get_data(as_text=True)
    assert result.status_code == HTTPStatus.OK and "The log verifies" in text
    assert "not final: missing US" in text
    assert [e.outcome for e in audit_events(wctx, "audit.verify")] == ["success"]


def test_audit_pages_are_for_auditors_only(
    app: Flask, officer: Login, clock: Clock, env: None
) -> None:
    client = app.test_client()
    sign_in(client, officer, clock)
    home = client.get("/").get_data(as_text=True)
    assert "/audit/" not in home
    assert client.get("/audit/").status_code == HTTPStatus.FORBIDDEN
