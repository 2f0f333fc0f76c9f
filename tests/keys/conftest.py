"""A real registry (key file, migrated database, agencies and users) for key-lifecycle tests.

Rotation changes the KEKs of its instance, so these tests never use the session-wide key file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry.config import Settings
from registry.context import RegistryContext
from registry.policy import Actor
from tests.factories import World, build_world

ROOT = Path(__file__).resolve().parents[2]
VETREG = str(Path(sys.executable).parent / "vetreg")


@pytest.fixture
def registry(instance: Settings) -> Iterator[RegistryContext]:
    ctx = RegistryContext.open(instance)
    yield ctx
    ctx.close()


@pytest.fixture
def people(registry: RegistryContext, operator: Actor) -> World:
    """Agencies and one user per role and country, committed in the instance."""
    return build_world(registry, operator)


def run_vetreg(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """`vetreg ARGS` in a separate process, with this test's VETREG_* environment."""
    return subprocess.run([VETREG, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=dict(os.environ), check=False)


def run_worker(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tests.keys.worker", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, env=dict(os.environ), check=False)
