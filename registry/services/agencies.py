"""Managing agencies (administrators)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from registry.errors import Conflict
from registry.models import Agency
from registry.models.enums import Country, Level, Sector
from registry.policy import NO_TARGET, Actor, Permission
from registry.services.common import agency_by_code
from registry.services.validation import Problems
from registry.uow import UnitOfWork

_CODE = re.compile(r"^(MX|US)-[A-Z0-9]{2,24}(-[A-Z0-9]{1,24})*$")


@dataclass(frozen=True)
class AgencyView:
    id: uuid.UUID
    code: str
    name: str
    country: Country
    sector: Sector
    level: Level
    parent_code: str | None
    active: bool


def _view(agency: Agency) -> AgencyView:
    return AgencyView(
        agency.id,
        agency.code,
        agency.name,
        agency.country,
        agency.sector,
        Level(agency.level),
        agency.parent.code if agency.parent else None,
        agency.active,
    )


def add_agency(
    uow: UnitOfWork,
    actor: Actor,
    *,
    code: str,
    name: str,
    country: str,
    sector: str,
    level: str,
    parent_code: str | None = None,
) -> uuid.UUID:
    """Create an agency; its code starts with its country (`MX-GN`, `US-DEA`)."""
    with uow:
        uow.require(actor, Permission.AGENCY_MANAGE, NO_TARGET, action="agency.add")
        problems = Problems()
        clean_code = (code or "").strip().upper()
        if not _CODE.match(clean_code):
            problems.add("code", "must look like MX-GN or US-DEA (country, hyphen, letters/digits)")
        clean_name = problems.text("name", name)
        clean_country = problems.choice("country", country, Country)
        clean_sector = problems.choice("sector", sector, Sector)
        clean_level = problems.choice("level", level, Level)
        if clean_country and clean_code[:2] != clean_country.value and _CODE.match(clean_code):
            problems.add("code", f"must start with {clean_country.value}- for that country")
        parent = agency_by_code(uow, parent_code) if parent_code else None
        if parent_code and parent is None:
            problems.add("parent", f"agency {parent_code!r} does not exist")
        if _CODE.match(clean_code) and agency_by_code(uow, clean_code):
            raise Conflict(f"agency {clean_code} already exists")
        problems.check()
        assert clean_name and clean_country and clean_sector and clean_level
        agency = Agency(
            code=clean_code,
            name=clean_name,
            country=clean_country,
            sector=clean_sector,
            level=clean_level.value,
            parent_id=parent.id if parent else None,
        )
        uow.session.add(agency)
        uow.session.flush()
        uow.audit.append(
            actor,
            "agency.add",
            object_type="agency",
            object_id=agency.id,
            details={"code": clean_code, "country": clean_country.value},
        )
        uow.commit()
        return agency.id


def list_agencies(uow: UnitOfWork, country: str | None = None) -> list[AgencyView]:
    """Agencies are not personal data: any signed-in user may list them."""
    with uow:
        query = select(Agency).order_by(Agency.country, Agency.code)
        if country:
            query = query.where(Agency.country == Country(country.upper()))
        return [_view(a) for a in uow.session.scalars(query)]
