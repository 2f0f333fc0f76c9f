"""Protections on every page: CSRF, security headers, scope checks (403, audited), no tracebacks."""

from __future__ import annotations

import json
import uuid

import pytest
from flask import Flask

from registry.services import officials
from registry.services.officials import OfficialInput
from tests.web.conftest import audit_events, csrf_of

SAMPLE = OfficialInput(
    "María Guadalupe", "Hernández", "López", "1985-04-12", "M", "HELG850412MDFRPD01"
)


def _fill(rule, values: dict[str, str]) -> str:
    path = rule.rule
    for arg in rule.arguments:
        path = path.replace(f"<{arg}>", values.get(arg, str(uuid.uuid4())))
    return path


def _page_rules(app: Flask, method: str):
    for rule in app.url_map.iter_rules():
        if method in (rule.methods or ()) and not rule.endpoint.startswith(("api.", "static")):
            yield rule


@pytest.fixture
def mx_official(wctx, mx_login):
    return officials.register_official(wctx.uow(), mx_login.actor, SAMPLE)


def test_every_form_refuses_a_missing_csrf_token(app, mx_client, mx_official):
    posts = list(_page_rules(app, "POST"))
    assert len(posts) >= 15
    for rule in posts:
        path = _fill(rule, {"official_id": str(mx_official), "username": "mx.officer"})
        response = mx_client.post(path, data={"given_names": "x", "code": "123456"})
        assert response.status_code == 400, path
        assert "The form has expired" in response.get_data(as_text=True), path


def test_every_response_has_the_security_headers_and_no_traceback(app, mx_client, mx_official):
    gets = [
        _fill(r, {"official_id": str(mx_official), "username": "mx.officer"})
        for r in _page_rules(app, "GET")
    ]
    paths = [*gets, "/static/style.css", "/no/such/page", "/api/v1/health", "/auth/login"]
    for path in paths:
        for client in (mx_client, app.test_client()):
            response = client.get(path)
            headers = response.headers
            csp = headers["Content-Security-Policy"]
            assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
            assert "unsafe-inline" not in csp
            assert headers["X-Frame-Options"] == "DENY", path
            assert headers["Referrer-Policy"] == "no-referrer", path
            assert headers["X-Content-Type-Options"] == "nosniff", path
            assert "Strict-Transport-Security" not in headers  # plain HTTP here
            body = response.get_data(as_text=True)
            assert "Traceback" not in body and 'File "' not in body, path
            assert "<script" not in body, path
            response.close()


def test_hsts_behind_tls(app):
    response = app.test_client().get("/auth/login", base_url="https://registry.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_server_errors_show_a_generic_page(app):
    from web.session import public

    def explode():
        raise RuntimeError("secret internal detail")

    app.add_url_rule("/explode", "explode", public(explode))
    response = app.test_client().get("/explode")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internal detail" not in body and "Traceback" not in body
    assert "Something went wrong" in body
    assert response.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_flags_by_default(wctx, mx_login, clock):
    from web import create_app

    app = create_app(wctx.settings, wctx, config={"SECRET_KEY": "k", "RATELIMIT_ENABLED": False})
    client = app.test_client()
    client.get("/auth/login", base_url="https://registry.example")
    cookie = client.get_cookie("__Host-vetreg_session", domain="registry.example")
    assert cookie is not None and cookie.secure and cookie.http_only
    assert cookie.same_site == "Lax"


def test_an_officer_cannot_open_or_edit_another_countrys_record(
    us_client, us_login, mx_official, wctx
):
    path = f"/officials/{mx_official}"
    for url in (path, f"{path}/evaluations/new", f"{path}/entries/new"):
        response = us_client.get(url)
        assert response.status_code == 403, url
        assert "not allowed" in response.get_data(as_text=True)
    form = us_client.get("/officials/").get_data(as_text=True)
    response = us_client.post(
        f"{path}/evaluations/new",
        data={
            "csrf_token": csrf_of(form),
            "type": "recruitment",
            "outcome": "fail",
            "evaluated_on": "2026-01-10",
            "component_polygraph": "fail",
        },
    )
    assert response.status_code == 403
    denied = [e for e in audit_events(wctx) if e.outcome == "denied"]
    assert {e.action for e in denied} >= {"official.read", "evaluation.record"}
    assert all(
        e.actor_user_id == us_login.user_id and e.object_id == str(mx_official) for e in denied
    )
    assert not [e for e in audit_events(wctx, "evaluation.record") if e.outcome == "success"]


def test_personal_data_never_travels_in_urls(mx_client, mx_official):
    page = mx_client.get("/officials/search").get_data(as_text=True)
    assert 'method="post"' in page
    response = mx_client.get("/officials/search?curp=HELG850412MDFRPD01")
    assert "Hernández" not in response.get_data(as_text=True)  # a GET never searches
    response = mx_client.post(
        "/officials/search", data={"csrf_token": csrf_of(page), "curp": "HELG850412MDFRPD01"}
    )
    assert "Hernández" in response.get_data(as_text=True)


def test_login_is_rate_limited(wctx, mx_login):
    from web import create_app

    app = create_app(
        wctx.settings,
        wctx,
        config={
            "SECRET_KEY": "k",
            "SESSION_COOKIE_SECURE": False,
            "SESSION_COOKIE_NAME": "s",
            "LOGIN_RATE_LIMIT": "3 per minute",
            "RATELIMIT_ENABLED": True,
        },
    )
    client = app.test_client()
    token = csrf_of(client.get("/auth/login").get_data(as_text=True))
    statuses = [
        client.post(
            "/auth/login",
            data={"csrf_token": token, "username": "nobody.x", "password": "p", "notice": "yes"},
        ).status_code
        for _ in range(4)
    ]
    assert statuses[:3] == [401, 401, 401] and statuses[3] == 429


def test_audit_details_hold_no_personal_data(mx_client, mx_official, wctx):
    mx_client.get(f"/officials/{mx_official}")
    for event in audit_events(wctx):
        text = json.dumps(event.details)
        assert "Hernández" not in text and "HELG850412" not in text
