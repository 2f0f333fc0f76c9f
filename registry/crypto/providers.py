"""Key providers: where the key-encryption keys (KEKs) live and how data keys are wrapped.

A provider never hands out a KEK; callers ask it to wrap or unwrap data keys.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.keywrap import (
    InvalidUnwrap,
    aes_key_unwrap,
    aes_key_wrap,
)

from registry.errors import DecryptionFailed, KeyUnavailable

KEY_FILE_FORMAT = "vetreg-keys/1"


class KeyProvider(Protocol):
    """Wraps and unwraps data keys under versioned KEKs (file, or PKCS#11 HSM)."""

    def active_kek_id(self) -> str: ...

    def kek_ids(self) -> list[str]: ...

    def wrap(self, kek_id: str, key: bytes) -> bytes: ...

    def unwrap(self, kek_id: str, wrapped: bytes) -> bytes: ...

    def new_kek(self) -> str: ...

    def retire_kek(self, kek_id: str) -> None: ...


class FileKeyProvider:
    """KEKs in a JSON key file readable by the owner only (the embedded default)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int, int] | None = None
        self._state = self._read()
        self._decoded: dict[str, bytes] = {}  # KEKs in use, decoded once

    @classmethod
    def create(cls, path: Path) -> FileKeyProvider:
        """Create a key file with one fresh KEK; refuses to overwrite an existing one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {"format": KEY_FILE_FORMAT, "active": "file-1", "keks": {}, "retired": []}
        state["keks"] = {"file-1": base64.b64encode(secrets.token_bytes(32)).decode()}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(state, fh, indent=2)
        return cls(path)

    @classmethod
    def open_or_create(cls, path: Path) -> tuple[FileKeyProvider, bool]:
        if path.exists():
            return cls(path), False
        return cls.create(path), True

    def _read(self) -> dict[str, object]:
        try:
            info = self.path.stat()
            mode = info.st_mode
        except FileNotFoundError:
            raise KeyUnavailable(
                f"key file {self.path} not found; run 'vetreg init' to create it"
            ) from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyUnavailable(
                f"key file {self.path} is accessible to other users; run: chmod 600 {self.path}"
            )
        with self.path.open() as fh:
            state: dict[str, object] = json.load(fh)
        if state.get("format") != KEY_FILE_FORMAT:
            raise KeyUnavailable(f"key file {self.path} has an unknown format")
        self._stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
        return state

    def _refresh(self) -> None:
        """Re-read the file if another process (a rotation) replaced it since we read it."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return  # keep serving from memory; the next write will say what is wrong
        if (info.st_ino, info.st_mtime_ns, info.st_size) != self._stamp:
            self._state = self._read()
            self._decoded.clear()

    def _keks(self) -> dict[str, str]:
        keks = self._state["keks"]
        assert isinstance(keks, dict)
        return keks

    def _kek(self, kek_id: str) -> bytes:
        kek = self._decoded.get(kek_id)
        if kek is not None:
            return kek
        if kek_id not in self._keks():
            self._refresh()
        try:
            kek = self._decoded[kek_id] = base64.b64decode(self._keks()[kek_id])
        except KeyError:
            raise KeyUnavailable(f"key-encryption key {kek_id!r} is not in {self.path}") from None
        return kek

    def active_kek_id(self) -> str:
        self._refresh()
        return str(self._state["active"])

    def kek_ids(self) -> list[str]:
        self._refresh()
        return sorted(self._keks(), key=lambda k: int(k.rsplit("-", 1)[1]))

    def wrap(self, kek_id: str, key: bytes) -> bytes:
        return aes_key_wrap(self._kek(kek_id), key)

    def unwrap(self, kek_id: str, wrapped: bytes) -> bytes:
        try:
            return aes_key_unwrap(self._kek(kek_id), wrapped)
        except InvalidUnwrap:
            raise DecryptionFailed(f"data key does not unwrap under {kek_id!r}") from None

    def new_kek(self) -> str:
        """Add a KEK and make it the active one; older KEKs stay until retired."""
        self._refresh()
        number = max(int(k.rsplit("-", 1)[1]) for k in self._keks()) + 1
        kek_id = f"file-{number}"
        self._keks()[kek_id] = base64.b64encode(secrets.token_bytes(32)).decode()
        self._state["active"] = kek_id
        self._write()
        return kek_id

    def retire_kek(self, kek_id: str) -> None:
        """Remove a KEK from the file: data keys still wrapped under it become unrecoverable."""
        self._refresh()
        if kek_id == self.active_kek_id():
            raise KeyUnavailable("the active key-encryption key cannot be retired")
        self._keks().pop(kek_id, None)
        self._decoded.pop(kek_id, None)
        retired = self._state.setdefault("retired", [])
        assert isinstance(retired, list)
        retired.append(kek_id)
        self._write()

    def _write(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(self._state, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        info = self.path.stat()
        self._stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
