"""Officials (the listed persons) and their employments."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.models.accounts import Agency
from registry.models.base import Base, enum_column, new_id, utcnow
from registry.models.enums import Country
from registry.models.keys import DataKey


class Official(Base):
    """A person; every identifying field is ciphertext under the record's own data key."""

    __tablename__ = "officials"
    ENCRYPTED: ClassVar[tuple[str, ...]] = (
        "given_names",
        "paternal_surname",
        "maternal_surname",
        "birth_date",
        "sex",
        "curp",
        "national_ids",
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    country: Mapped[Country] = mapped_column(enum_column(Country, 2))
    owner_agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_keys.id"))
    data_key: Mapped[DataKey] = relationship()
    given_names_ct: Mapped[bytes] = mapped_column(LargeBinary)
    paternal_surname_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    maternal_surname_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    birth_date_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    sex_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    curp_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    national_ids_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    owner_agency: Mapped[Agency] = relationship()
    employments: Mapped[list[Employment]] = relationship(
        back_populates="official", order_by="Employment.started_on"
    )

    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    def __repr__(self) -> str:
        return f"<Official {self.id} v{self.version}>"


class Employment(Base):
    """A post an official held at an agency; rank and seniority weigh in re-vetting draws."""

    __tablename__ = "employments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    official_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("officials.id"), index=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    position: Mapped[str] = mapped_column(String(120))
    rank: Mapped[str | None] = mapped_column(String(80))
    seniority: Mapped[int] = mapped_column(Integer, default=0)
    started_on: Mapped[dt.date]
    ended_on: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    official: Mapped[Official] = relationship(back_populates="employments")
    agency: Mapped[Agency] = relationship()

    @property
    def is_current(self) -> bool:
        return self.ended_on is None
