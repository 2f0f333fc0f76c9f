"""HTTP client of the registry API for the agency commands, and where the token is kept."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx
import platformdirs

DEFAULT_SERVER = "http://127.0.0.1:5000"
TOKEN_ENV = "VETREG_TOKEN"
SERVER_ENV = "VETREG_SERVER"


@dataclass
class ApiError(Exception):
    """The server refused the request (or could not be reached)."""

    status: int
    code: str
    message: str
    problems: list[dict[str, Any]] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message

    @property
    def bad_input(self) -> bool:
        return self.status in (HTTPStatus.BAD_REQUEST, HTTPStatus.UNPROCESSABLE_ENTITY)


def credentials_path() -> Path:
    """Per-user file holding one token per server (created 0600)."""
    return platformdirs.user_config_path("vetreg") / "credentials.json"


def _read_credentials() -> dict[str, str]:
    try:
        data = json.loads(credentials_path().read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def save_token(server: str, token: str) -> Path:
    """Store the token for `server`, readable by the user only."""
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tokens = _read_credentials()
    tokens[server.rstrip("/")] = token
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(tokens, handle, indent=2, sort_keys=True)
    os.chmod(path, 0o600)
    return path


def forget_token(server: str) -> bool:
    tokens = _read_credentials()
    if tokens.pop(server.rstrip("/"), None) is None:
        return False
    fd = os.open(credentials_path(), os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(tokens, handle, indent=2, sort_keys=True)
    return True


def find_token(server: str) -> str | None:
    return os.environ.get(TOKEN_ENV) or _read_credentials().get(server.rstrip("/"))


class Client:
    """Thin JSON client: raises ApiError with the server's code, message and field problems."""

    def __init__(self, server: str, token: str | None, timeout: float = 60.0) -> None:
        headers = {"Accept": "application/json", "User-Agent": "vetreg-cli"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.server = server.rstrip("/")
        self._http = httpx.Client(base_url=f"{self.server}/api/v1", headers=headers,
                                  timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._send("GET", path, params=params)

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        return self._send("POST", path, json=body)

    def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            message = (f"cannot reach the registry at {self.server} "
                       f"({exc.__class__.__name__}); check --server")
            raise ApiError(0, "unreachable", message) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.is_success:
            return body
        error = (body or {}).get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            raise ApiError(response.status_code, "http_error",
                           f"the server answered {response.status_code} {response.reason_phrase}")
        raise ApiError(response.status_code, str(error.get("code", "error")),
                       str(error.get("message", "")), list(error.get("problems") or []))
