"""Administrator commands against a real instance (key file, migrated database)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from registry.config import Settings


@pytest.fixture
def run(instance: Settings):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


def test_help_on_every_command() -> None:
    runner = CliRunner()
    for path in (
        ["--help"],
        ["db", "--help"],
        ["agencies", "add", "--help"],
        ["users", "add", "--help"],
        ["tokens", "create", "--help"],
        ["import", "--help"],
        ["demo", "--help"],
        ["init", "--help"],
    ):
        result = runner.invoke(cli, path)
        assert result.exit_code == 0 and "Usage:" in result.output, path


def test_init_is_idempotent_and_key_file_private(run, instance: Settings) -> None:  # type: ignore[no-untyped-def]
    result = run("init")
    assert result.exit_code == 0 and "Database ready" in result.output
    assert stat.S_IMODE(Path(instance.key_file).stat().st_mode) == 0o600
    assert "head" in run("db", "current").output


def test_agencies_users_tokens_round_trip(run) -> None:  # type: ignore[no-untyped-def]
    assert "No agencies yet" in run("agencies", "list").output
    assert (
        run(
            "agencies",
            "add",
            "MX-GN",
            "--name",
            "Guardia Nacional",
            "--country",
            "MX",
            "--sector",
            "police",
        ).exit_code
        == 0
    )
    bad = run("agencies", "add", "US-GN", "--name", "x", "--country", "MX", "--sector", "police")
    assert bad.exit_code == 2 and "code: must start with MX-" in bad.output
    assert "MX-GN" in run("agencies", "list").output
    result = run(
        "users",
        "add",
        "ana",
        "--agency",
        "MX-GN",
        "--role",
        "screener",
        "--password",
        "a long enough password",
    )
    assert result.exit_code == 0
    short = run(
        "users", "add", "bob", "--agency", "MX-GN", "--role", "screener", "--password", "short"
    )
    assert short.exit_code == 2 and "password: must be at least 12 characters" in short.output
    created = run("tokens", "create", "ana", "--days", "30")
    secret = created.output.strip().splitlines()[-1]
    assert created.exit_code == 0 and secret.startswith("vr_")
    listing = run("tokens", "list")
    assert secret not in listing.output and "ana" in listing.output
    assert run("users", "disable", "ana").exit_code == 0
    assert "disabled" in run("users", "list").output


def test_unknown_agency_is_a_clear_error(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "users",
        "add",
        "ana",
        "--agency",
        "MX-NOPE",
        "--role",
        "screener",
        "--password",
        "a long enough password",
    )
    assert result.exit_code == 2
    assert "agency: agency 'MX-NOPE' does not exist" in result.output
    assert "Traceback" not in result.output


def test_demo_loads_once(run) -> None:  # type: ignore[no-untyped-def]
    first = run("demo")
    assert (
        first.exit_code == 0 and "Demo data loaded" in first.output and "mx.oficial" in first.output
    )
    assert "already present" in run("demo").output
