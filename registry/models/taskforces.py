"""Joint task forces and vetted units, and their rosters."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.models.accounts import Agency
from registry.models.base import Base, enum_column, new_id, utcnow
from registry.models.enums import Country, TaskForceStatus
from registry.models.people import Official


class TaskForce(Base):
    """A unit whose members must all hold a valid pass, whatever their rank or country."""

    __tablename__ = "task_forces"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    host_country: Mapped[Country] = mapped_column(enum_column(Country, 2))
    lead_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    joint: Mapped[bool] = mapped_column(default=True)
    status: Mapped[TaskForceStatus] = mapped_column(
        enum_column(TaskForceStatus), default=TaskForceStatus.ACTIVE
    )
    funding_suspended: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    lead_agency: Mapped[Agency] = relationship()
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="task_force", order_by="Membership.joined_on"
    )

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class Membership(Base):
    """An official's place on a task force; `left_on` set when removed (history is kept)."""

    __tablename__ = "task_force_memberships"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    task_force_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("task_forces.id"), index=True)
    official_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("officials.id"), index=True)
    role: Mapped[str] = mapped_column(String(80))
    senior: Mapped[bool] = mapped_column(default=False)
    joined_on: Mapped[dt.date]
    left_on: Mapped[dt.date | None]
    added_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    task_force: Mapped[TaskForce] = relationship(back_populates="memberships")
    official: Mapped[Official] = relationship()
