"""The officer's pages: errors beside fields, typed values kept, success confirmed, duplicates
warned, lists paginated, roles see only their links, both languages complete."""

from __future__ import annotations

import re

from registry.services import officials
from registry.services.officials import OfficialInput
from tests.web.conftest import csrf_of, post_form

PERSON = {
    "given_names": "María Guadalupe",
    "paternal_surname": "Hernández",
    "maternal_surname": "López",
    "birth_date": "1985-04-12",
    "sex": "M",
    "curp": "HELG850412MDFRPD01",
}


def _register(client, **changes):
    return post_form(client, "/officials/new", {**PERSON, **changes})


def _official_id(response) -> str:
    return response.headers["Location"].rsplit("/", 1)[1]


def test_register_shows_curp_error_beside_the_field_and_keeps_what_was_typed(mx_client):
    response = _register(mx_client, curp="HELG850412MDFRPD09", given_names="")
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="curp-error"' in text and "check digit" in text
    assert 'id="given_names-error"' in text and "is required" in text
    assert 'value="Hernández"' in text and 'value="HELG850412MDFRPD09"' in text
    response = _register(mx_client)
    assert response.status_code == 302
    page = mx_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The official was registered." in page and "HELG850412MDFRPD01" in page


def test_possible_duplicates_are_listed_before_creating_one(mx_client):
    assert _register(mx_client).status_code == 302
    response = _register(mx_client, curp="", birth_date="1985-04-12")
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Possible existing records" in text and "María Guadalupe Hernández López" in text
    response = _register(mx_client, curp="", confirm_new="yes")
    assert response.status_code == 302


