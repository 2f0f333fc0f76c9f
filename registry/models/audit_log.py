"""Signed checkpoints of the audit log and the witnesses' cosignatures (both append-only)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base

_BIGINT = BigInteger().with_variant(Integer, "sqlite")


class AuditCheckpoint(Base):
    """One signed tree head: the log's C2SP checkpoint note over its first `tree_size` events."""

    __tablename__ = "audit_checkpoints"

    number: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=False)
    origin: Mapped[str] = mapped_column(String(128))
    tree_size: Mapped[int] = mapped_column(_BIGINT, index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    log_vkey: Mapped[str] = mapped_column(String(255))
    note: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[dt.datetime] = mapped_column()


class AuditCosignature(Base):
    """A witness's cosignature/v1 line over one checkpoint, as the witness returned it."""

    __tablename__ = "audit_cosignatures"
    __table_args__ = (UniqueConstraint("checkpoint_number", "witness_vkey"),)

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    checkpoint_number: Mapped[int] = mapped_column(
        _BIGINT, ForeignKey("audit_checkpoints.number"), index=True
    )
    country: Mapped[str] = mapped_column(String(2))
    witness_vkey: Mapped[str] = mapped_column(String(255))
    signature_line: Mapped[str] = mapped_column(Text)
    cosigned_at: Mapped[int] = mapped_column(_BIGINT)
    received_at: Mapped[dt.datetime] = mapped_column()
