"""AES-256-GCM field encryption bound to the field's place by associated data."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from registry.errors import DecryptionFailed

FORMAT_VERSION = 1
_NONCE_BYTES = 12


def length_prefixed(*parts: bytes) -> bytes:
    """Unambiguous concatenation: each part preceded by its 4-byte big-endian length."""
    return b"".join([b for p in parts for b in (len(p).to_bytes(4, "big"), p)])


@dataclass(frozen=True)
class FieldPlace:
    """Where a ciphertext belongs: table, column, record id and record version."""

    table: str
    column: str
    record_id: uuid.UUID
    version: int

    def associated_data(self) -> bytes:
        return _associated_head(self.table, self.column) + length_prefixed(
            self.record_id.bytes, str(self.version).encode()
        )

    def __str__(self) -> str:
        return f"{self.table}.{self.column} of record {self.record_id} (version {self.version})"


@lru_cache(maxsize=512)
def _associated_head(table: str, column: str) -> bytes:
    """The constant start of a field's associated data (the encoding is the same throughout)."""
    return length_prefixed(
        b"vetreg-field", str(FORMAT_VERSION).encode(), table.encode(), column.encode()
    )


@lru_cache(maxsize=4096)
def _aead(data_key: bytes) -> AESGCM:
    # Building the cipher context costs more than sealing a short field; records seal several.
    return AESGCM(data_key)


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def encrypt_field(data_key: bytes, plaintext: bytes, place: FieldPlace) -> bytes:
    """Return version byte || nonce || ciphertext+tag."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _aead(data_key).encrypt(nonce, plaintext, place.associated_data())
    return bytes([FORMAT_VERSION]) + nonce + sealed


def decrypt_field(data_key: bytes, blob: bytes, place: FieldPlace) -> bytes:
    """Open a field; any mismatch of key, place, version or content raises DecryptionFailed."""
    return _open(_aead(data_key), blob, place.associated_data(), lambda: place)


def decrypt_fields(
    data_key: bytes, table: str, record_id: uuid.UUID, version: int, blobs: dict[str, bytes | None]
) -> dict[str, bytes | None]:
    """Open several fields of one record, as `decrypt_field` does each (the record's part of
    the associated data is encoded once)."""
    aead, record = _aead(data_key), length_prefixed(record_id.bytes, str(version).encode())
    return {
        name: None if blob is None else _open(
            aead, blob, _associated_head(table, name) + record,
            lambda name=name: FieldPlace(table, name, record_id, version))  # type: ignore[misc]
        for name, blob in blobs.items()
    }  # fmt: skip


def _open(aead: AESGCM, blob: bytes, associated: bytes, place: Callable[[], FieldPlace]) -> bytes:
    if len(blob) < 1 + _NONCE_BYTES + 16 or blob[0] != FORMAT_VERSION:
        raise DecryptionFailed(f"ciphertext of {place()} is malformed")
    try:
        return aead.decrypt(blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :], associated)
    except InvalidTag:
        raise DecryptionFailed(
            f"ciphertext of {place()} does not authenticate: it was altered, moved from "
            "another row, column or version, or its key was replaced"
        ) from None
