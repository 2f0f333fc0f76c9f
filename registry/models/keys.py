"""Wrapped key material and blind indexes (all opaque bytes; no plaintext keys)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.identity import BLOCKING_SCHEME
from registry.models.base import Base, new_id, utcnow

if TYPE_CHECKING:
    from registry.models.people import Official


class DataKey(Base):
    """A record's own AES-256 data key, wrapped by a key-encryption key (KEK).

    Destroying `wrapped` crypto-shreds every field the key protects.
    """

    __tablename__ = "data_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kek_id: Mapped[str] = mapped_column(String(64), index=True)
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    destroyed_at: Mapped[dt.datetime | None]


class KeySecret(Base):
    """A wrapped root secret for a purpose (blind indexes, fingerprints), by version."""

    __tablename__ = "key_secrets"

    purpose: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    kek_id: Mapped[str] = mapped_column(String(64))
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[dt.datetime | None]
    # Blocking keys the index rows of this version were built with (`identity.blocking`);
    # lookups under an older scheme also probe what it lacked.
    blocking_scheme: Mapped[int] = mapped_column(
        Integer, default=BLOCKING_SCHEME, server_default="1"
    )


class OfficialIndex(Base):
    """One blind-index value of an official: HMAC of a normalised blocking key, truncated."""

    __tablename__ = "official_index"
    __table_args__ = (Index("ix_official_index_lookup", "kind", "key_version", "digest"),)

    official_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("officials.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[int] = mapped_column(BigInteger, primary_key=True)

    # Declared so that the unit of work inserts the official before its index rows.
    official: Mapped[Official] = relationship()
