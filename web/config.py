"""Web settings: defaults, then `VETREG_*` environment variables, then a test mapping."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from registry.config import Settings


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _secret_key(settings: Settings) -> str:
    """VETREG_SECRET_KEY, else a random key kept in the instance folder (mode 0600)."""
    if os.environ.get("VETREG_SECRET_KEY"):
        return os.environ["VETREG_SECRET_KEY"]
    path = Path(settings.instance_dir) / "web-secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside then renamed: workers starting together never read a half-written key.
        scratch = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(scratch, path)  # fails if another process got there first
        except FileExistsError:
            pass
        finally:
            scratch.unlink()
    return path.read_text().strip()


def ensure_secret_key(settings: Settings) -> None:
    """Create the instance's session-signing key before worker processes start."""
    _secret_key(settings)


def web_config(settings: Settings, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Flask configuration for the registry's web application."""
    secure = _flag(os.environ.get("VETREG_COOKIE_SECURE"), True)
    config: dict[str, Any] = {
        "SECRET_KEY": _secret_key(settings),
        "SESSION_COOKIE_NAME": "vetreg_session" if not secure else "__Host-vetreg_session",
        "SESSION_COOKIE_SECURE": secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_REFRESH_EACH_REQUEST": True,
        "PERMANENT_SESSION_LIFETIME": 12 * 3600,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": 12 * 3600,
        "WTF_CSRF_SSL_STRICT": secure,
        "RATELIMIT_STORAGE_URI": os.environ.get("VETREG_RATELIMIT_STORAGE", "memory://"),
        "RATELIMIT_ENABLED": _flag(os.environ.get("VETREG_RATELIMIT"), True),
        "LOGIN_RATE_LIMIT": os.environ.get("VETREG_LOGIN_RATE_LIMIT", "20 per minute"),
        "SCREEN_RATE_LIMIT": os.environ.get("VETREG_SCREEN_RATE_LIMIT", "60 per minute"),
        "PROXY_FIX": _flag(os.environ.get("VETREG_PROXY_FIX"), False),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("VETREG_TIMEZONE", "America/Mexico_City"),
        "PAGE_SIZE": 20,
    }
    config.update(overrides or {})
    return config
