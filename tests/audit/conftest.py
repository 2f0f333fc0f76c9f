"""Fixtures for the audit log: a log key, two countries' witnesses with their own keys."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from registry.audit.config import AuditSettings
from registry.audit.witness import Witness
from registry.audit.witness_http import LocalWitness
from registry.context import RegistryContext
from registry.crypto.signing import Ed25519FileKey, Ed25519Key
from registry.policy import Actor

# The web tests' fixtures, for the auditor pages (app, clock, signed-in users).
from tests.web.conftest import (  # noqa: F401
    agencies_world,
    app,
    clock,
    make_login,
    operator_actor,
    wctx,
)

ORIGIN = "vetreg.test/audit"


@dataclass
class Witnesses:
    """One witness per country, each with its own key and state file in its own folder."""

    mx: Witness
    us: Witness
    log_vkey: str

    def clients(self, *countries: str) -> dict[str, LocalWitness]:
        chosen = countries or ("MX", "US")
        by_country = {"MX": self.mx, "US": self.us}
        return {c: LocalWitness(by_country[c], {ORIGIN: self.log_vkey}) for c in chosen}

    @property
    def vkeys(self) -> dict[str, str]:
        return {"MX": self.mx.vkey, "US": self.us.vkey}


@pytest.fixture
def log_key(tmp_path: Path) -> Ed25519Key:
    (tmp_path / "log").mkdir()
    return Ed25519FileKey.generate(tmp_path / "log" / "audit-log.key", ORIGIN)


@pytest.fixture
def witnesses(tmp_path: Path, log_key: Ed25519Key) -> Witnesses:
    from registry.audit.checkpoint import signing_vkey

    made = []
    for country in ("mx", "us"):
        folder = tmp_path / f"witness-{country}"
        folder.mkdir()
        key = Ed25519FileKey.generate(folder / "witness.key", f"witness.{country}.test/audit")
        made.append(Witness(folder / "state.json", key,
                            trusted_logs={ORIGIN: signing_vkey(log_key)}))
    return Witnesses(made[0], made[1], signing_vkey(log_key))


@pytest.fixture
def audit_settings(ctx: RegistryContext, witnesses: Witnesses, tmp_path: Path) -> AuditSettings:
    return AuditSettings(origin=ORIGIN, log_key_file=tmp_path / "log" / "audit-log.key",
                         witness_vkeys=witnesses.vkeys)


def with_policy(settings: AuditSettings, *countries: str) -> AuditSettings:
    return replace(settings, policy=tuple(countries))


@pytest.fixture
def auditor(world: object) -> Actor:
    return world.actor("MX", "auditor")  # type: ignore[attr-defined]
