"""Vetting evaluations (control de confianza) and their outcomes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.models.accounts import Agency
from registry.models.base import Base, enum_column, new_id, utcnow
from registry.models.enums import EvaluationType, Outcome
from registry.models.keys import DataKey
from registry.models.people import Official


class Evaluation(Base):
    """One evaluation of one official; a pass is valid until `valid_until`."""

    __tablename__ = "evaluations"
    ENCRYPTED: ClassVar[tuple[str, ...]] = ("notes",)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    official_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("officials.id"), index=True)
    evaluating_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    type: Mapped[EvaluationType] = mapped_column(enum_column(EvaluationType))
    components: Mapped[dict[str, str]] = mapped_column(JSON)
    outcome: Mapped[Outcome] = mapped_column(enum_column(Outcome))
    evaluated_on: Mapped[dt.date]
    valid_until: Mapped[dt.date | None]
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_keys.id"))
    data_key: Mapped[DataKey] = relationship()
    notes_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    official: Mapped[Official] = relationship()
    evaluating_agency: Mapped[Agency] = relationship()

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
