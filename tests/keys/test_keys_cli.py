"""The key, retention and backup commands: help, output, errors and exit codes."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update

from cli.main import cli
from registry.context import RegistryContext
from registry.models import KeySecret, Official
from tests.factories import World
from tests.keys.test_retention import entry
from tests.keys.worker import populate


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_help_on_every_command() -> None:
    for path in (["keys"], ["keys", "rotate"], ["keys", "status"], ["retention"],
                 ["retention", "run"], ["retention", "rules"], ["retention", "set-rule"],
                 ["retention", "hold"], ["retention", "release"], ["retention", "holds"],
                 ["backup"], ["restore"]):
        result = invoke(*path, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output, path


def test_keys_commands(registry: RegistryContext, people: World) -> None:
    populate(registry, 12)
    assert invoke("keys", "rotate").exit_code == 2  # must choose --kek or --index
    status = invoke("keys", "status")
    assert status.exit_code == 0
    assert "file-1                  12 data keys  2 secrets  (active)" in status.output
    assert "Rotations: none yet" in status.output
    assert "index rows  scheme 2\n" in status.output
    with registry.session_factory.begin() as session:  # as migration 0007 marks an older index
        session.execute(update(KeySecret).values(blocking_scheme=1))
    assert "scheme 1 (older: 'vetreg keys rotate --index' rebuilds it)" in invoke(
        "keys", "status").output
    rotated = invoke("keys", "rotate", "--index", "--batch-size", "5")
    assert rotated.exit_code == 0, rotated.output
    assert "Rotated index 1 -> 2: 12 officials indexed." in rotated.output
    assert "Retired: blind_index-1." in rotated.output
    status = invoke("keys", "status")
    assert "blind_index  v1   retired   material destroyed" in status.output
    assert "blind_index  v2   active" in status.output and "scheme 2\n" in status.output


def test_retention_commands(registry: RegistryContext, people: World) -> None:
    populate(registry, 1)
    official = _officials(registry)[0]
    entry_id = str(entry(registry, people.mx_officer, official, "CLI-1"))
    assert "failed_vetting" in invoke("retention", "rules").output
    bad = invoke("retention", "set-rule", "bribery", "MX", "0")
    assert bad.exit_code == 2
    assert "reason: must be one of" in bad.output and "years: must be between" in bad.output
    dry = invoke("retention", "run", "--dry-run", "--today", "2026-06-01")
    assert dry.exit_code == 0 and "Would shred 1 entries" in dry.output and entry_id in dry.output
    denied = invoke("retention", "hold", entry_id, "--reason", "audit", "--ref", "R-9",
                    "--as", "mx.screener")
    assert denied.exit_code == 4
    held = invoke("retention", "hold", entry_id, "--reason", "court_order", "--ref", "Amparo 9/26",
                  "--as", "mx.vettingofficer")
    assert held.exit_code == 0, held.output
    hold_id = held.output.split()[2]
    listing = invoke("retention", "holds", entry_id, "--as", "mx.vettingofficer")
    assert hold_id in listing.output and "active" in listing.output
    run = invoke("retention", "run", "--today", "2026-06-01")
    assert "Shredded 0 entries" in run.output and "legal_hold" in run.output
    assert invoke("retention", "release", hold_id, "--as", "mx.vettingofficer").exit_code == 0
    run = invoke("retention", "run", "--today", "2026-06-01")
    assert "Shredded 1 entries" in run.output and "identity shredded" in run.output


def _officials(registry: RegistryContext) -> list[uuid.UUID]:
    with registry.session_factory() as session:
        return list(session.scalars(select(Official.id)))


def test_backup_and_restore_commands_report_errors(
    registry: RegistryContext, people: World, tmp_path: Path, backend: str
) -> None:
    out = tmp_path / "b.bak"
    made = invoke("backup", "--out", str(out))
    assert made.exit_code == 0 and "sha256" in made.output
    again = invoke("backup", "--out", str(out))
    assert again.exit_code == 6 and "already exists" in again.output
    refused = invoke("restore", str(out))
    assert refused.exit_code == 6 and "empty" in refused.output


@pytest.mark.parametrize("args", [["retention", "hold", "not-an-id", "--reason", "audit",
                                   "--ref", "R", "--as", "mx.vettingofficer"]])
def test_unknown_entry_is_not_found(registry: RegistryContext, people: World,
                                    args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 5 and "does not exist" in result.output
