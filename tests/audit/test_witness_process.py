"""Each country's witness runs as its own process with its own key file and state file.

The registry (this test process) holds only the witnesses' public verifier keys and URLs; the
witnesses check consistency themselves, refuse forks and rollbacks, and keep the evidence.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from registry.audit.checkpoint import Checkpoint, sign_checkpoint, signing_vkey
from registry.audit.config import AuditSettings
from registry.audit.errors import WitnessRefusal
from registry.audit.merkle import MerkleTree, leaf_hash
from registry.audit.witness_http import HttpWitness
from registry.config import Settings
from registry.crypto.signing import Ed25519FileKey, SigningKey

VETREG = str(Path(sys.executable).with_name("vetreg"))


@dataclass
class WitnessProcess:
    country: str
    folder: Path
    url: str
    vkey: str
    process: subprocess.Popen[str]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def _witness_env(folder: Path) -> dict[str, str]:
    # Nothing of the registry's configuration: no database URL, no instance, no key file.
    return {"PATH": os.environ["PATH"], "HOME": str(folder)}


def start_witness(country: str, root: Path, log_vkey: str) -> WitnessProcess:
    folder = root / f"witness-{country.lower()}"
    folder.mkdir()
    key_file = folder / "witness.key"
    init = subprocess.run([VETREG, "witness", "init", "--key", str(key_file),
                           "--name", f"witness.{country.lower()}.test/audit"],
                          env=_witness_env(folder), cwd=folder, capture_output=True, text=True,
                          timeout=60, check=True)
    vkey = init.stdout.strip().splitlines()[-1]
    process = subprocess.Popen(
        [VETREG, "witness", "serve", "--country", country, "--key", str(key_file),
         "--state", str(folder / "state.json"), "--log-key", log_vkey, "--port", "0"],
        env=_witness_env(folder), cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True)
    assert process.stdout is not None
    first = process.stdout.readline()
    assert "listening on " in first, first
    return WitnessProcess(country, folder, first.split("listening on ")[1].strip(), vkey, process)


@pytest.fixture
def log_key(instance: Settings) -> SigningKey:
    return AuditSettings.from_env(instance).load_log_key(create=True)


@pytest.fixture
def witness_processes(
    tmp_path_factory: pytest.TempPathFactory, log_key: SigningKey
) -> Iterator[dict[str, WitnessProcess]]:
    root = tmp_path_factory.mktemp("witnesses")
    started = {c: start_witness(c, root, signing_vkey(log_key)) for c in ("MX", "US")}
    yield started
    for witness in started.values():
        witness.stop()


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, instance: Settings,
               witness_processes: dict[str, WitnessProcess]) -> dict[str, WitnessProcess]:
    monkeypatch.setenv("VETREG_WITNESS_URLS",
                       ",".join(f"{c}={w.url}" for c, w in witness_processes.items()))
    monkeypatch.setenv("VETREG_WITNESS_KEYS",
                       ",".join(f"{c}={w.vkey}" for c, w in witness_processes.items()))
    return witness_processes


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_witnesses_in_their_own_processes_cosign_and_the_checkpoint_is_final(
    instance: Settings, configured: dict[str, WitnessProcess]
) -> None:
    for witness in configured.values():
        assert not (instance.instance_dir / witness.folder.name).exists()
        assert witness.folder not in (instance.instance_dir, *instance.instance_dir.parents)
    code, output = _run("audit", "checkpoint")
    assert code == 0, output
    assert "MX witness: cosigned" in output and "US witness: cosigned" in output
    assert "Final under policy MX+US" in output
    # Each witness recorded the checkpoint in its own state file.
    for witness in configured.values():
        assert "vetreg.local/audit" in (witness.folder / "state.json").read_text()
    # The next checkpoint is cosigned after each witness checks a consistency proof.
    code, output = _run("audit", "checkpoint")
    assert code == 0 and "Final" in output, output
    code, output = _run("audit", "verify")
    assert code == 0 and "cosigned by MX, US; final" in output, output


def test_checkpoint_cosigned_by_one_country_only_is_not_final(
    instance: Settings, configured: dict[str, WitnessProcess]
) -> None:
    configured["US"].stop()
    code, output = _run("audit", "checkpoint")
    assert code == 1
    assert "MX witness: cosigned" in output and "US witness refused" in output
    assert "Not final: missing US" in output
    code, output = _run("audit", "status")
    assert code == 0 and "no (missing US)" in output


def test_witness_process_refuses_fork_and_rollback_and_keeps_both_as_evidence(
    instance: Settings, configured: dict[str, WitnessProcess], log_key: Ed25519FileKey
) -> None:
    for _ in range(2):
        assert _run("audit", "checkpoint")[0] == 0
    mx = configured["MX"]
    client = HttpWitness(mx.url)
    state = (mx.folder / "state.json").read_text()
    import json

    cosigned = json.loads(state)["logs"]["vetreg.local/audit"]
    size = int(cosigned["size"])
    # A fork: same size, another root, signed with the log's own key.
    other = MerkleTree([leaf_hash(b"rewritten %d" % i) for i in range(size + 3)])
    fork = sign_checkpoint(Checkpoint("vetreg.local/audit", size, other.root(size)), log_key)
    with pytest.raises(WitnessRefusal, match="fork"):
        client.add_checkpoint(size, [], fork)
    # A rollback: a smaller tree.
    rollback = sign_checkpoint(Checkpoint("vetreg.local/audit", size - 2, other.root(size - 2)),
                               log_key)
    with pytest.raises(WitnessRefusal, match="rollback"):
        client.add_checkpoint(size, [], rollback)
    folders = sorted((mx.folder / "state.evidence").iterdir())
    assert len(folders) == 2
    offered = {(f / "offered.checkpoint").read_text() for f in folders}
    assert offered == {fork, rollback}
    assert {(f / "cosigned.checkpoint").read_text() for f in folders} == {cosigned["checkpoint"]}
    # The witness still holds the genuine history and goes on cosigning it.
    assert _run("audit", "checkpoint")[0] == 0
