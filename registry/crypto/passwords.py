"""Password and token hashing (Argon2id for passwords; SHA-256 for high-entropy tokens)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # Argon2id, memory-hard; library defaults follow RFC 9106.


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def new_token() -> tuple[str, str, bytes]:
    """A bearer token: (secret shown once, display prefix, SHA-256 stored)."""
    secret = "vr_" + secrets.token_urlsafe(32)
    return secret, secret[:10], token_digest(secret)


def token_digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()
