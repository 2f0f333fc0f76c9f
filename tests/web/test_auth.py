"""Signing in: password + TOTP, single-use codes, lockout and release, enrolment, session rules."""

from __future__ import annotations

import json

import pyotp
from sqlalchemy import select

from registry.models import User, UserCredential
from registry.services import auth
from tests.web.conftest import audit_events, csrf_of, post_form, sign_in


def _events(wctx, action):
    return audit_events(wctx, action)


def _try_password(client, username, password):
    return post_form(
        client, "/auth/login", {"username": username, "password": password, "notice": "yes"}
    )


def test_password_and_totp_open_a_session_and_are_audited(app, mx_login, clock, wctx):
    client = app.test_client()
    assert client.get("/dashboard").status_code == 302  # strangers are sent to sign in
    sign_in(client, mx_login, clock)
    page = client.get("/dashboard")
    assert page.status_code == 200 and "mx.officer" in page.get_data(as_text=True)
    logins = [e for e in _events(wctx, "auth.login") if e.outcome == "success"]
    assert logins and logins[-1].object_id == str(mx_login.user_id)


def test_the_notice_must_be_acknowledged(app, mx_login):
    client = app.test_client()
    response = post_form(
        client, "/auth/login", {"username": mx_login.username, "password": mx_login.password}
    )
    assert response.status_code == 400
    assert 'id="notice-error"' in response.get_data(as_text=True)


def test_a_code_is_usable_once(app, mx_login, clock):
    client = app.test_client()
    assert _try_password(client, mx_login.username, mx_login.password).status_code == 302
    code = mx_login.code(clock)
    page = client.get("/auth/code").get_data(as_text=True)
    assert (
        client.post("/auth/code", data={"csrf_token": csrf_of(page), "code": code}).status_code
        == 302
    )
    other = app.test_client()
    assert _try_password(other, mx_login.username, mx_login.password).status_code == 302
    page = other.get("/auth/code").get_data(as_text=True)
    replay = other.post("/auth/code", data={"csrf_token": csrf_of(page), "code": code})
    assert replay.status_code == 400 and "already used" in replay.get_data(as_text=True)


def test_five_failures_in_fifteen_minutes_lock_until_an_admin_releases(
    app, mx_login, make_login, clock, wctx
):
    client = app.test_client()
    for attempt in range(4):
        response = _try_password(client, mx_login.username, f"wrong password {attempt}")
        assert response.status_code == 401 and "wrong" in response.get_data(as_text=True)
        clock.advance(minutes=2)
    response = _try_password(client, mx_login.username, "wrong password 5")
    assert "locked" in response.get_data(as_text=True)
    response = _try_password(client, mx_login.username, mx_login.password)
    assert response.status_code == 401  # the right password no longer opens the account
    assert "locked" in response.get_data(as_text=True)
    assert len(_events(wctx, "auth.lockout")) == 1

    admin = make_login("mx.admin", "MX-SSPC", roles=("admin",))
    admin_client = app.test_client()
    sign_in(admin_client, admin, clock)
    users = admin_client.get("/admin/users").get_data(as_text=True)
    assert "mx.officer" in users and "Release" in users
    clock.advance(minutes=6)  # a privileged action needs a sign-in less than 5 minutes old
    response = admin_client.post(
        "/admin/users/mx.officer/unlock", data={"csrf_token": csrf_of(users)}
    )
    assert response.status_code == 302 and "/auth/reauth" in response.headers["Location"]
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    confirmed = admin_client.post(
        response.headers["Location"],
        data={"csrf_token": csrf_of(page), "password": admin.password, "code": admin.code(clock)},
    )
    assert confirmed.status_code == 302
    response = admin_client.post(
        "/admin/users/mx.officer/unlock", data={"csrf_token": csrf_of(page)}
    )
    assert response.status_code == 302
    assert [e.object_id for e in _events(wctx, "user.unlock")] == [str(mx_login.user_id)]
    clock.advance(seconds=30)
    sign_in(app.test_client(), mx_login, clock)


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(app, mx_login, clock):
    client = app.test_client()
    for attempt in range(6):
        _try_password(client, mx_login.username, f"wrong password {attempt}")
        clock.advance(minutes=4)
    with app.extensions["vetreg"].uow() as uow:
        user = uow.session.get(User, mx_login.user_id)
        assert user.locked_at is None


