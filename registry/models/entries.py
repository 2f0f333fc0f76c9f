"""Registry entries (the listing of a failed or expelled official) and redress requests."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.models.accounts import Agency
from registry.models.base import Base, enum_column, new_id, utcnow
from registry.models.enums import (
    EntryReason,
    EntryStatus,
    HandlingCode,
    InformationReliability,
    RedressKind,
    RedressStatus,
    SourceReliability,
)
from registry.models.keys import DataKey
from registry.models.people import Official


class RegistryEntry(Base):
    """An official listed by an originating agency, with its legal basis and handling rules."""

    __tablename__ = "registry_entries"
    __table_args__ = (UniqueConstraint("originating_agency_id", "case_ref"),)
    ENCRYPTED: ClassVar[tuple[str, ...]] = ("narrative",)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    official_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("officials.id"), index=True)
    originating_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    reason: Mapped[EntryReason] = mapped_column(enum_column(EntryReason))
    case_ref: Mapped[str] = mapped_column(String(64))
    legal_basis: Mapped[str] = mapped_column(String(500))
    effective_date: Mapped[dt.date]
    status: Mapped[EntryStatus] = mapped_column(
        enum_column(EntryStatus), default=EntryStatus.ACTIVE, index=True
    )
    handling_code: Mapped[HandlingCode] = mapped_column(enum_column(HandlingCode, 2))
    source_reliability: Mapped[SourceReliability] = mapped_column(enum_column(SourceReliability, 1))
    information_reliability: Mapped[InformationReliability] = mapped_column(
        enum_column(InformationReliability, 1)
    )
    retain_until: Mapped[dt.date]
    review_on: Mapped[dt.date | None]
    legal_hold: Mapped[bool] = mapped_column(default=False)
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_keys.id"))
    data_key: Mapped[DataKey] = relationship()
    narrative_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    shredded_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    official: Mapped[Official] = relationship()
    originating_agency: Mapped[Agency] = relationship()

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    @property
    def is_in_force(self) -> bool:
        """Whether screenings should report it (overturned and expired entries never hit)."""
        return self.status in (EntryStatus.ACTIVE, EntryStatus.UNDER_APPEAL)


class RedressRequest(Base):
    """An ARCO request or an appeal, by or for the listed person."""

    __tablename__ = "redress_requests"
    ENCRYPTED: ClassVar[tuple[str, ...]] = ("grounds", "decision_notes")

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("registry_entries.id"), index=True)
    kind: Mapped[RedressKind] = mapped_column(enum_column(RedressKind))
    status: Mapped[RedressStatus] = mapped_column(
        enum_column(RedressStatus), default=RedressStatus.PENDING, index=True
    )
    filed_on: Mapped[dt.date]
    due_on: Mapped[dt.date]
    filed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_keys.id"))
    data_key: Mapped[DataKey] = relationship()
    grounds_ct: Mapped[bytes] = mapped_column(LargeBinary)
    decision_notes_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    decided_on: Mapped[dt.date | None]
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    entry: Mapped[RegistryEntry] = relationship()

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
