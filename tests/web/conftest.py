"""Web fixtures: the app on the test database (rolled back), a clock the test moves, and
signed-in clients of each country."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from registry.context import RegistryContext
from registry.policy import Actor
from registry.services import accounts, agencies, auth
from tests.factories import AGENCIES

PASSWORD = "Tranquil-Harbour-Lantern-42"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    """The registry's clock in tests: starts at a fixed moment and moves only when told."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class Login:
    """A user with a password and an enrolled authenticator."""

    username: str
    password: str
    secret: str
    user_id: uuid.UUID
    actor: Actor

    def code(self, clock: Clock) -> str:
        return pyotp.TOTP(self.secret).at(clock())


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def wctx(ctx: RegistryContext, clock: Clock) -> RegistryContext:
    return dataclasses.replace(ctx, clock=clock)


@pytest.fixture
def app(wctx: RegistryContext) -> Flask:
    from web import create_app

    return create_app(
        wctx.settings,
        wctx,
        config={
            "TESTING": False,
            "SECRET_KEY": "test-secret-key",
            "SESSION_COOKIE_SECURE": False,
            "SESSION_COOKIE_NAME": "vetreg_session",
            "WTF_CSRF_SSL_STRICT": False,
            "RATELIMIT_ENABLED": False,
        },
    )


@pytest.fixture
def operator_actor() -> Actor:
    return Actor.system_operator("tests")


@pytest.fixture
def agencies_world(wctx: RegistryContext, operator_actor: Actor) -> None:
    for code, name, country, sector, level, parent in AGENCIES:
        agencies.add_agency(
            wctx.uow(),
            operator_actor,
            code=code,
            name=name,
            country=country,
            sector=sector,
            level=level,
            parent_code=parent,
        )


@pytest.fixture
def make_login(
    wctx: RegistryContext, clock: Clock, operator_actor: Actor, agencies_world: None
) -> Callable[..., Login]:
    def make(
        username: str,
        agency: str = "MX-GN",
        roles: tuple[str, ...] = ("vetting_officer",),
        enrol: bool = True,
    ) -> Login:
        user_id = accounts.add_user(
            wctx.uow(),
            operator_actor,
            username=username,
            agency_code=agency,
            roles=list(roles),
            password=PASSWORD,
        )
        secret = ""
        if enrol:
            enrolment = auth.start_enrolment(wctx.uow(), user_id)
            secret = enrolment.secret
            auth.confirm_enrolment(wctx.uow(), user_id, pyotp.TOTP(secret).at(clock()))
            clock.advance(seconds=30)
        actor = accounts.actor_by_username(wctx.uow(), username)
        return Login(username, PASSWORD, secret, user_id, actor)

    return make


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client: FlaskClient, login: Login, clock: Clock) -> None:
    """Password, notice and a fresh TOTP code, as a browser would."""
    page = client.get("/auth/login").get_data(as_text=True)
    response = client.post(
        "/auth/login",
        data={
            "csrf_token": csrf_of(page),
            "username": login.username,
            "password": login.password,
            "notice": "yes",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    response = client.post(
        "/auth/code", data={"csrf_token": csrf_of(page), "code": login.code(clock)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    clock.advance(seconds=30)


@pytest.fixture
def mx_login(make_login: Callable[..., Login]) -> Login:
    return make_login("mx.officer", "MX-GN")


@pytest.fixture
def us_login(make_login: Callable[..., Login]) -> Login:
    return make_login("us.officer", "US-DEA")


@pytest.fixture
def mx_client(app: Flask, mx_login: Login, clock: Clock) -> FlaskClient:
    client = app.test_client()
    sign_in(client, mx_login, clock)
    return client


@pytest.fixture
def us_client(app: Flask, us_login: Login, clock: Clock) -> FlaskClient:
    client = app.test_client()
    sign_in(client, us_login, clock)
    return client


def post_form(
    client: FlaskClient, path: str, data: dict[str, str], *, form_page: str | None = None
):
    """Submit a form with the CSRF token taken from the page that shows it."""
    page = client.get(form_page or path).get_data(as_text=True)
    return client.post(path, data={"csrf_token": csrf_of(page), **data})


@dataclass(frozen=True)
class Event:
    action: str
    outcome: str
    actor_user_id: uuid.UUID | None
    object_id: str | None
    details: str


def audit_events(ctx: RegistryContext, action: str | None = None) -> list[Event]:
    """Audit events as plain values, oldest first."""
    from sqlalchemy import select

    from registry.models import AuditEvent

    query = select(AuditEvent).order_by(AuditEvent.seq)
    if action:
        query = query.where(AuditEvent.action == action)
    with ctx.session_factory() as session:
        return [
            Event(e.action, e.outcome, e.actor_user_id, e.object_id, e.details)
            for e in session.scalars(query)
        ]


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues() -> None:
    """`make install` compiles the catalogues; a bare pytest run gets them compiled too."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2] / "web" / "translations"
    for po in root.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source))
