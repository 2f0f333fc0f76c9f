"""Test data built through the services, so every record is sealed, indexed and audited."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from registry.context import RegistryContext
from registry.policy import Actor
from registry.services import accounts, agencies
from registry.services.accounts import actor_by_username
from registry.services.entries import EntryInput, list_entry
from registry.services.evaluations import EvaluationInput, record_evaluation
from registry.services.officials import OfficialInput, register_official

AGENCIES = [
    ("US-DOJ", "U.S. Department of Justice", "US", "department", "federal", None),
    ("US-DEA", "Drug Enforcement Administration", "US", "police", "federal", "US-DOJ"),
    ("US-FBI", "Federal Bureau of Investigation", "US", "police", "federal", "US-DOJ"),
    (
        "MX-SSPC",
        "Secretaría de Seguridad y Protección Ciudadana",
        "MX",
        "department",
        "federal",
        None,
    ),
    ("MX-GN", "Guardia Nacional", "MX", "police", "federal", "MX-SSPC"),
    ("MX-FGR", "Fiscalía General de la República", "MX", "prosecution", "federal", None),
]
ROLES = ["vetting_officer", "screener", "auditor", "commissioner", "admin"]


@dataclass
class World:
    """Actors by (country, role), e.g. world.actor('MX', 'vetting_officer')."""

    actors: dict[tuple[str, str], Actor] = field(default_factory=dict)

    def actor(self, country: str, role: str) -> Actor:
        return self.actors[(country, role)]

    @property
    def mx_officer(self) -> Actor:
        return self.actor("MX", "vetting_officer")

    @property
    def us_officer(self) -> Actor:
        return self.actor("US", "vetting_officer")


def build_world(ctx: RegistryContext, operator: Actor) -> World:
    for code, name, country, sector, level, parent in AGENCIES:
        agencies.add_agency(
            ctx.uow(),
            operator,
            code=code,
            name=name,
            country=country,
            sector=sector,
            level=level,
            parent_code=parent,
        )
    world = World()
    for country, agency in (("MX", "MX-GN"), ("US", "US-DEA")):
        for role in ROLES:
            username = f"{country.lower()}.{role.replace('_', '')}"
            accounts.add_user(
                ctx.uow(), operator, username=username, agency_code=agency, roles=[role]
            )
            world.actors[(country, role)] = actor_by_username(ctx.uow(), username)
    return world


SAMPLE_PEOPLE = [
    OfficialInput("María Guadalupe", "Hernández", "López", "1984-03-12", "M", None),
    OfficialInput("José Luis", "Ramírez", "de la Cruz", "1979-11-02", "H", None),
    OfficialInput("Juan Carlos", "Núñez", "Peña", "1990-07-30", "H", None),
]


def person(n: int = 0, **changes: object) -> OfficialInput:
    base = SAMPLE_PEOPLE[n % len(SAMPLE_PEOPLE)]
    return OfficialInput(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def register(ctx: RegistryContext, actor: Actor, n: int = 0, **changes: object) -> uuid.UUID:
    return register_official(ctx.uow(), actor, person(n, **changes))


def failed_evaluation(ctx: RegistryContext, actor: Actor, official_id: uuid.UUID) -> uuid.UUID:
    return record_evaluation(
        ctx.uow(),
        actor,
        EvaluationInput(
            official_id=official_id,
            type="recertification",
            outcome="fail",
            evaluated_on=dt.date(2026, 5, 4),
            components={"polygraph": "fail", "medical": "pass"},
            notes="Polígrafo no aprobado en dos sesiones.",
        ),
    )


def listed(
    ctx: RegistryContext, actor: Actor, official_id: uuid.UUID, case_ref: str = "GN-2026-001"
) -> uuid.UUID:
    return list_entry(
        ctx.uow(),
        actor,
        EntryInput(
            official_id=official_id,
            reason="failed_vetting",
            case_ref=case_ref,
            legal_basis="Ley General del Sistema Nacional de Seguridad Pública, art. 88",
            effective_date="2026-05-10",
            narrative="No aprobó la evaluación de control de confianza.",
        ),
    )
