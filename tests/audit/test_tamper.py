"""Tampering with the stored log is caught: online (`vetreg audit verify`) and offline (export).

The test drops the append-only triggers, as a database administrator could, then changes one
event, deletes one, swaps two, or truncates the tail.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from cli.main import cli
from registry.audit.checkpoint import signing_vkey
from registry.config import Settings
from registry.context import RegistryContext
from registry.crypto.signing import Ed25519FileKey
from registry.db import make_engine
from registry.policy import Actor
from tests.factories import build_world, register

VETREG = str(Path(sys.executable).with_name("vetreg"))
COLUMNS = ("id", "occurred_at", "actor_user_id", "actor_agency", "actor_country", "action",
           "object_type", "object_id", "outcome", "purpose", "details", "prev_hash", "hash")


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


@pytest.fixture
def history(instance: Settings) -> int:
    """A committed log with two checkpoints, the second near the end; returns its size."""
    registry = RegistryContext.open(instance)
    try:
        world = build_world(registry, Actor.system_operator("tests"))
        for n in range(3):
            register(registry, world.mx_officer, n)
        assert _run("audit", "checkpoint", "--no-cosign")[0] == 0
        for n in range(3):
            register(registry, world.us_officer, n)
        code, out = _run("audit", "checkpoint", "--no-cosign")
        assert code == 0, out
    finally:
        registry.close()
    return int(out.split("size ")[1].split(",")[0])


def _drop_triggers(conn: Connection) -> None:
    for verb in ("update", "delete"):
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"DROP TRIGGER audit_events_no_{verb} ON audit_events"))
        else:
            conn.execute(text(f"DROP TRIGGER audit_events_no_{verb}"))


def _change(conn: Connection, seq: int) -> None:
    conn.execute(text("UPDATE audit_events SET action = 'official.read' WHERE seq = :s"),
                 {"s": seq})


def _delete(conn: Connection, seq: int) -> None:
    conn.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": seq})


def _swap(conn: Connection, seq: int) -> None:
    cols = ", ".join(COLUMNS)
    rows = {r[0]: r[1:] for r in conn.execute(
        text(f"SELECT seq, {cols} FROM audit_events WHERE seq IN (:a, :b)"),
        {"a": seq, "b": seq + 1})}
    sets = ", ".join(f"{c} = :{c}" for c in COLUMNS)
    # Move one row aside first: `id` is unique.
    conn.execute(text("UPDATE audit_events SET id = :tmp WHERE seq = :s"),
                 {"tmp": "00000000000000000000000000000000" if conn.dialect.name == "sqlite"
                  else "00000000-0000-0000-0000-000000000000", "s": seq})
    for target, source in ((seq + 1, seq), (seq, seq + 1)):
        conn.execute(text(f"UPDATE audit_events SET {sets} WHERE seq = :target"),
                     {"target": target, **dict(zip(COLUMNS, rows[source], strict=True))})


def _truncate(conn: Connection, size: int) -> None:
    conn.execute(text("DELETE FROM audit_events WHERE seq > :s"), {"s": size - 6})


SEQ = 9
CASES: dict[str, tuple[Callable[[Connection, int], None], str]] = {
    "change": (lambda c, n: _change(c, SEQ), "was altered"),
    "delete": (lambda c, n: _delete(c, SEQ), f"event {SEQ} missing"),
    "swap": (lambda c, n: _swap(c, SEQ), f"does not follow event {SEQ - 1}"),
    "truncate": (_truncate, "(log truncated)"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_tampering_fails_verification_online_and_offline(
    case: str, instance: Settings, history: int, tmp_path: Path
) -> None:
    assert _run("audit", "verify")[0] == 0
    engine = make_engine(instance.database_url)
    with engine.begin() as conn:
        _drop_triggers(conn)
        CASES[case][0](conn, history)
    engine.dispose()
    expected = CASES[case][1]

    code, output = _run("audit", "verify")
    assert code == 3, output
    first_failure = output.split("FAILED: ")[1].splitlines()[0]
    assert expected in first_failure
    if case in ("change", "swap", "delete"):
        assert f" {SEQ}" in first_failure

    out = tmp_path / "export"
    assert _run("audit", "export", "--out", str(out))[0] == 0
    log_vkey = signing_vkey(Ed25519FileKey.load(instance.instance_dir / "audit-log.key"))
    clean_env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    offline = subprocess.run(
        [VETREG, "audit", "verify", "--export", str(out), "--log-key", log_vkey],
        env=clean_env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert offline.returncode == 3, offline.stdout + offline.stderr
    assert expected in offline.stderr.split("FAILED: ")[1].splitlines()[0]


def test_untouched_export_verifies_offline_without_database_or_keys(
    instance: Settings, history: int, tmp_path: Path
) -> None:
    out = tmp_path / "export"
    assert _run("audit", "export", "--out", str(out))[0] == 0
    log_vkey = signing_vkey(Ed25519FileKey.load(instance.instance_dir / "audit-log.key"))
    offline = subprocess.run(
        [VETREG, "audit", "verify", "--export", str(out), "--log-key", log_vkey, "--json"],
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)}, cwd=tmp_path,
        capture_output=True, text=True, timeout=120, check=False)
    assert offline.returncode == 0, offline.stderr
    assert '"ok": true' in offline.stdout
    # A key the auditor pinned that is not the log's key: every checkpoint fails.
    other = signing_vkey(Ed25519FileKey.generate(tmp_path / "other.key", "vetreg.local/audit"))
    code, output = _run("audit", "verify", "--export", str(out), "--log-key", other)
    assert code == 3 and "log signature does not verify" in output


def test_checkpoint_tables_refuse_update_and_delete(instance: Settings, history: int) -> None:
    engine = make_engine(instance.database_url)
    try:
        for statement in ("UPDATE audit_checkpoints SET tree_size = 1",
                          "DELETE FROM audit_checkpoints",
                          "UPDATE audit_events SET action = 'x'"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def test_checkpoint_refused_while_the_log_does_not_verify(instance: Settings, history: int) -> None:
    engine = make_engine(instance.database_url)
    with engine.begin() as conn:
        _drop_triggers(conn)
        _change(conn, SEQ)
    engine.dispose()
    code, output = _run("audit", "checkpoint", "--no-cosign")
    assert code == 6 and f"event {SEQ}" in output


@pytest.mark.parametrize("case", ["change", "delete"])
def test_parallel_verification_agrees(
    case: str, instance: Settings, history: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from registry.services import audit as audit_service

    monkeypatch.setattr(audit_service, "PARALLEL_THRESHOLD", 1)
    code, output = _run("audit", "verify", "--workers", "2")
    assert code == 0 and "OK: the log verifies" in output, output
    engine = make_engine(instance.database_url)
    with engine.begin() as conn:
        _drop_triggers(conn)
        CASES[case][0](conn, history)
    engine.dispose()
    code, output = _run("audit", "verify", "--workers", "2")
    assert code == 3
    first_failure = output.split("FAILED: ")[1].splitlines()[0]
    assert CASES[case][1] in first_failure and f" {SEQ}" in first_failure
