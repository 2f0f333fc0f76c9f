"""Sealing and opening the encrypted fields of records, one data key per record."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from sqlalchemy.orm import Session

from registry.crypto import (
    FieldPlace,
    Keyring,
    WrappedKey,
    decrypt_field,
    decrypt_fields,
    encrypt_field,
)
from registry.errors import DecryptionFailed
from registry.models.base import new_id
from registry.models.keys import DataKey


class SealedRecord(Protocol):
    """A model with encrypted `<field>_ct` columns listed in ENCRYPTED."""

    __tablename__: str
    ENCRYPTED: ClassVar[tuple[str, ...]]
    id: Any
    version: Any
    data_key_id: Any


class Vault:
    """Encrypts fields for one unit of work, caching unwrapped data keys in memory only."""

    def __init__(self, session: Session, keyring: Keyring) -> None:
        self._session = session
        self.keyring = keyring
        self._keys: dict[uuid.UUID, bytes] = {}
        self._bulk_kek: str | None = None

    def new_data_key(self) -> DataKey:
        """A fresh data key row, added to the session."""
        wrapped, key = self.keyring.new_data_key()
        row = DataKey(id=new_id(), kek_id=wrapped.kek_id, wrapped=wrapped.wrapped)
        self._session.add(row)
        self._keys[row.id] = key
        return row

    def new_key_row(self, created_at: dt.datetime) -> tuple[dict[str, Any], bytes]:
        """A fresh data key as a `data_keys` row, and the key itself.

        A unit of work wraps its keys under the KEK that was active when it first needed one
        (a KEK rotation re-wraps whatever is left under the old KEK before retiring it).
        """
        if self._bulk_kek is None:
            self._bulk_kek = self.keyring.provider.active_kek_id()
        wrapped, key = self.keyring.new_data_key(self._bulk_kek)
        key_id = new_id()
        self._keys[key_id] = key
        row = {"id": key_id, "kek_id": wrapped.kek_id, "wrapped": wrapped.wrapped,
               "created_at": created_at}
        return row, key

    def remember(self, row: DataKey) -> bytes:
        """Unwrap a stored data key once per unit of work."""
        return self.remember_key(row.id, row.kek_id, row.wrapped)

    def remember_key(self, key_id: uuid.UUID, kek_id: str, wrapped: bytes | None) -> bytes:
        """Unwrap a data key read as plain columns, once per unit of work."""
        key = self._keys.get(key_id)
        if key is None:
            if wrapped is None:
                raise DecryptionFailed(f"data key {key_id} was destroyed (record shredded)")
            key = self.keyring.unwrap(WrappedKey(kek_id, wrapped))
            self._keys[key_id] = key
        return key

    def _key_for(self, record: SealedRecord) -> bytes:
        key = self._keys.get(record.data_key_id)
        if key is None:
            row = self._session.get(DataKey, record.data_key_id)
            if row is None:
                raise DecryptionFailed(f"data key of {record.__tablename__} {record.id} is missing")
            key = self.remember(row)
        return key

    def seal(
        self,
        record: SealedRecord,
        values: Mapping[str, str | None],
    ) -> None:
        """(Re-)encrypt every encrypted field of `record` at its current version."""
        if record.data_key_id is None:
            record.data_key_id = self.new_data_key().id
        key = self._key_for(record)
        for name in record.ENCRYPTED:
            value = values.get(name)
            place = FieldPlace(record.__tablename__, name, record.id, record.version)
            blob = None if value is None else encrypt_field(key, value.encode(), place)
            setattr(record, f"{name}_ct", blob)

    def bump(self, record: SealedRecord) -> int:
        """Move a record to its next version, re-sealing its fields for that version."""
        values = {name: self.open(record, name) for name in record.ENCRYPTED}
        record.version += 1
        self.seal(record, values)
        return int(record.version)

    def open(self, record: SealedRecord, name: str) -> str | None:
        blob = getattr(record, f"{name}_ct")
        if blob is None:
            return None
        place = FieldPlace(record.__tablename__, name, record.id, record.version)
        return decrypt_field(self._key_for(record), blob, place).decode()

    def open_columns(self, table: str, names: tuple[str, ...], row: Any) -> dict[str, str | None]:
        """Open the sealed columns of a row selected as plain columns: its id, version,
        data_key_id (already remembered) and `<name>_ct` for each name."""
        key = self._keys.get(row.data_key_id)
        if key is None:
            raise DecryptionFailed(f"data key of {table} {row.id} is missing")
        blobs = {name: getattr(row, f"{name}_ct") for name in names}
        opened = decrypt_fields(key, table, row.id, row.version, blobs)
        return {name: None if value is None else value.decode() for name, value in opened.items()}

    def open_all(self, record: SealedRecord) -> dict[str, str | None]:
        return {name: self.open(record, name) for name in record.ENCRYPTED}


def seal_columns(
    key: bytes,
    table: str,
    record_id: uuid.UUID,
    version: int,
    names: tuple[str, ...],
    values: Mapping[str, str | None],
) -> dict[str, bytes | None]:
    """The `<field>_ct` column values of a record built as a plain row (bulk paths)."""
    return {
        f"{name}_ct": None
        if (value := values.get(name)) is None
        else encrypt_field(key, value.encode(), FieldPlace(table, name, record_id, version))
        for name in names
    }


def date_text(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def text_date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None
