"""Backups taken while the registry writes restore, on an empty instance, to a consistent state."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from registry.config import Settings
from registry.context import RegistryContext
from registry.crypto import FileKeyProvider
from registry.errors import Conflict, KeyUnavailable, ValidationFailed
from registry.models import AuditEvent, Official
from registry.policy import Actor
from registry.services.backup import create_backup, restore_backup, verify_chain
from registry.services.officials import find_by_curp, register_official
from registry.services.screening import ScreeningInput, screen
from tests.conftest import Database, new_database
from tests.factories import World
from tests.keys.conftest import run_vetreg
from tests.keys.test_retention import PERSON, entry
from tests.keys.test_rotation import decrypt_all
from tests.keys.test_rotation_processes import Churn
from tests.keys.worker import populate

SECRETS = ["Xóchitl", "XÓCHITL", "Amaranta", "Cuevas", "CUEVAS", "Iturbide", "COPT850115",
           "Reprobó el polígrafo", "Trabajador", "Concurrente"]


@pytest.fixture
def target(backend: str, tmp_path: Path, instance: Settings) -> Iterator[tuple[Settings, Database]]:
    """An empty instance (its own database) holding a copy of the source's key files."""
    database = new_database(backend, tmp_path / "restored-db")
    folder = tmp_path / "restored"
    folder.mkdir()
    for name in ("vetreg.keys", "audit-log.key"):
        source = instance.instance_dir / name
        if source.exists():
            shutil.copy2(source, folder / name)
    settings = Settings(instance_dir=folder, database_url=database.url,
                        key_file=folder / "vetreg.keys")
    yield settings, database
    database.drop()


def env_of(settings: Settings) -> dict[str, str]:
    return {**os.environ, "VETREG_INSTANCE_DIR": str(settings.instance_dir),
            "VETREG_DATABASE_URL": settings.database_url,
            "VETREG_KEY_FILE": str(settings.key_file)}


def test_backup_taken_while_writes_happen_restores_consistent_and_verifies(
    registry: RegistryContext, people: World, operator: Actor, tmp_path: Path,
    target: tuple[Settings, Database], monkeypatch: pytest.MonkeyPatch,
) -> None:
    populate(registry, 150)
    official_id = register_official(registry.uow(), people.mx_officer, PERSON)
    entry(registry, people.mx_officer, official_id, "BK-1", "2024-01-10", retain_until="2040-01-10")
    signed = run_vetreg("audit", "checkpoint", "--no-cosign")  # creates the log key to back up
    assert (registry.settings.instance_dir / "audit-log.key").exists(), signed.stderr
    churn = Churn(tmp_path / "stop", [])
    try:
        churn.wait_for(3)
        made = run_vetreg("backup", "--out", str(tmp_path / "snap.bak"))
        churn.wait_for(len(churn.lines) + 3)  # writes went on after the snapshot
    finally:
        err = churn.stop()
    assert made.returncode == 0, made.stderr
    assert churn.proc.returncode == 0, err
    assert "Audit log:" in made.stdout and "file-1" in made.stdout

    settings, _ = target
    shutil.copy2(registry.settings.instance_dir / "audit-log.key", settings.instance_dir)
    for key, value in env_of(settings).items():
        monkeypatch.setenv(key, value)
    restored = run_vetreg("restore", str(tmp_path / "snap.bak"))
    assert restored.returncode == 0, restored.stderr
    assert "hash chain verified" in restored.stdout
    verified = run_vetreg("audit", "verify")  # the log and its signed checkpoint
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "OK: the log verifies" in verified.stdout

    ctx = RegistryContext.open(settings)
    try:
        names = decrypt_all(ctx)  # every record decrypts with the backed-up keys
        with ctx.session_factory() as session:
            verify_chain(session)
            registered = session.scalar(select(func.count()).where(
                AuditEvent.action == "official.register"))
            actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
            assert session.scalar(select(func.count()).select_from(Official)) == len(names)
        assert registered == len(names)  # each write with its event, nothing half in
        assert 151 + 3 <= len(names) < 151 + len(churn.lines)
        assert actions[-2:] == ["backup.restore", "audit.verify"]
        assert "backup.create" not in actions  # recorded in the source after the snapshot
        in_backup = [line for line in churn.lines if uuid.UUID(str(line["id"])) in names]
        for line in in_backup:
            uow = ctx.uow()
            with uow:
                found = find_by_curp(uow, str(line["curp"]))
                assert found is not None and str(found.id) == line["id"]
        query = ScreeningInput(PERSON.given_names, PERSON.paternal_surname,
                               PERSON.maternal_surname, "1985-01-15", "M", PERSON.curp)
        result = screen(ctx.uow(), people.actor("MX", "screener"), "HIRING", query)
        assert result.is_hit and result.hits[0].case_ref == "BK-1"
    finally:
        ctx.close()


def _plain_text(path: Path, backend: str) -> bytes:
    if backend == "sqlite":
        return path.read_bytes()
    return subprocess.run(["pg_restore", "--file=-", str(path)], check=True,
                          capture_output=True).stdout


def test_backup_holds_ciphertext_only_and_restore_checks_its_target(
    registry: RegistryContext, people: World, operator: Actor, tmp_path: Path, backend: str,
    target: tuple[Settings, Database],
) -> None:
    official_id = register_official(registry.uow(), people.mx_officer, PERSON)
    entry(registry, people.mx_officer, official_id, "BK-2")
    out = tmp_path / "plain.bak"
    report = create_backup(registry, registry.uow(), operator, out)
    assert (out.stat().st_mode & 0o777) == 0o600 and report.kek_ids == ("file-1",)
    dump = _plain_text(out, backend)
    assert len(dump) > 10_000
    assert [s for s in SECRETS if s.encode() in dump or s.encode("utf-16-le") in dump] == []
    with pytest.raises(Conflict, match="already exists"):
        create_backup(registry, registry.uow(), operator, out)

    with pytest.raises(Conflict, match="empty"):
        restore_backup(registry.settings, out, operator)
    settings, _ = target
    with pytest.raises(ValidationFailed, match=r"file: .* is not"):
        restore_backup(settings, Path(__file__), operator)
    stranger = tmp_path / "stranger.keys"
    FileKeyProvider.create(stranger)
    wrong_keys = Settings(instance_dir=settings.instance_dir, database_url=settings.database_url,
                          key_file=stranger)
    with pytest.raises(KeyUnavailable, match="file-1 in the key file is not the key"):
        restore_backup(wrong_keys, out, operator)
    FileKeyProvider(stranger).new_kek()
    FileKeyProvider(stranger).retire_kek("file-1")
    with pytest.raises(KeyUnavailable, match="lacks file-1"):
        restore_backup(wrong_keys, out, operator)
    report_back = restore_backup(settings, out, operator)  # the target was left empty
    assert report_back.kek_ids == ("file-1",) and report_back.audit_events == report.audit_events
