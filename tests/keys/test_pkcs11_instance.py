"""A whole instance on an HSM: VETREG_KEY_PROVIDER=pkcs11 through init, writes, reads, rotation.

Each step is a separate process (as in production), so SoftHSM2 reads this test's own token
directory whatever other tests loaded into the pytest process.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Database
from tests.hsm.softhsm import SoftHsm, SoftHsmUnavailable, create, unavailable
from tests.keys.conftest import run_vetreg, run_worker

pytestmark = pytest.mark.slow
TOKEN = "vetreg-instance"


@pytest.fixture(scope="module")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> SoftHsm:
    try:
        return create(tmp_path_factory.mktemp("softhsm-instance"), [TOKEN])
    except SoftHsmUnavailable as exc:
        unavailable(str(exc))


@pytest.fixture
def hsm_instance(softhsm: SoftHsm, fresh_db: Database, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    for name, value in {
        "SOFTHSM2_CONF": str(softhsm.conf), "VETREG_KEY_PROVIDER": "pkcs11",
        "VETREG_PKCS11_MODULE": softhsm.module, "VETREG_PKCS11_TOKEN_LABEL": TOKEN,
        "VETREG_PKCS11_PIN": softhsm.pin, "VETREG_INSTANCE_DIR": str(tmp_path / "instance"),
        "VETREG_DATABASE_URL": fresh_db.url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("VETREG_KEY_FILE", raising=False)
    yield fresh_db
    subprocess.run(["softhsm2-util", "--delete-token", "--token", TOKEN], env=dict(os.environ),
                   capture_output=True, check=False)
    create(softhsm.conf.parent, [TOKEN])  # a clean token for the other backend


def roundtrip(n: int) -> dict[str, object]:
    result = run_worker("roundtrip", str(n))
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_instance_runs_on_the_hsm_provider(hsm_instance: Database, tmp_path: Path) -> None:
    init = run_vetreg("init")
    assert init.returncode == 0, init.stderr
    assert not (tmp_path / "instance" / "vetreg.keys").exists()  # no key file: the token holds it
    populated = run_worker("populate", "25", "--world")
    assert populated.returncode == 0, populated.stderr
    first = roundtrip(2)
    assert (first["found"], first["read"], first["provider"]) == (True, True, "Pkcs11KeyProvider")

    rotated = run_vetreg("keys", "rotate", "--kek")
    assert rotated.returncode == 0, rotated.stderr
    assert "vetreg-kek-1 -> vetreg-kek-2" in rotated.stdout
    assert "Retired: vetreg-kek-1" in rotated.stdout
    status = run_vetreg("keys", "status")
    assert status.returncode == 0, status.stderr
    keks = status.stdout.split("Secrets:")[0]
    assert "vetreg-kek-2" in keks and "vetreg-kek-1" not in keks  # destroyed in the token
    assert "26 data keys" in keks  # 25 + 1 round trip, all under the new KEK
    after = roundtrip(3)
    assert (after["found"], after["read"]) == (True, True)
    if hsm_instance.backend == "sqlite":
        path = hsm_instance.url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as db:
            lengths = {len(w) for (w,) in db.execute("SELECT wrapped FROM data_keys")}
            keks = {k for (k,) in db.execute("SELECT DISTINCT kek_id FROM data_keys")}
        assert lengths == {40} and keks == {"vetreg-kek-2"}  # RFC 3394 wraps made by the token
