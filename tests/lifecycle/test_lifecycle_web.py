"""Lifecycle pages and API: due list, compliance status, the commissioners' vote."""

from __future__ import annotations

import dataclasses
from http import HTTPStatus

import icalendar
import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.context import RegistryContext
from registry.policy import Actor
from registry.services import accounts, overrides
from tests.lifecycle.conftest import Clock, Lifecycle
from tests.web.conftest import PASSWORD, Login, csrf_of, sign_in


@pytest.fixture
def app(ctx: RegistryContext, lc: Lifecycle) -> Flask:
    from web import create_app

    return create_app(
        ctx.settings,
        dataclasses.replace(ctx, clock=lc.clock),
        config={
            "TESTING": False,
            "SECRET_KEY": "test-secret-key",
            "SESSION_COOKIE_SECURE": False,
            "SESSION_COOKIE_NAME": "vetreg_session",
            "WTF_CSRF_SSL_STRICT": False,
            "RATELIMIT_ENABLED": False,
        },
    )


def _login(ctx: RegistryContext, clock: Clock, username: str, agency: str, role: str) -> Login:
    import pyotp

    from registry.services import auth

    operator = Actor.system_operator("tests")
    user_id = accounts.add_user(
        ctx.uow(), operator, username=username, agency_code=agency, roles=[role], password=PASSWORD
    )
    enrolment = auth.start_enrolment(ctx.uow(), user_id)
    auth.confirm_enrolment(ctx.uow(), user_id, pyotp.TOTP(enrolment.secret).at(clock()))
    clock.advance(seconds=30)
    return Login(
        username,
        PASSWORD,
        enrolment.secret,
        user_id,
        accounts.actor_by_username(ctx.uow(), username),
    )


def _client(app: Flask, login: Login, clock: Clock) -> FlaskClient:
    client = app.test_client()
    sign_in(client, login, clock)
    return client


def test_due_page_calendar_and_compliance_page(app: Flask, lc: Lifecycle) -> None:
    officer = _login(lc.ctx, lc.clock, "mx.web", "MX-GN", "vetting_officer")
    senior = lc.vetted(officer.actor, n=0)
    tf = lc.task_force("JTF-WEB", senior, lc.vetted(n=1))
    lc.evaluate(senior, lc.clock().date(), outcome="fail")
    lc.evaluate(lc.official(n=2), "2023-02-10")  # overdue since 2026-02-10
    client = _client(app, officer, lc.clock)
    page = client.get("/lifecycle/due?within=30d").get_data(as_text=True)
    assert "overdue" in page and "Recertification due" in page
    bad = client.get("/lifecycle/due?within=soon")
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    calendar = icalendar.Calendar.from_ical(client.get("/lifecycle/due.ics").data)
    assert len(calendar.walk("VEVENT")) >= 1
    status = client.get(f"/lifecycle/compliance/{tf}").get_data(as_text=True)
    assert "Why it is suspended" in status and "Failed the latest evaluation" in status
    assert "JTF-WEB" in client.get("/lifecycle/compliance?suspended=yes").get_data(as_text=True)


def test_commissioners_vote_on_the_web(app: Flask, lc: Lifecycle) -> None:
    senior = lc.vetted(n=0)
    tf = lc.task_force("JTF-VOTE", senior)
    lc.evaluate(senior, lc.clock().date(), outcome="refused")
    request_id = overrides.request_override(
        lc.ctx.uow(), lc.mx, task_force_id=tf, duration_days=15, reason="Relevo del mando en curso"
    )
    for department, agency in (("doj", "US-DOJ"), ("dhs", "US-CBP"), ("dos", "US-DOS")):
        login = _login(lc.ctx, lc.clock, f"web.commissioner.{department}", agency, "commissioner")
        client = _client(app, login, lc.clock)
        listing = client.get("/lifecycle/overrides?status=pending").get_data(as_text=True)
        assert "JTF-VOTE" in listing
        page = client.get(f"/lifecycle/overrides/{request_id}").get_data(as_text=True)
        assert "Relevo del mando" in page
        response = client.post(
            f"/lifecycle/overrides/{request_id}/vote",
            data={"csrf_token": csrf_of(page), "decision": "approve"},
        )
        assert response.status_code == HTTPStatus.FOUND
    assert (
        overrides.get_override(lc.ctx.uow(), lc.commissioners["US-DOS"], request_id).status
        == "approved"
    )


def test_api_status_and_due_list(ctx: RegistryContext, lc: Lifecycle) -> None:
    from web.api import api

    app = Flask(__name__)
    app.extensions["vetreg"] = dataclasses.replace(ctx, clock=lc.clock)
    app.register_blueprint(api)
    client = app.test_client()
    senior = lc.vetted(n=0)
    tf = lc.task_force("JTF-API", senior)
    lc.evaluate(senior, lc.clock().date(), outcome="fail")
    secret = accounts.create_token(
        ctx.uow(), Actor.system_operator("t"), name="t", days=1, username="mx.vettingofficer"
    )[1]
    headers = {"Authorization": f"Bearer {secret}"}
    body = client.get(f"/api/v1/taskforces/{tf}/status", headers=headers).get_json()
    assert body["status"] == "suspended" and body["funding_suspended"] is True
    assert body["reasons"][0]["rule"] == "failed_evaluation" and body["reasons"][0]["senior"]
    due = client.get("/api/v1/recertification/due?within=400d", headers=headers).get_json()
    assert due["total"] >= 1
    refused = client.get("/api/v1/recertification/due?within=later", headers=headers)
    assert (
        refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
        or refused.status_code == HTTPStatus.BAD_REQUEST
    )
    assert (
        "/api/v1/taskforces/{task_force_id}/status"
        in client.get("/api/v1/openapi.json").get_json()["paths"]
    )
