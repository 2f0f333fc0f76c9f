"""Vetting lifecycle: recertification policy and schedule, reminders, re-vetting draws,
task-force suspensions and commission overrides."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, new_id, utcnow

ANY = "*"


class RecertPolicy(Base):
    """How long a pass is valid for officials matching (country, sector, task-force membership).

    `*` matches any country or sector; the most specific rule wins, membership first.
    """

    __tablename__ = "recert_policies"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    sector: Mapped[str] = mapped_column(String(32), primary_key=True)
    task_force: Mapped[bool] = mapped_column(primary_key=True)
    validity_months: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class LifecycleSetting(Base):
    """An administrator-set value (grace period, override departments), by key."""

    __tablename__ = "lifecycle_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class RecertSchedule(Base):
    """Each serving official's vetting standing and next due date under the current policy.

    Derived data: rebuilt from evaluations, employments, rosters and the policy.
    `standing`: pass (due on `due_on`), fail, refused, none (never vetted).
    """

    __tablename__ = "recert_schedule"
    __table_args__ = (Index("ix_recert_schedule_agency_due", "agency_id", "due_on"),)

    official_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("officials.id"), primary_key=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    country: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(32))
    task_force: Mapped[bool]
    standing: Mapped[str] = mapped_column(String(16))
    last_evaluation_id: Mapped[uuid.UUID | None]
    last_evaluated_on: Mapped[dt.date | None]
    last_pass_on: Mapped[dt.date | None]
    cap_until: Mapped[dt.date | None]
    validity_months: Mapped[int | None] = mapped_column(Integer)
    due_on: Mapped[dt.date | None] = mapped_column(index=True)
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AgencyMailbox(Base):
    """The address of an agency's vetting unit, where its reminders are sent."""

    __tablename__ = "agency_mailboxes"

    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    address: Mapped[str] = mapped_column(String(254))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class Notification(Base):
    """Outbox row: one reminder (stage 90/30/7 days or overdue) for one due date, recorded once."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("official_id", "due_on", "stage"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(32))
    official_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("officials.id"))
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    due_on: Mapped[dt.date]
    stage: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))


class RevetDraw(Base):
    """A random re-vetting draw: roster committed first, seed fixed later by both countries."""

    __tablename__ = "revet_draws"
    __table_args__ = (UniqueConstraint("period", "scope"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    period: Mapped[str] = mapped_column(String(7))
    scope: Mapped[str] = mapped_column(String(64))
    rate: Mapped[str] = mapped_column(String(16))
    weights: Mapped[dict[str, int]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    roster_size: Mapped[int] = mapped_column(Integer)
    roster_digest: Mapped[str] = mapped_column(String(64))
    sample_size: Mapped[int] = mapped_column(Integer)
    seed: Mapped[str | None] = mapped_column(String(64))
    selection_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[dt.datetime | None]


class RevetRosterEntry(Base):
    """One eligible official of a draw and its weight (append-only once committed)."""

    __tablename__ = "revet_roster"

    draw_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("revet_draws.id"), primary_key=True)
    official_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    weight: Mapped[int] = mapped_column(Integer)


class RevetContribution(Base):
    """One country's commit-reveal value: SHA-256 commitment first, the secret later."""

    __tablename__ = "revet_contributions"

    draw_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("revet_draws.id"), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    commitment: Mapped[str] = mapped_column(String(64))
    reveal: Mapped[str | None] = mapped_column(String(64))
    committed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revealed_at: Mapped[dt.datetime | None]


class RevetSelection(Base):
    """An official selected by a draw for unannounced re-vetting (append-only)."""

    __tablename__ = "revet_selections"

    draw_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("revet_draws.id"), primary_key=True)
    official_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class Suspension(Base):
    """A period during which a task force (and its support funding) is suspended."""

    __tablename__ = "task_force_suspensions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    task_force_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("task_forces.id"), index=True)
    started_at: Mapped[dt.datetime]
    lifted_at: Mapped[dt.datetime | None]
    lifted_because: Mapped[str | None] = mapped_column(String(32))


class SuspensionReason(Base):
    """Why a task force is suspended: which member broke which rule."""

    __tablename__ = "task_force_suspension_reasons"

    suspension_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("task_force_suspensions.id"), primary_key=True
    )
    official_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("officials.id"), primary_key=True)
    rule: Mapped[str] = mapped_column(String(32), primary_key=True)
    noted_at: Mapped[dt.datetime]
    resolved_at: Mapped[dt.datetime | None]


class OverrideRequest(Base):
    """A request to override a suspension, or to waive one member's vetting, for a while."""

    __tablename__ = "override_requests"
    ENCRYPTED: ClassVar[tuple[str, ...]] = ("reason",)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    task_force_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("task_forces.id"), index=True)
    official_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("officials.id"))
    duration_days: Mapped[int] = mapped_column(Integer)
    required_departments: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[dt.datetime]
    decide_by: Mapped[dt.datetime]
    decided_at: Mapped[dt.datetime | None]
    ends_at: Mapped[dt.datetime | None]
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_keys.id"))
    reason_ct: Mapped[bytes] = mapped_column(LargeBinary)
    version: Mapped[int] = mapped_column(Integer, default=1)


class OverrideVote(Base):
    """One commissioner's vote on an override request, for her department."""

    __tablename__ = "override_votes"
    __table_args__ = (UniqueConstraint("request_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("override_requests.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    department: Mapped[str] = mapped_column(String(32))
    approve: Mapped[bool]
    voted_at: Mapped[dt.datetime]
