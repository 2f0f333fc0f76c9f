"""An officer's shift in a real browser: sign in with password + TOTP, a lockout released by an
administrator, register an official (a CURP error first), record a failed evaluation, list the
entry, read the page in Spanish, sign out and back in."""

from __future__ import annotations

import time

import pyotp
import pytest

from registry.context import RegistryContext
from registry.policy import Actor
from registry.services import accounts, agencies
from tests.factories import AGENCIES

PASSWORD = "Tranquil-Harbour-Lantern-42"
CURP = "HELG850412MDFRPD01"

pytestmark = pytest.mark.slow


@pytest.fixture
def accounts_ready(instance) -> None:
    ctx = RegistryContext.open(instance)
    operator = Actor.system_operator("tests")
    try:
        for code, name, country, sector, level, parent in AGENCIES:
            agencies.add_agency(
                ctx.uow(),
                operator,
                code=code,
                name=name,
                country=country,
                sector=sector,
                level=level,
                parent_code=parent,
            )
        for username in ("mx.officer", "mx.victim"):
            accounts.add_user(
                ctx.uow(),
                operator,
                username=username,
                agency_code="MX-GN",
                roles=["vetting_officer"],
                password=PASSWORD,
            )
    finally:
        ctx.close()


def _password_step(page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/auth/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("I have read the system-use notice").check()
    page.get_by_role("button", name="Continue").click()


def _fresh_code(secret: str, used: set[str]) -> str:
    """The current code, waiting for the next 30-second step if this one was already used."""
    totp = pyotp.TOTP(secret)
    while (code := totp.now()) in used:
        time.sleep(1)
    used.add(code)
    return code


def test_officer_journey(browser, server, accounts_ready, screenshots):
    url = server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    used: set[str] = set()

    # First sign-in: password, then enrolment of the authenticator (secret + QR), then a code.
    _password_step(page, url, "mx.officer", PASSWORD)
    page.wait_for_url("**/auth/enrol**")
    assert page.locator("img[alt^='QR code']").is_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    screenshots(page, "01-enrol")
    page.get_by_label("Authenticator code").fill(_fresh_code(secret, used))
    page.get_by_role("button", name="Confirm and sign in").click()
    page.wait_for_url("**/dashboard")
    assert page.get_by_role("heading", name="Work due").is_visible()
    screenshots(page, "02-dashboard")

    # Register an official: a CURP typing error first, shown beside the field, typed values kept.
    page.get_by_role("link", name="Register an official").first.click()
    page.get_by_label("Given names").fill("María Guadalupe")
    page.get_by_label("Paternal surname").fill("Hernández")
    page.get_by_label("Maternal surname").fill("López")
    page.get_by_label("Birth date").fill("1985-04-12")
    page.get_by_label("Sex").select_option("M")
    page.get_by_label("CURP").fill("HELG850412MDFRPD09")
    page.get_by_role("button", name="Register").click()
    assert "check digit" in page.locator("#curp-error").inner_text()
    assert page.get_by_label("Given names").input_value() == "María Guadalupe"
    screenshots(page, "03-register-curp-error")
    page.get_by_label("CURP").fill(CURP)
    page.get_by_role("button", name="Register").click()
    page.wait_for_url("**/officials/0*")
    assert page.get_by_text("The official was registered.").is_visible()
    official_url = page.url

    # Record a failed evaluation: components as a checklist.
    page.get_by_role("link", name="Record an evaluation").click()
    page.get_by_label("Evaluation type").select_option("recertification")
    page.get_by_label("Evaluation date").fill("2026-01-15")
    page.get_by_label("Polygraph").select_option("fail")
    page.get_by_label("Toxicological").select_option("pass")
    page.get_by_label("Outcome").select_option("fail")
    screenshots(page, "04-evaluation-form")
    page.get_by_role("button", name="Record the evaluation").click()
    page.wait_for_url(official_url)
    assert page.get_by_text("The evaluation was recorded.").is_visible()
    assert page.locator("table .badge.fail").first.is_visible()
    screenshots(page, "05-official")

    # List the entry.
    page.get_by_role("link", name="List in the registry").click()
    page.get_by_label("Reason").select_option("failed_vetting")
    page.get_by_label("Case reference").fill("GN-CC-2026-0042")
    page.get_by_label("Legal basis").fill(
        "Ley General del Sistema Nacional de Seguridad Pública, art. 88"
    )
    page.get_by_label("Effective date").fill("2026-01-20")
    page.get_by_role("button", name="List the official").click()
    page.wait_for_url("**/officials/entries/*")
    assert page.get_by_text("The official was listed in the registry.").is_visible()
    screenshots(page, "06-entry")
    entry_url = page.url

    # The same page in Spanish.
    page.get_by_role("button", name="Español").click()
    page.wait_for_url(entry_url)
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("heading", name="Registro GN-CC-2026-0042").is_visible()
    assert page.get_by_text("No aprobó el control de confianza").is_visible()
    assert page.get_by_role("button", name="Cerrar sesión").is_visible()
    screenshots(page, "07-entry-es")

    # Sign out, then back in with password + a new code: the profile keeps Spanish.
    page.get_by_role("button", name="Cerrar sesión").click()
    page.wait_for_url("**/auth/login")
    assert page.get_by_text("Cerró la sesión.").is_visible()
    page.get_by_role("button", name="English").click()
    _password_step(page, url, "mx.officer", PASSWORD)
    page.wait_for_url("**/auth/code**")
    page.get_by_label("Authenticator code").fill(_fresh_code(secret, used))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard")
    screenshots(page, "08-dashboard-again")

    # Five wrong passwords lock an account; the right one is then refused too.
    stranger = browser.new_context(viewport={"width": 820, "height": 1180}, locale="en-US")
    other = stranger.new_page()  # a tablet-sized window
    for attempt in range(5):
        _password_step(other, url, "mx.victim", f"not the password {attempt}")
    assert other.get_by_text("This account is locked").is_visible()
    screenshots(other, "09-locked")
    _password_step(other, url, "mx.victim", PASSWORD)
    assert other.get_by_text("This account is locked").is_visible()
    released = server.vetreg("users", "unlock", "mx.victim")
    assert released.returncode == 0, released.stderr
    _password_step(other, url, "mx.victim", PASSWORD)
    other.wait_for_url("**/auth/enrol**")
    stranger.close()
    context.close()
