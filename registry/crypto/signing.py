"""Signing keys for checkpoints and cosignatures: a small protocol plus an Ed25519 implementation.

The protocol is deliberately narrow (a name, the raw public key, sign bytes) so that a key held
in an HSM can implement it without exposing private material.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ED25519_PUBLIC_KEY_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
ED25519_SEED_SIZE = 32

_NAME_HEADER = "Key-Name: "
_PEM_BEGIN = b"-----BEGIN"


@runtime_checkable
class SigningKey(Protocol):
    """A named Ed25519 signing key; implementations may keep the private half elsewhere."""

    @property
    def name(self) -> str:
        """The key name used in signed-note signature lines."""
        ...

    def public_key_bytes(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        ...

    def sign(self, message: bytes) -> bytes:
        """A 64-byte Ed25519 signature over `message`."""
        ...


def _check_name(name: str) -> None:
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise ValueError("key name must be non-empty, without spaces or '+'")


class Ed25519Key:
    """An Ed25519 signing key held in memory."""

    __slots__ = ("_name", "_private", "_public")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_name(name)
        self._name = name
        self._private = private_key
        self._public = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @classmethod
    def generate_in_memory(cls, name: str) -> Ed25519Key:
        """A fresh random key that is never written anywhere."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> Ed25519Key:
        """A key from its 32-byte RFC 8032 seed (the raw private key)."""
        if len(seed) != ED25519_SEED_SIZE:
            raise ValueError(f"Ed25519 seed must be {ED25519_SEED_SIZE} bytes")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def name(self) -> str:
        """The key name used in signed-note signature lines."""
        return self._name

    def public_key_bytes(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        return self._public

    def sign(self, message: bytes) -> bytes:
        """A 64-byte Ed25519 signature over `message`."""
        return self._private.sign(message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self._name!r}, public={self._public.hex()})"


class Ed25519FileKey(Ed25519Key):
    """An Ed25519 key stored as a PKCS#8 PEM file (mode 0600) that also records its name."""

    __slots__ = ("path",)

    def __init__(self, name: str, private_key: Ed25519PrivateKey, path: Path) -> None:
        super().__init__(name, private_key)
        self.path = path

    @classmethod
    def generate(cls, path: str | os.PathLike[str], name: str) -> Ed25519FileKey:
        """Create a new key and write it to `path`, which must not exist yet."""
        _check_name(name)
        target = Path(path)
        private = Ed25519PrivateKey.generate()
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        content = f"{_NAME_HEADER}{name}\n".encode() + pem
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(content)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        return cls(name, private, target)

    @classmethod
    def load(cls, path: str | os.PathLike[str], name: str | None = None) -> Ed25519FileKey:
        """Read a key written by `generate`; `name` overrides the name recorded in the file."""
        target = Path(path)
        raw = target.read_bytes()
        begin = raw.find(_PEM_BEGIN)
        if begin < 0:
            raise ValueError(f"{target} holds no PEM private key")
        recorded: str | None = None
        for line in raw[:begin].decode("utf-8").splitlines():
            if line.startswith(_NAME_HEADER):
                recorded = line[len(_NAME_HEADER) :].strip()
        key_name = name if name is not None else recorded
        if key_name is None:
            raise ValueError(f"{target} records no key name and none was given")
        private = serialization.load_pem_private_key(raw[begin:], password=None)
        if not isinstance(private, Ed25519PrivateKey):
            raise ValueError(f"{target} does not hold an Ed25519 private key")
        return cls(key_name, private, target)


def verify_ed25519(public_key_bytes: bytes, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is a valid Ed25519 signature of `message` by the raw public key."""
    if len(public_key_bytes) != ED25519_PUBLIC_KEY_SIZE or len(signature) != ED25519_SIGNATURE_SIZE:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key_bytes).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