def test_enrolment_shows_secret_and_qr_and_stores_only_ciphertext(app, make_login, clock, wctx):
    login = make_login("mx.newcomer", enrol=False)
    client = app.test_client()
    response = _try_password(client, login.username, login.password)
    assert "/auth/enrol" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    secret = page.split('id="totp-secret"')[1].split(">")[1].split("<")[0].strip()
    response = client.post(
        "/auth/enrol", data={"csrf_token": csrf_of(page), "code": pyotp.TOTP(secret).at(clock())}
    )
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    with wctx.uow() as uow:
        cred = uow.session.scalar(
            select(UserCredential).where(UserCredential.user_id == login.user_id)
        )
        assert cred.totp_confirmed_at is not None
        assert secret.encode() not in cred.totp_secret_ct
        assert uow.session.get(User, login.user_id).totp_secret is None


def test_idle_session_locks_and_password_plus_code_unlock_it(mx_client, mx_login, clock, wctx):
    clock.advance(minutes=31)
    response = mx_client.get("/officials/")
    assert response.status_code == 302 and "/auth/reauth" in response.headers["Location"]
    page = mx_client.get(response.headers["Location"])
    assert "locked" in page.get_data(as_text=True)
    response = mx_client.post(
        response.headers["Location"],
        data={
            "csrf_token": csrf_of(page.get_data(as_text=True)),
            "password": mx_login.password,
            "code": mx_login.code(clock),
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/officials/")
    assert mx_client.get("/officials/").status_code == 200
    assert _events(wctx, "auth.session_lock") and _events(wctx, "auth.reauth")


def test_sessions_end_after_twelve_hours(mx_client, clock, wctx):
    for _ in range(26):
        clock.advance(minutes=29)
        mx_client.get("/dashboard")
    response = mx_client.get("/dashboard")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    ended = [json.loads(e.details) for e in _events(wctx, "auth.session_end")]
    assert ended and ended[-1]["reason"] == "expired"


def test_logout_ends_the_session_server_side(app, mx_login, clock, wctx):
    client = app.test_client()
    sign_in(client, mx_login, clock)
    cookie = client.get_cookie("vetreg_session").value
    page = client.get("/dashboard").get_data(as_text=True)
    assert client.post("/auth/logout", data={"csrf_token": csrf_of(page)}).status_code == 302
    replay = app.test_client()
    replay.set_cookie("vetreg_session", cookie)
    response = replay.get("/dashboard")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert _events(wctx, "auth.logout")


def test_accounts_unused_for_ninety_days_are_disabled(app, mx_login, clock, wctx):
    clock.advance(days=91)
    response = _try_password(app.test_client(), mx_login.username, mx_login.password)
    assert response.status_code == 401 and "disabled" in response.get_data(as_text=True)
    event = _events(wctx, "auth.inactive_disable")[-1]
    assert event.object_id == str(mx_login.user_id)
    with wctx.uow() as uow:
        assert uow.session.get(User, mx_login.user_id).disabled_at is not None


def test_password_change_refuses_weak_passwords_and_keeps_errors_beside_fields(mx_client, wctx):
    response = post_form(
        mx_client,
        "/account/password",
        {
            "current_password": "not it",
            "new_password": "password1234",
            "confirm_password": "different",
        },
        form_page="/account/",
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    for field in ("current_password", "new_password", "confirm_password"):
        assert f'id="{field}-error"' in text
    response = post_form(
        mx_client,
        "/account/password",
        {
            "current_password": "Tranquil-Harbour-Lantern-42",
            "new_password": "Granite-Orchard-Violin-77",
            "confirm_password": "Granite-Orchard-Violin-77",
        },
        form_page="/account/",
    )
    assert response.status_code == 302
    details = [json.loads(e.details) for e in _events(wctx, "auth.password_change")]
    assert details == [{}]


def test_unknown_users_are_refused_like_wrong_passwords(app, mx_login, wctx):
    client = app.test_client()
    unknown = _try_password(client, "nobody.here", "whatever password").get_data(as_text=True)
    wrong = _try_password(client, mx_login.username, "whatever password").get_data(as_text=True)
    assert "The user name, password or code is wrong." in unknown
    assert "The user name, password or code is wrong." in wrong
    assert json.loads(_events(wctx, "auth.login")[-2].details) == {"reason": "unknown_user"}


def test_common_passwords_are_refused_for_new_accounts():
    from registry.services.validation import Problems

    problems = Problems()
    auth.check_password_strength(problems, "iloveyou12345")
    assert problems.items and problems.items[0].field == "password"
