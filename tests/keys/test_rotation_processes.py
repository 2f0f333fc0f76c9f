"""Rotation as an operator runs it: `vetreg keys rotate` processes, beside a serving process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from registry.config import Settings
from registry.context import RegistryContext
from registry.models import DataKey, KeyRotation, OfficialIndex
from registry.policy import Actor
from registry.services.officials import find_by_curp, get_official, register_official
from tests.factories import World
from tests.keys.conftest import ROOT, VETREG, run_vetreg
from tests.keys.test_retention import PERSON, entry
from tests.keys.test_rotation import decrypt_all, expected_digests, index_digests
from tests.keys.worker import populate

pytestmark = [pytest.mark.slow, pytest.mark.serial]


class Churn:
    """The second process: registers, looks up and reads officials until stopped."""

    def __init__(self, stop_file: Path, known: list[str], listed: str | None = None) -> None:
        self.stop_file = stop_file
        self.lines: list[dict[str, object]] = []
        extra = ["--listed", listed] if listed else []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.keys.worker", "churn", str(stop_file), *extra,
             "--known", *known],
            cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(json.loads(line))

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.lines) < count:
            assert self.proc.poll() is None, self.proc.stderr.read() if self.proc.stderr else ""
            assert time.monotonic() < deadline, "the second process made no progress"
            time.sleep(0.05)

    def stop(self) -> str:
        self.stop_file.touch()
        self.proc.wait(timeout=120)
        self._reader.join(timeout=30)  # the reader, not communicate(), drains stdout
        assert self.proc.stderr is not None and self.proc.stdout is not None
        err = self.proc.stderr.read()
        self.proc.stderr.close()
        self.proc.stdout.close()
        return err


def test_rotation_while_another_process_screens_and_writes(
    instance: Settings, registry: RegistryContext, people: World, operator: Actor, tmp_path: Path
) -> None:
    populate(registry, 300)
    known = [str(i) for i in list(decrypt_all(registry))[:5]]
    listed_id = register_official(registry.uow(), people.mx_officer, PERSON)
    entry(registry, people.mx_officer, listed_id, "ROT-1", "2024-01-10", retain_until="2040-01-10")
    churn = Churn(tmp_path / "stop", known, json.dumps(
        {k: v for k, v in vars(PERSON).items() if k != "national_ids"}))
    try:
        churn.wait_for(3)
        kek = run_vetreg("keys", "rotate", "--kek", "--batch-size", "40")
        during_kek = len(churn.lines)
        index = run_vetreg("keys", "rotate", "--index", "--batch-size", "40")
        churn.wait_for(len(churn.lines) + 3)
    finally:
        err = churn.stop()
    assert kek.returncode == 0, kek.stderr
    assert index.returncode == 0, index.stderr
    assert churn.proc.returncode == 0, err
    assert len(churn.lines) > during_kek > 3  # it kept working through both rotations
    assert all(line["found"] and line["read"] and line["old_read"] and line["hit"]
               for line in churn.lines), [x for x in churn.lines if not all(x.values())][:3]
    check = RegistryContext.open(instance)
    try:
        names = decrypt_all(check)
        assert len(names) == 301 + len(churn.lines)  # no lost write
        officer = people.mx_officer
        for line in churn.lines:
            uow = check.uow()
            with uow:
                found = find_by_curp(uow, str(line["curp"]))
                assert found is not None and str(found.id) == line["id"]
            assert get_official(check.uow(), officer, str(line["id"])).given_names
        assert check.provider.kek_ids() == ["file-2"] and check.keyring.index_version() == 2
        for official_id in names:
            assert index_digests(check, official_id, 2) == expected_digests(check, official_id, 2)
    finally:
        check.close()


def _progress(registry: RegistryContext, kind: str) -> tuple[int, int] | None:
    with registry.session_factory() as session:
        row = session.execute(select(KeyRotation.done, KeyRotation.total).where(
            KeyRotation.kind == kind, KeyRotation.state == "running")).first()
        return (row[0], row[1]) if row else None


@pytest.mark.parametrize("what", ["kek", "index"])
def test_kill_9_in_the_middle_of_rotation_then_resume(
    instance: Settings, registry: RegistryContext, people: World, operator: Actor, what: str
) -> None:
    populate(registry, 800)
    before = decrypt_all(registry)
    # Batches back to back would leave this process few chances at SQLite's write lock to
    # watch the progress; a short pause between them is what an operator would give a server.
    proc = subprocess.Popen([VETREG, "keys", "rotate", f"--{what}", "--batch-size", "4",
                             "--pause", "0.01"],
                            cwd=ROOT, env=dict(os.environ), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while (progress := _progress(registry, what)) is None or progress[0] < 40:
        assert proc.poll() is None, "rotation finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done, total = _progress(registry, what) or (0, 0)
    assert 0 < done < total == 800

    # Killed mid-way: everything still reads, with the old keys.
    interrupted = RegistryContext.open(instance)
    try:
        assert decrypt_all(interrupted) == before
    finally:
        interrupted.close()

    result = run_vetreg("keys", "rotate", f"--{what}")
    assert result.returncode == 0, result.stderr
    assert "Resumed the rotation" in result.stdout

    after = RegistryContext.open(instance)
    try:
        assert decrypt_all(after) == before  # a double wrap would not unwrap to a usable key
        with after.session_factory() as session:
            if what == "kek":
                assert set(session.scalars(select(DataKey.kek_id).distinct())) == {"file-2"}
                assert session.scalar(select(func.count()).select_from(DataKey)) == 800
                assert after.provider.kek_ids() == ["file-2"]
            else:
                assert after.keyring.index_version() == 2
                assert session.scalar(select(func.count()).where(
                    OfficialIndex.key_version != 2)) == 0
        if what == "index":
            expected = {o: expected_digests(after, o, 2) for o in before}
            for official_id, digests in expected.items():
                assert index_digests(after, official_id, 2) == digests
            with after.session_factory() as session:  # every row once: none missing, no duplicate
                assert session.scalar(select(func.count()).select_from(OfficialIndex)) == sum(
                    len(d) for d in expected.values())
    finally:
        after.close()
