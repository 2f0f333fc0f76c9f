"""A real browser (Debian's chromium, driven by Playwright) against `vetreg serve` on a free port.

Chromium is installed with apt when missing. Without it the tests are skipped, except under
CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from registry.config import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def _install_chromium() -> str | None:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=False)
        subprocess.run(
            ["apt-get", "install", "-y", "chromium"], env=env, capture_output=True, check=False
        )
    return CHROMIUM if Path(CHROMIUM).exists() else None


@pytest.fixture(scope="session")
def chromium() -> str:
    path = _install_chromium()
    if path is None:
        message = f"chromium is not installed at {CHROMIUM} and apt-get could not install it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def browser(chromium: str) -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        if os.environ.get("CI") == "true":
            pytest.fail(f"playwright is not installed: {exc}")
        pytest.skip(f"playwright is not installed: {exc}")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def vetreg(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the admin CLI against the same instance."""
        return subprocess.run(
            [sys.executable, "-c", "from cli.main import main; main()", *args],
            capture_output=True,
            text=True,
            env=os.environ.copy(),
            cwd=ROOT,
            check=False,
        )


@pytest.fixture
def server(instance: Settings, tmp_path: Path) -> Iterator[Server]:
    """`vetreg serve` (gunicorn) on a free port, on the fresh instance's database."""
    port = free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "VETREG_LOGIN_RATE_LIMIT": "60 per minute"}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from cli.main import main; main()",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/auth/login", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        process.terminate()
        raise AssertionError(f"server did not start:\n{log.read_text()}")
    yield Server(url, process, log)
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def screenshots(backend: str):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shoot(page: object, name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{backend}-{name}.png"), full_page=True)  # type: ignore[attr-defined]

    return shoot
