"""Screenings, their hits, and hit-confirmation requests to the originating agency.

No table here holds a name: a screening keeps a keyed fingerprint of its query; the
candidate identity a requester sends with a confirmation request is sealed like any
other personal data.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.models.accounts import Agency
from registry.models.base import Base, enum_column, new_id
from registry.models.entries import RegistryEntry
from registry.models.keys import DataKey


class ScreeningPurpose(StrEnum):
    """Why an agency screens a person (recorded with every screening)."""

    HIRING = "HIRING"
    PROMOTION = "PROMOTION"
    TASKFORCE = "TASKFORCE"
    REVETTING = "REVETTING"
    INVESTIGATION = "INVESTIGATION"


class ScreeningOutcome(StrEnum):
    HIT = "hit"
    NO_HIT = "no_hit"


class Urgency(StrEnum):
    """Answer windows as in NCIC hit-confirmation practice."""

    URGENT = "urgent"  # 10 minutes
    ROUTINE = "routine"  # 1 hour


class ConfirmationStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DENIED = "denied"


class Screening(Base):
    """One screened person: who asked, why, a keyed fingerprint of the query, the outcome.

    Append-only (database triggers refuse UPDATE and DELETE).
    """

    __tablename__ = "screenings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    screened_at: Mapped[dt.datetime] = mapped_column(index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    purpose: Mapped[ScreeningPurpose] = mapped_column(enum_column(ScreeningPurpose, 16))
    query_fingerprint: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[ScreeningOutcome] = mapped_column(enum_column(ScreeningOutcome, 8))
    hit_count: Mapped[int] = mapped_column(Integer)
    candidates: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(index=True)

    agency: Mapped[Agency] = relationship()


class ScreeningHit(Base):
    """An in-force entry a screening matched, with the level and score (append-only)."""

    __tablename__ = "screening_hits"
    __table_args__ = (UniqueConstraint("screening_id", "entry_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    screening_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("screenings.id"), index=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("registry_entries.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)

    screening: Mapped[Screening] = relationship()
    entry: Mapped[RegistryEntry] = relationship()


class ConfirmationRequest(Base):
    """A requester asks the originating agency to confirm or deny one hit before a deadline.

    `candidate` (sealed) is the identity the requester screened, for the originator to
    compare with its record. A missed deadline brings a second request (`reminded_at`),
    a second miss an escalation to the originating agency's parent (`escalated_at`).
    """

    __tablename__ = "confirmation_requests"
    ENCRYPTED: ClassVar[tuple[str, ...]] = ("candidate",)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    hit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("screening_hits.id"), unique=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("registry_entries.id"), index=True)
    requesting_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    requested_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    originating_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency, 8))
    status: Mapped[ConfirmationStatus] = mapped_column(
        enum_column(ConfirmationStatus, 16), index=True
    )
    requested_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime] = mapped_column(index=True)
    reminded_at: Mapped[dt.datetime | None]
    escalated_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]
    answered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_keys.id"))
    candidate_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    version: Mapped[int] = mapped_column(Integer, default=1)

    hit: Mapped[ScreeningHit] = relationship()
    entry: Mapped[RegistryEntry] = relationship()
    data_key: Mapped[DataKey] = relationship()
    requesting_agency: Mapped[Agency] = relationship(foreign_keys=[requesting_agency_id])
    originating_agency: Mapped[Agency] = relationship(foreign_keys=[originating_agency_id])

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    def __repr__(self) -> str:
        return f"<ConfirmationRequest {self.id} {self.status}>"
