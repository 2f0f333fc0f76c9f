"""Web load benchmark: signed-in clients browsing and submitting forms against `vetreg serve`.

Each client signs in with password + TOTP, then loops over the officer's pages (dashboard,
officials list, an official's page, search by CURP, the evaluation form, task forces) and
records evaluations. Prints p50/p95/p99 latency and errors per backend.

    .venv/bin/python -m bench.web_bench --backend both --clients 20 --duration 60
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pyotp

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Tranquil-Harbour-Lantern-42"
AGENCIES = [
    (
        "MX-SSPC",
        "Secretaría de Seguridad y Protección Ciudadana",
        "MX",
        "department",
        "federal",
        None,
    ),
    ("MX-GN", "Guardia Nacional", "MX", "police", "federal", "MX-SSPC"),
]
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_OFFICIAL = re.compile(r'href="/officials/([0-9a-f-]{36})"')


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, name: str, seconds: float) -> None:
        with self.lock:
            self.latencies.setdefault(name, []).append(seconds)

    def fail(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def _postgres_database(admin_url: str) -> tuple[str, str]:
    import psycopg

    name = f"vetreg_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    return f"{base}/{name}", name


def _drop_postgres(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(env: dict[str, str], clients: int, officials: int) -> list[str]:
    """A fresh instance with an enrolled officer per client and some officials; returns secrets."""
    os.environ.update(env)
    from registry.config import Settings
    from registry.context import RegistryContext
    from registry.demo import _person  # realistic Mexican identities
    from registry.policy import Actor
    from registry.services import accounts, agencies, auth
    from registry.services import officials as officials_service
    from registry.services.accounts import actor_by_username
    from registry.services.setup import initialise

    settings = Settings.from_env()
    initialise(settings)
    ctx = RegistryContext.open(settings)
    operator = Actor.system_operator("bench")
    for code, name, country, sector, level, parent in AGENCIES:
        agencies.add_agency(
            ctx.uow(),
            operator,
            code=code,
            name=name,
            country=country,
            sector=sector,
            level=level,
            parent_code=parent,
        )
    secrets = []
    for number in range(clients):
        username = f"bench.officer{number:02d}"
        user_id = accounts.add_user(
            ctx.uow(),
            operator,
            username=username,
            agency_code="MX-GN",
            roles=["vetting_officer"],
            password=PASSWORD,
        )
        enrolment = auth.start_enrolment(ctx.uow(), user_id)
        auth.confirm_enrolment(ctx.uow(), user_id, pyotp.TOTP(enrolment.secret).now())
        secrets.append(enrolment.secret)
    officer = actor_by_username(ctx.uow(), "bench.officer00")
    rng = random.Random(7)
    for _ in range(officials):
        try:
            officials_service.register_official(ctx.uow(), officer, _person(rng, "MX"))
        except Exception:
            continue
    ctx.close()
    return secrets


class Client:
    """One signed-in browser: a cookie jar, CSRF tokens taken from pages, timings recorded."""

    def __init__(self, base: str, stats: Stats) -> None:
        self.base = base
        self.stats = stats
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), _NoRedirect()
        )
        self.officials: list[str] = []

    def request(
        self,
        name: str,
        path: str,
        data: dict[str, str] | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                status, text = response.status, response.read().decode()
                location = response.headers.get("Location", "")
        except urllib.error.HTTPError as exc:
            status, text, location = exc.code, exc.read().decode(), exc.headers.get("Location", "")
        except OSError as exc:
            self.stats.fail(f"{name}: {exc}")
            return 0, "", ""
        self.stats.record(name, time.perf_counter() - started)
        if status not in expect:
            self.stats.fail(f"{name}: HTTP {status} on {path}")
        return status, text, location

    def csrf(self, html: str) -> str:
        match = _CSRF.search(html)
        return match.group(1) if match else ""

    def sign_in(self, username: str, secret: str) -> bool:
        _s, page, _l = self.request("login_page", "/auth/login")
        status, _t, _l = self.request(
            "login_password",
            "/auth/login",
            {
                "csrf_token": self.csrf(page),
                "username": username,
                "password": PASSWORD,
                "notice": "yes",
            },
            expect=(302,),
        )
        _s, page, _l = self.request("login_code_page", "/auth/code")
        status, _t, _l = self.request(
            "login_code",
            "/auth/code",
            {"csrf_token": self.csrf(page), "code": pyotp.TOTP(secret).now()},
            expect=(302,),
        )
        return status == 302

    def step(self, rng: random.Random) -> None:
        roll = rng.random()
        if roll < 0.2 or not self.officials:
            _s, page, _l = self.request("officials_list", f"/officials/?page={rng.randint(1, 3)}")
            self.officials = _OFFICIAL.findall(page) or self.officials
        elif roll < 0.35:
            self.request("dashboard", "/dashboard")
        elif roll < 0.6:
            self.request("official_page", f"/officials/{rng.choice(self.officials)}")
        elif roll < 0.75:
            _s, page, _l = self.request("search_page", "/officials/search")
            self.request(
                "search_post",
                "/officials/search",
                {
                    "csrf_token": self.csrf(page),
                    "given_names": "Juan",
                    "paternal_surname": "García",
                },
            )
        elif roll < 0.9:
            official = rng.choice(self.officials)
            path = f"/officials/{official}/evaluations/new"
            _s, page, _l = self.request("evaluation_form", path)
            self.request(
                "evaluation_post",
                path,
                {
                    "csrf_token": self.csrf(page),
                    "type": "random",
                    "outcome": "pass",
                    "evaluated_on": "2026-01-10",
                    "component_polygraph": "pass",
                    "component_toxicological": "pass",
                },
                expect=(302,),
            )
        else:
            self.request("taskforces", "/taskforces/")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(backend: str, args: argparse.Namespace) -> tuple[Stats, float]:
    tmp = Path(tempfile.mkdtemp(prefix=f"vetreg-bench-{backend}-"))
    env = {
        "VETREG_INSTANCE_DIR": str(tmp),
        "VETREG_KEY_FILE": str(tmp / "vetreg.keys"),
        "VETREG_LOGIN_RATE_LIMIT": "100000 per minute",
        "VETREG_SCREEN_RATE_LIMIT": "100000 per minute",
        "VETREG_COOKIE_SECURE": "0",
    }
    pg_name = None
    if backend == "postgresql":
        env["VETREG_DATABASE_URL"], pg_name = _postgres_database(args.postgres_url)
    else:
        env["VETREG_DATABASE_URL"] = f"sqlite:///{tmp / 'vetreg.sqlite3'}"
    print(
        f"[{backend}] preparing {args.clients} officers and {args.officials} officials...",
        flush=True,
    )
    secrets = prepare(env, args.clients, args.officials)
    port = _free_port()
    log = (tmp / "server.log").open("wb")
    server = subprocess.Popen(
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
            str(args.workers),
            "--threads",
            str(args.threads),
        ],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/auth/login", timeout=2).close()
                break
            except OSError:
                time.sleep(0.3)
        stats = Stats()
        clients = [Client(base, stats) for _ in range(args.clients)]
        time.sleep(max(0.0, 31 - time.time() % 30))  # codes used at enrolment are spent
        for number, client in enumerate(clients):
            if not client.sign_in(f"bench.officer{number:02d}", secrets[number]):
                stats.fail(f"client {number} could not sign in")
        login_stats = dict(stats.latencies)
        stats.latencies = {}
        stop = time.monotonic() + args.duration

        def loop(client: Client, seed: int) -> None:
            rng = random.Random(seed)
            while time.monotonic() < stop:
                client.step(rng)
                if args.think:
                    time.sleep(rng.expovariate(1 / args.think))

        threads = [threading.Thread(target=loop, args=(c, i)) for i, c in enumerate(clients)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        stats.latencies.update({f"(sign-in) {k}": v for k, v in login_stats.items()})
        return stats, elapsed
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        if pg_name:
            _drop_postgres(args.postgres_url, pg_name)


def _pct(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))] * 1000


def report(backend: str, stats: Stats, elapsed: float) -> bool:
    browsing = [v for k, v in stats.latencies.items() if not k.startswith("(sign-in)")]
    every = [x for values in browsing for x in values]
    print(
        f"\n== {backend}: {len(every)} requests in {elapsed:.1f} s "
        f"({len(every) / elapsed:.1f} req/s), errors: {len(stats.errors)}"
    )
    print(f"{'request':<28}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name, values in sorted(stats.latencies.items()):
        print(
            f"{name:<28}{len(values):>7}{_pct(values, 50):>9.1f}{_pct(values, 95):>9.1f}"
            f"{_pct(values, 99):>9.1f}"
        )
    if every:
        print(
            f"{'ALL (browsing + forms)':<28}{len(every):>7}{_pct(every, 50):>9.1f}"
            f"{_pct(every, 95):>9.1f}{_pct(every, 99):>9.1f}"
        )
        print(f"mean {statistics.fmean(every) * 1000:.1f} ms")
    for message in stats.errors[:10]:
        print("  error:", message)
    return not stats.errors and bool(every) and _pct(every, 95) <= 150


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--officials", type=int, default=200, help="officials seeded")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean pause in seconds between a client's actions (0: none, a stress test)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "VETREG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    ok = True
    print(
        f"{args.clients} clients, {args.duration:.0f} s, think {args.think} s, "
        f"{args.workers} workers x {args.threads} threads, load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    for backend in backends:
        stats, elapsed = run(backend, args)
        ok = report(backend, stats, elapsed) and ok
    print("\ntarget p95 <= 150 ms with zero errors:", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
