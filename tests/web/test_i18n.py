"""Both languages on every blueprint: audit and lifecycle pages in Spanish, and the registry's
domain errors that reach a page said in Spanish too."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from http import HTTPStatus
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.conftest import Clock, Login, csrf_of, post_form, sign_in

ROOT = Path(__file__).resolve().parents[2]
SPANISH = "es-MX,es;q=0.9"


def _in_spanish(client: FlaskClient, next_page: str = "/dashboard") -> None:
    """The language switch of the layout, as a signed-in user presses it."""
    page = client.get("/dashboard").get_data(as_text=True)
    client.post(
        "/auth/language", data={"csrf_token": csrf_of(page), "locale": "es", "next": next_page}
    )


def _register(client: FlaskClient, **changes: str) -> str:
    person = {
        "given_names": "Rosa Elena",
        "paternal_surname": "Castañeda",
        "maternal_surname": "Ruiz",
        "birth_date": "1981-07-09",
        "sex": "M",
        **changes,
    }
    response = post_form(client, "/officials/new", person)
    assert response.status_code == HTTPStatus.FOUND, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[1]


def _evaluate(client: FlaskClient, official: str, outcome: str, on: str) -> None:
    result = "pass" if outcome == "pass" else "fail"
    response = post_form(
        client,
        f"/officials/{official}/evaluations/new",
        {
            "type": "recertification",
            "outcome": outcome,
            "evaluated_on": on,
            "component_polygraph": result,
            "component_toxicological": "pass",
        },
    )
    assert response.status_code == HTTPStatus.FOUND, response.get_data(as_text=True)


def _task_force(client: FlaskClient, code: str) -> str:
    response = post_form(client, "/taskforces/new", {"code": code, "name": "Unidad Norte"})
    assert response.status_code == HTTPStatus.FOUND, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[1]


def _join(client: FlaskClient, official: str, task_force: str):  # type: ignore[no-untyped-def]
    return post_form(
        client,
        f"/officials/{official}/taskforces",
        {"task_force": task_force, "role": "Comandante", "senior": "yes"},
        form_page=f"/officials/{official}",
    )


def test_audit_pages_in_spanish_by_the_browser_language(
    app: Flask, make_login: Callable[..., Login], clock: Clock, mx_client: FlaskClient
) -> None:
    _register(mx_client)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = SPANISH
    sign_in(client, make_login("mx.auditor", "MX-SSPC", roles=("auditor",)), clock)
    text = client.get("/audit/?action=official.register").get_data(as_text=True)
    assert 'lang="es"' in text and "Bitácora de auditoría" in text
    assert "Descargar CSV" in text and "Exitosa" in text and "Página 1 de 1" in text
    assert "Audit log" not in text and "Download CSV" not in text
    refused = client.get("/audit/?country=CA&since=nunca")
    text = refused.get_data(as_text=True)
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "debe ser MX o US" in text and "must be MX or US" not in text
    event = client.get("/audit/events/1").get_data(as_text=True)
    assert "Prueba de inclusión" in event
    assert "aún no se ha emitido ningún punto de control firmado" in event


def test_lifecycle_pages_in_spanish_by_the_language_switch(mx_client: FlaskClient) -> None:
    official = _register(mx_client)
    _evaluate(mx_client, official, "pass", "2023-02-10")
    _in_spanish(mx_client)
    due = mx_client.get("/lifecycle/due?within=30d").get_data(as_text=True)
    assert "Vencimientos de recertificación" in due and "Vencida" in due
    assert "Agregar al calendario (.ics)" in due and "Recertification due" not in due
    bad = mx_client.get("/lifecycle/due?within=pronto")
    text = bad.get_data(as_text=True)
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert "se esperaba un periodo como 30d, 12w o 6m" in text
    compliance = mx_client.get("/lifecycle/compliance").get_data(as_text=True)
    assert "Cumplimiento de las fuerzas de tarea" in compliance


def test_refused_assignment_and_suspension_reason_in_spanish(mx_client: FlaskClient) -> None:
    task_force = _task_force(mx_client, "JTF-SUR")
    never_vetted = _register(mx_client)
    _in_spanish(mx_client)
    refused = _join(mx_client, never_vetted, task_force)
    text = refused.get_data(as_text=True)
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert (
        "este servidor público nunca ha aprobado una evaluación de control de confianza; solo "
        "una excepción de la comisión aprobada que dispense a este integrante permite la "
        "asignación" in text
    )
    assert "only an approved commission override" not in text
    vetted = _register(mx_client, given_names="Laura", birth_date="1979-03-03")
    _evaluate(mx_client, vetted, "pass", "2026-01-15")
    assert _join(mx_client, vetted, task_force).status_code == HTTPStatus.FOUND
    _evaluate(mx_client, vetted, "fail", "2026-03-01")
    page = mx_client.get(f"/lifecycle/compliance/{task_force}").get_data(as_text=True)
    assert "Motivo de la suspensión" in page and "No aprobó la última evaluación" in page
    assert "failed_evaluation" not in page


@pytest.fixture
def spanish_request(app: Flask) -> Iterator[None]:
    with app.test_request_context(headers={"Accept-Language": SPANISH}):
        yield


@pytest.mark.parametrize(
    ("message", "spanish"),
    [
        (
            "override request 0190-ab is pending; voting is closed",
            "la solicitud de excepción está pendiente; la votación está cerrada",
        ),
        ("you have already voted on this request", "usted ya votó sobre esta solicitud"),
        (
            "draw 0190-ab no longer takes commitments (it is drawn)",
            "este sorteo ya no admite compromisos (sorteado)",
        ),
        (
            "this entry was already shredded; there is nothing left to hold",
            "este registro ya fue destruido; no queda nada que conservar",
        ),
        (
            "data key 0190-ab was destroyed (record shredded)",
            "este registro fue destruido: su llave de datos fue eliminada",
        ),
        (
            "has 600 candidates; send at most 500 per request",
            "tiene 600 candidatos; envíe como máximo 500 por solicitud",
        ),
        (
            "within: expected a number of days such as 30d, 12w or 6m (at most 10 years); "
            "agency: agency 'MX-XX' does not exist",
            "Dentro de: se esperaba un periodo como 30d, 12w o 6m (como máximo 10 años); "
            "Dependencia: la dependencia MX-XX no existe",
        ),
    ],
)
def test_domain_errors_are_said_in_spanish(
    spanish_request: None, message: str, spanish: str
) -> None:
    from web.i18n import translate_message

    assert translate_message(message) == spanish


# Modules whose messages reach only the command line or the JSON API (both in English).
_NOT_ON_PAGES = {"backup.py", "imports.py", "keys.py", "schedule_export.py", "audit_checkpoints.py"}
_API_ONLY = {"must not exceed new_size ({})"}


def _said(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _page_messages() -> Iterator[tuple[str, str]]:
    """Field problems and conflicts the services raise, as (where, message with {} holes).

    Not-found, permission and sign-in refusals are left out: a page shows them as the
    translated message of their HTTP status, never their own text.
    """
    paths = [*sorted((ROOT / "registry/services").glob("*.py")), ROOT / "registry/vault.py"]
    for path in paths:
        if path.name in _NOT_ON_PAGES:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in ("add", "single") and len(node.args) >= 2:
                message = _said(node.args[1])
            elif name in ("Conflict", "DecryptionFailed") and node.args:
                message = _said(node.args[0])
            else:
                continue
            if message and message not in _API_ONLY and not message.startswith("-//"):
                yield f"{path.name}:{node.lineno}", message


def test_every_domain_error_that_reaches_a_page_has_a_spanish_pattern(
    spanish_request: None,
) -> None:
    from web.i18n import translate_message

    messages = list(_page_messages())
    assert len(messages) > 80
    untranslated = [
        f"{where}: {message}"
        for where, message in messages
        if translate_message(message.replace("{}", "7")) == message.replace("{}", "7")
    ]
    assert not untranslated, untranslated


@pytest.fixture
def failing_app(app: Flask) -> Flask:
    """The app with two pages that fail the way a stale edit or a shredded record does."""
    from registry.errors import Conflict, DecryptionFailed

    def stale() -> str:
        raise Conflict(
            "official 0190-ab was changed by someone else (you edited version 2, it is now at "
            "version 3); reload it and apply your change again"
        )

    def shredded() -> str:
        raise DecryptionFailed("data key 0190-ab was destroyed (record shredded)")

    app.add_url_rule("/officials/stale", view_func=stale)
    app.add_url_rule("/officials/shredded", view_func=shredded)
    return app


def test_conflict_and_shredded_record_pages_in_spanish(
    failing_app: Flask, make_login: Callable[..., Login], clock: Clock
) -> None:
    client = failing_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = SPANISH
    sign_in(client, make_login("mx.reader", "MX-GN"), clock)
    stale = client.get("/officials/stale")
    assert stale.status_code == HTTPStatus.CONFLICT
    assert "otra persona modificó este registro" in stale.get_data(as_text=True)
    shredded = client.get("/officials/shredded")
    assert shredded.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert "este registro fue destruido" in shredded.get_data(as_text=True)
