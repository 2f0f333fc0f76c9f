"""Key rotations in progress, retention rules, and legal holds on entries."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, new_id, utcnow


class KeyRotation(Base):
    """One rotation (`kek` re-wrap or `index` rebuild); its row makes a killed run resumable.

    States: `running` (work under way), `switched` (index only: the new version answers
    lookups, old rows are being removed), `finished`.
    """

    __tablename__ = "key_rotations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="running", index=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_by: Mapped[str] = mapped_column(String(64))
    finished_at: Mapped[dt.datetime | None]


class RetentionRule(Base):
    """Years an entry is kept after its effective date, by reason and originating country.

    A missing row means the default (`registry.services.entries.RETENTION_YEARS`).
    """

    __tablename__ = "retention_rules"

    reason: Mapped[str] = mapped_column(String(32), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    years: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64))


class LegalHold(Base):
    """An order that keeps an entry past its retention date; active until released."""

    __tablename__ = "legal_holds"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("registry_entries.id"), index=True)
    reason_code: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    placed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[dt.datetime | None]
    released_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
