"""The real server (create_app under werkzeug, on a committed instance) and the CLI against it."""

from __future__ import annotations

import csv
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from werkzeug.serving import make_server

from cli.main import cli
from registry.config import Settings
from registry.context import RegistryContext
from registry.policy import Actor
from registry.services import accounts
from tests.conftest import Database
from tests.factories import build_world
from tests.screening.conftest import MX_PERSON, US_PERSON, list_person
from web import create_app

MX_ARGS = ["--given", "José Luis", "--paternal", "Ramírez", "--maternal", "de la Cruz",
           "--birth-date", "1979-11-02", "--sex", "H", "--curp", "RACL791102HDFMRS07"]


@dataclass
class Server:
    url: str
    tokens: dict[str, str]
    settings: Settings

    def run(self, user: str | None, *args: str, stdin: str | None = None,
            env: dict[str, str] | None = None) -> Result:
        environ = {"VETREG_TOKEN": self.tokens[user] if user else ""} | (env or {})
        return CliRunner().invoke(cli, [*args, "--server", self.url], input=stdin, env=environ,
                                  catch_exceptions=False)


@pytest.fixture
def server(instance: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("VETREG_TOKEN", raising=False)
    ctx = RegistryContext.open(instance)
    operator = Actor.system_operator("tests")
    world = build_world(ctx, operator)
    list_person(ctx, world.mx_officer, MX_PERSON, "GN-2025-017")
    list_person(ctx, world.us_officer, US_PERSON, "DEA-OPR-88", "H0")
    tokens = {name: accounts.create_token(ctx.uow(), operator, name="e2e", days=1,
                                          username=name)[1]
              for name in ("mx.screener", "us.screener", "mx.vettingofficer", "mx.auditor")}
    app = create_app(instance, ctx, {"RATELIMIT_ENABLED": False})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield Server(f"http://127.0.0.1:{httpd.server_port}", tokens, instance)
    httpd.shutdown()
    thread.join(5)
    ctx.close()


def test_single_screening_exit_codes(server: Server) -> None:
    hit = server.run("us.screener", "screen", *MX_ARGS, "--purpose", "hiring")
    assert hit.exit_code == 3, hit.output
    assert "HIT (1)" in hit.output and "GN-2025-017" in hit.output and "exact" in hit.output
    no_hit = server.run("us.screener", "screen", "--given", "Ana", "--paternal", "Beltrán",
                        "--birth-date", "1991-01-20", "--purpose", "HIRING")
    assert no_hit.exit_code == 0 and "NO HIT" in no_hit.output
    bad = server.run("us.screener", "screen", "--given", "Ana", "--paternal", "Beltrán",
                     "--birth-date", "20/01/1991", "--curp", "XXXX", "--purpose", "HIRING")
    assert bad.exit_code == 2
    assert "birth_date: is not a valid date" in bad.output and "curp:" in bad.output
    as_json = server.run("mx.screener", "screen", *MX_ARGS, "--purpose", "HIRING", "--json")
    assert as_json.exit_code == 3 and json.loads(as_json.stdout)["hits"][0]["level"] == "exact"
    denied = server.run("mx.auditor", "screen", *MX_ARGS, "--purpose", "HIRING")
    assert denied.exit_code == 1 and "not permitted" in denied.output
    no_token = server.run(None, "screen", *MX_ARGS, "--purpose", "HIRING")
    assert no_token.exit_code == 1 and "vetreg login" in no_token.output
    wrong = server.run(None, "screen", *MX_ARGS, "--purpose", "HIRING",
                       env={"VETREG_TOKEN": "vr_not-a-token"})
    assert wrong.exit_code == 1 and "unknown, expired or revoked" in wrong.output


def test_unreachable_server_is_a_clear_error(server: Server) -> None:
    result = CliRunner().invoke(cli, ["screen", *MX_ARGS, "--purpose", "HIRING", "--server",
                                      "http://127.0.0.1:9"], env={"VETREG_TOKEN": "x"})
    assert result.exit_code == 1 and "cannot reach the registry" in result.output


def test_other_country_gets_a_summary_same_country_the_detail(server: Server) -> None:
    other = server.run("us.screener", "screen", *MX_ARGS, "--purpose", "HIRING", "--details")
    assert other.exit_code == 3 and "ask originator" in other.output
    assert "Recibió pagos" not in other.output and "legal basis" not in other.output
    same = server.run("mx.screener", "screen", *MX_ARGS, "--purpose", "HIRING", "--details")
    assert same.exit_code == 3 and "Recibió pagos" in same.output and "LGSNSP" in same.output


def test_batch_with_bad_rows(server: Server, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "employee_id,given_names,paternal_surname,maternal_surname,birth_date,sex,curp\n"
        "E-1,Jose Luis,Ramirez,Cruz,1979-11-02,H,\n"
        "E-2,Ana Sofía,Beltrán,Ochoa,1991-01-20,M,\n"
        "E-3,Pedro,Gómez,,1985-13-40,H,\n"
        "E-4,,Soto,,1980-01-01,H,\n"
        "E-5,Luis,Mora,,1970-01-01,H,,surplus\n"
        "E-6,Robert,Whitfield,,1972-04-18,H,\n", encoding="utf-8")
    out = tmp_path / "results.csv"
    result = server.run("us.screener", "screen-batch", str(roster), "--purpose", "HIRING",
                        "--out", str(out))
    assert result.exit_code == 3, result.output
    assert "row 4, birth_date: is not a valid date" in result.output
    assert "row 5, given_names: is required" in result.output
    assert "row 6, row: has 8 cells; the header has 7" in result.output
    assert "6 rows: 3 screened, 2 hit(s)" in result.output
    assert "3 bad row(s) skipped" in result.output
    with out.open(encoding="utf-8") as handle:
        records = {r["employee_id"]: r for r in csv.DictReader(handle)}
    assert records["E-1"]["outcome"] == "hit" and records["E-1"]["case_ref"] == "GN-2025-017"
    assert records["E-2"]["outcome"] == "no_hit" and records["E-3"]["outcome"] == "error"
    assert records["E-6"]["originating_agency"] == "US-DEA"
    jsonl = tmp_path / "results.jsonl"
    again = server.run("us.screener", "screen-batch", str(roster), "--purpose", "HIRING",
                       "--out", str(jsonl), "--chunk-size", "2")
    lines = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert again.exit_code == 3 and len(lines) == 6
    assert {line["employee_id"] for line in lines if line["outcome"] != "error"} == {
        "E-1", "E-2", "E-6"}
    missing = tmp_path / "bad.csv"
    missing.write_text("name,surname\nA,B\n", encoding="utf-8")
    refused = server.run("us.screener", "screen-batch", str(missing), "--purpose", "HIRING")
    assert refused.exit_code == 2
    assert "missing column(s) given_names, paternal_surname" in refused.output


def test_hit_confirmation_round_trip(server: Server) -> None:
    asked = server.run("us.screener", "screen", *MX_ARGS, "--purpose", "TASKFORCE",
                       "--request-confirmation", "urgent", "--json")
    assert asked.exit_code == 3, asked.output
    request_id = json.loads(asked.stdout)["confirmations"][0]["id"]
    pending = server.run("us.screener", "confirmations", "status", request_id)
    assert "due in" in pending.output and "Recibió" not in pending.output
    listing = server.run("mx.vettingofficer", "confirmations", "list")
    assert request_id in listing.output and "US-DEA" in listing.output
    shown = server.run("mx.vettingofficer", "confirmations", "show", request_id)
    assert shown.exit_code == 0 and shown.output.count("Ramírez") == 2
    refused = server.run("mx.screener", "confirmations", "answer", request_id, "--confirm")
    assert refused.exit_code == 1 and "not permitted" in refused.output
    answered = server.run("mx.vettingofficer", "confirmations", "answer", request_id, "--confirm")
    assert answered.exit_code == 0 and "confirmed" in answered.output
    released = server.run("us.screener", "confirmations", "status", request_id)
    assert "not for judicial use" in released.output and "Recibió pagos" in released.output
    assert "RACL791102HDFMRS07" in released.output
    assert "No confirmation requests (pending)." in server.run(
        "mx.vettingofficer", "confirmations", "list", "--status", "pending").output


def test_login_stores_the_token_privately(server: Server, tmp_path: Path) -> None:
    result = server.run(None, "login", "--token-stdin", stdin=server.tokens["mx.screener"] + "\n")
    assert result.exit_code == 0 and "as mx.screener (MX-GN, screener)" in result.output
    path = tmp_path / "config" / "vetreg" / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert server.run(None, "screen", *MX_ARGS, "--purpose", "HIRING").exit_code == 3
    bad = server.run(None, "login", "--token-stdin", stdin="vr_wrong\n")
    assert bad.exit_code == 1


def test_installed_console_script(server: Server) -> None:
    vetreg = Path(sys.executable).with_name("vetreg")
    env = {**os.environ, "VETREG_TOKEN": server.tokens["us.screener"]}
    done = subprocess.run([str(vetreg), "screen", *MX_ARGS, "--purpose", "HIRING", "--server",
                           server.url], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3 and "GN-2025-017" in done.stdout


def test_screening_works_while_the_database_holds_no_plaintext_names(
        server: Server, fresh_db: Database) -> None:
    result = server.run("us.screener", "screen", "--given", "Jose", "--paternal", "RAMIREZ",
                        "--birth-date", "1979-11-02", "--purpose", "HIRING", "--json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["hits"][0]["case_ref"] == "GN-2025-017"
    server.run("us.screener", "screen", *MX_ARGS, "--purpose", "HIRING",
               "--request-confirmation", "routine")
    dump = _database_bytes(server.settings, fresh_db)
    secrets = ["Ramírez", "RAMIREZ", "Ramirez", "José Luis", "JOSE LUIS", "RACL791102",
               "1979-11-02", "Whitfield", "WHITFIELD", "1972-04-18", "Recibió pagos"]
    found = [s for s in secrets if s.encode() in dump or s.encode("utf-16-le") in dump]
    assert len(dump) > 10_000 and found == []


def _database_bytes(settings: Settings, fresh_db: Database) -> bytes:
    if fresh_db.backend == "sqlite":
        path = Path(settings.database_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    url = settings.database_url.replace("postgresql+psycopg://", "postgresql://")
    return subprocess.run(["pg_dump", "--no-owner", url], check=True, capture_output=True).stdout
