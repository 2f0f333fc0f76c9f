"""Throwaway SoftHSM2 tokens for tests: find (or, as root, install) SoftHSM2, then make tokens.

Each environment has its own `softhsm2.conf` whose `directories.tokendir` is a temporary
directory, so tests never touch the machine's own tokens. SoftHSM2 reads `SOFTHSM2_CONF` once,
when the module is initialised in a process: set it before the first PKCS#11 call.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

UTIL = "softhsm2-util"
PACKAGE = "softhsm2"
MODULE_NAME = "libsofthsm2.so"
_FALLBACK_MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
)
_APT_TIMEOUT = 900


class SoftHsmUnavailable(Exception):
    """SoftHSM2 is not installed and could not be installed here."""


@dataclass(frozen=True)
class SoftHsm:
    """A SoftHSM2 configuration with initialised tokens (all share one user PIN)."""

    module: str
    conf: Path
    version: str
    labels: tuple[str, ...]
    pin: str
    so_pin: str


def _run(args: Sequence[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return subprocess.run(
        list(args), capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def _apt_install() -> None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        raise SoftHsmUnavailable(f"{UTIL} not found and not root: apt-get install {PACKAGE}")
    if shutil.which("apt-get") is None:
        raise SoftHsmUnavailable(f"{UTIL} not found and there is no apt-get to install it")
    install = ["apt-get", "install", "-y", "--no-install-recommends", PACKAGE]
    try:
        if _run(install, _APT_TIMEOUT).returncode != 0:
            update = _run(["apt-get", "update"], _APT_TIMEOUT)
            if update.returncode != 0:
                raise SoftHsmUnavailable(f"apt-get update failed: {update.stderr.strip()[-300:]}")
            result = _run(install, _APT_TIMEOUT)
            if result.returncode != 0:
                raise SoftHsmUnavailable(
                    f"apt-get install {PACKAGE} failed: {result.stderr.strip()[-300:]}"
                )
    except subprocess.TimeoutExpired:
        raise SoftHsmUnavailable(f"apt-get install {PACKAGE} timed out") from None


def ensure_util() -> str:
    """The path of `softhsm2-util`, installing the package first if needed and possible."""
    found = shutil.which(UTIL)
    if found is None:
        _apt_install()
        found = shutil.which(UTIL)
    if found is None:
        raise SoftHsmUnavailable(f"{UTIL} is still missing after installing {PACKAGE}")
    return found


def find_module() -> str:
    """The path of the SoftHSM2 PKCS#11 module, from dpkg's file lists or the usual places."""
    candidates: list[str] = []
    if shutil.which("dpkg") is not None:
        for package in (PACKAGE, "libsofthsm2"):
            listing = _run(["dpkg", "-L", package])
            if listing.returncode == 0:
                candidates += [line.strip() for line in listing.stdout.splitlines()]
    candidates += _FALLBACK_MODULES
    for path in candidates:
        if Path(path).name == MODULE_NAME and Path(path).is_file():
            return path
    raise SoftHsmUnavailable(f"no {MODULE_NAME} found (dpkg -L {PACKAGE} lists none)")


def create(
    directory: Path, labels: Sequence[str], pin: str = "4321", so_pin: str = "87654321"
) -> SoftHsm:
    """A fresh configuration under `directory` with one initialised token per label."""
    util = ensure_util()
    module = find_module()
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\n"
        "log.level = ERROR\nslots.removable = false\n",
        encoding="utf-8",
    )
    env = dict(os.environ, SOFTHSM2_CONF=str(conf))
    version = subprocess.run(
        [util, "--version"], capture_output=True, text=True, env=env, check=False, timeout=60
    ).stdout.strip()
    for label in labels:
        result = subprocess.run(
            [util, "--init-token", "--free", "--label", label, "--so-pin", so_pin, "--pin", pin],
            capture_output=True, text=True, env=env, check=False, timeout=120,
        )
        if result.returncode != 0:
            raise SoftHsmUnavailable(
                f"{UTIL} --init-token failed for {label!r}: {result.stderr.strip()[-300:]}"
            )
    return SoftHsm(module, conf, version, tuple(labels), pin, so_pin)


def unavailable(reason: str) -> NoReturn:
    """Fail under CI (`CI=true`), skip elsewhere, saying why SoftHSM2 cannot be used."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"SoftHSM2 tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"SoftHSM2 tests skipped: {reason}")


@contextmanager
def raw_session(env: SoftHsm, label: str, *, login: bool = True) -> Iterator[Any]:
    """A python-pkcs11 session on a test token; without login it shares an existing login."""
    import pkcs11

    token = pkcs11.lib(env.module).get_token(token_label=label)
    session = token.open(rw=True, user_pin=env.pin if login else None)
    try:
        yield session
    finally:
        session.close()


def wipe(env: SoftHsm, label: str) -> None:
    """Destroy every object on a test token (nothing may still be logged in to it)."""
    with raw_session(env, label) as session:
        for obj in list(session.get_objects()):
            obj.destroy()