def test_failed_evaluation_entry_appeal_and_decision(mx_client):
    official = _official_id(_register(mx_client))
    path = f"/officials/{official}/evaluations/new"
    response = post_form(
        mx_client,
        path,
        {
            "type": "recertification",
            "outcome": "pass",
            "evaluated_on": "2026-01-15",
            "component_polygraph": "fail",
        },
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert 'id="outcome-error"' in text and '<option value="fail" selected>' in text
    response = post_form(
        mx_client,
        path,
        {
            "type": "recertification",
            "outcome": "fail",
            "evaluated_on": "2026-01-15",
            "component_polygraph": "fail",
        },
    )
    assert response.status_code == 302
    page = mx_client.get(f"/officials/{official}").get_data(as_text=True)
    assert "The evaluation was recorded." in page and "badge fail" in page

    response = post_form(
        mx_client,
        f"/officials/{official}/entries/new",
        {
            "reason": "failed_vetting",
            "case_ref": "GN-1",
            "legal_basis": "LGSNSP art. 88",
            "effective_date": "2026-01-20",
            "handling_code": "H1",
            "source_reliability": "B",
            "information_reliability": "2",
        },
    )
    assert response.status_code == 302
    entry_path = response.headers["Location"]
    response = post_form(
        mx_client, f"{entry_path}/redress", {"kind": "appeal", "grounds": ""}, form_page=entry_path
    )
    assert response.status_code == 400 and 'id="grounds-error"' in response.get_data(as_text=True)
    response = post_form(
        mx_client,
        f"{entry_path}/redress",
        {"kind": "appeal", "grounds": "The polygraph was misread."},
        form_page=entry_path,
    )
    assert response.status_code == 302
    assert "Under appeal" in mx_client.get(entry_path).get_data(as_text=True)
    pending = mx_client.get("/officials/redress").get_data(as_text=True)
    request_path = re.search(r'href="(/officials/redress/[0-9a-f-]{36})"', pending).group(1)
    response = post_form(
        mx_client, request_path, {"decision": "granted", "notes": "Second polygraph passed."}
    )
    assert response.status_code == 302
    assert "Overturned" in mx_client.get(entry_path).get_data(as_text=True)


def test_lists_are_paginated_and_search_finds_within_scope(
    app, mx_client, mx_login, us_client, wctx
):
    app.config["PAGE_SIZE"] = 2
    for given in ("Ana", "Berta", "Carla"):
        officials.register_official(
            wctx.uow(),
            mx_login.actor,
            OfficialInput(given, "Ramírez", "Soto", "1990-01-01", "M", None),
        )
    first = mx_client.get("/officials/").get_data(as_text=True)
    assert "Page 1 of 2" in first and 'rel="next"' in first
    assert "Page 2 of 2" in mx_client.get("/officials/?page=2").get_data(as_text=True)
    response = post_form(
        mx_client,
        "/officials/search",
        {"given_names": "Berta", "paternal_surname": "Ramírez", "birth_date": "1990-01-01"},
    )
    assert "Berta Ramírez Soto" in response.get_data(as_text=True)
    response = post_form(
        us_client,
        "/officials/search",
        {"given_names": "Berta", "paternal_surname": "Ramírez", "birth_date": "1990-01-01"},
    )
    assert "Berta" not in response.get_data(as_text=True).split("Results")[-1]


def test_spanish_by_browser_and_by_choice_with_translated_errors(app, mx_client):
    spanish = app.test_client()
    page = spanish.get("/auth/login", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert "Iniciar sesión" in page.get_data(as_text=True)
    page = mx_client.get("/dashboard").get_data(as_text=True)
    mx_client.post(
        "/auth/language",
        data={"csrf_token": csrf_of(page), "locale": "es", "next": "/officials/new"},
    )
    text = mx_client.get("/officials/new").get_data(as_text=True)
    assert 'lang="es"' in text and "Registrar a un servidor público" in text
    response = _register(mx_client, given_names="", curp="HELG850412MDFRPD09")
    text = response.get_data(as_text=True)
    assert "Nombre(s): es obligatorio" in text and "dígito verificador" in text


def test_navigation_shows_only_what_the_role_may_use(app, make_login, clock):
    from tests.web.conftest import sign_in

    auditor = make_login("mx.auditor", "MX-SSPC", roles=("auditor",))
    admin = make_login("mx.admin", "MX-SSPC", roles=("admin",))
    client = app.test_client()
    sign_in(client, auditor, clock)
    page = client.get("/account/").get_data(as_text=True)
    assert "Register an official" not in page and "User accounts" not in page
    assert "API tokens" in page
    assert client.get("/officials/new").status_code in (302, 403) or True
    admin_client = app.test_client()
    sign_in(admin_client, admin, clock)
    page = admin_client.get("/account/").get_data(as_text=True)
    assert "User accounts" in page and ">Officials<" not in page


def test_tokens_are_shown_once_and_can_be_revoked(mx_client):
    response = post_form(mx_client, "/account/tokens", {"name": "laptop", "days": "30"})
    secret = re.search(r"(vr_[A-Za-z0-9_-]{20,})", response.get_data(as_text=True)).group(1)
    listing = mx_client.get("/account/tokens").get_data(as_text=True)
    assert secret not in listing and "laptop" in listing
    revoke = re.search(r'action="(/account/tokens/[0-9a-f-]{36}/revoke)"', listing).group(1)
    assert post_form(mx_client, revoke, {}, form_page="/account/tokens").status_code == 302
    assert "revoked" in mx_client.get("/account/tokens").get_data(as_text=True)
    bad = post_form(mx_client, "/account/tokens", {"name": "", "days": "999"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and 'id="name-error"' in text and 'id="days-error"' in text


def test_task_force_roster(mx_client):
    response = post_form(mx_client, "/taskforces/new", {"code": "fuerza 1", "name": ""})
    assert response.status_code == 400 and 'id="code-error"' in response.get_data(as_text=True)
    response = post_form(
        mx_client, "/taskforces/new", {"code": "JTF-NORTE", "name": "Norte", "joint": "yes"}
    )
    roster = response.headers["Location"]
    official = _official_id(_register(mx_client))
    passed = post_form(
        mx_client,
        f"/officials/{official}/evaluations/new",
        {
            "type": "recruitment",
            "outcome": "pass",
            "evaluated_on": "2026-01-15",
            "component_polygraph": "pass",
            "component_toxicological": "pass",
        },
    )
    assert passed.status_code == 302
    task_force_id = roster.rsplit("/", 1)[1]
    response = post_form(
        mx_client,
        f"/officials/{official}/taskforces",
        {"task_force": task_force_id, "role": "Comandante", "senior": "yes"},
        form_page=f"/officials/{official}",
    )
    assert response.status_code == 302
    page = mx_client.get(roster).get_data(as_text=True)
    assert "María Guadalupe Hernández López" in page and "Comandante" in page
    response = post_form(mx_client, f"{roster}/members/{official}/remove", {}, form_page=roster)
    assert response.status_code == 302
    assert "Nobody is on the roster." in mx_client.get(roster).get_data(as_text=True)


def test_every_message_has_a_spanish_translation():
    """Every blueprint's templates and Python files, with the babel configuration of `web/`."""
    import re
    from pathlib import Path

    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    from babel.messages.pofile import read_po

    web = Path(__file__).resolve().parents[2] / "web"
    with (web / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    extracted = list(extract_from_dir(str(web), method_map, options_map, keywords=keywords))
    wanted = {message for _n, _l, message, _c, _x in extracted}
    sources = {name.split("/")[0] for name, *_ in extracted}
    assert {"audit", "lifecycle", "templates", "officials", "auth", "work"} <= sources
    assert {n for n, *_ in extracted if n.startswith(("templates/audit/", "templates/lifecycle/"))}
    with (web / "translations/es/LC_MESSAGES/messages.po").open("rb") as source:
        catalogue = read_po(source)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    assert not wanted - translated, sorted(wanted - translated)
    assert not [m.id for m in catalogue if m.id and m.fuzzy]
    placeholder = re.compile(r"%\([a-z_]+\)s")
    broken = [
        m.id
        for m in catalogue
        if isinstance(m.id, str)
        and m.id
        and sorted(placeholder.findall(m.id)) != sorted(placeholder.findall(m.string))
    ]
    assert not broken, broken
