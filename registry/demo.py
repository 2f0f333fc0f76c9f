"""Demonstration data: agencies of both countries, users of every role, officials, entries.

All persons are synthetic (names combined at random from common name lists).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from sqlalchemy import select

from registry.context import RegistryContext
from registry.models import Agency
from registry.policy import Actor
from registry.services import accounts, agencies, taskforces
from registry.services.accounts import actor_by_username
from registry.services.entries import EntryInput, list_entry
from registry.services.evaluations import EvaluationInput, record_evaluation
from registry.services.officials import OfficialInput, register_official

DEMO_PASSWORD = "demo-password-2026"

AGENCIES = [
    ("US-DOJ", "U.S. Department of Justice", "US", "department", "federal", None),
    ("US-DHS", "U.S. Department of Homeland Security", "US", "department", "federal", None),
    ("US-DOS", "U.S. Department of State", "US", "department", "federal", None),
    ("US-DEA", "Drug Enforcement Administration", "US", "police", "federal", "US-DOJ"),
    ("US-FBI", "Federal Bureau of Investigation", "US", "police", "federal", "US-DOJ"),
    ("US-CBP", "U.S. Customs and Border Protection", "US", "customs", "federal", "US-DHS"),
    (
        "US-INL",
        "Bureau of International Narcotics and Law Enforcement",
        "US",
        "department",
        "federal",
        "US-DOS",
    ),
    (
        "MX-SSPC",
        "Secretaría de Seguridad y Protección Ciudadana",
        "MX",
        "department",
        "federal",
        None,
    ),
    ("MX-GN", "Guardia Nacional", "MX", "police", "federal", "MX-SSPC"),
    ("MX-CNI", "Centro Nacional de Inteligencia", "MX", "intelligence", "federal", "MX-SSPC"),
    ("MX-FGR", "Fiscalía General de la República", "MX", "prosecution", "federal", None),
    ("MX-SEDENA", "Secretaría de la Defensa Nacional", "MX", "military", "federal", None),
    ("MX-SSP-JAL", "Secretaría de Seguridad del Estado de Jalisco", "MX", "police", "state", None),
]

USERS = [
    ("mx.oficial", "MX-GN", ["vetting_officer"]),
    ("mx.screener", "MX-FGR", ["screener"]),
    ("mx.auditor", "MX-SSPC", ["auditor"]),
    ("mx.admin", "MX-SSPC", ["admin"]),
    ("us.officer", "US-DEA", ["vetting_officer"]),
    ("us.screener", "US-FBI", ["screener"]),
    ("us.auditor", "US-DOJ", ["auditor"]),
    ("us.admin", "US-DOJ", ["admin"]),
    ("us.commissioner.doj", "US-DOJ", ["commissioner"]),
    ("us.commissioner.dhs", "US-DHS", ["commissioner"]),
    ("us.commissioner.dos", "US-DOS", ["commissioner"]),
]

MX_GIVEN_F = ["María Guadalupe", "Ana Luisa", "Rosa María", "Verónica", "María del Carmen", "Laura"]
MX_GIVEN_M = ["José Luis", "Juan Carlos", "Francisco", "Jesús", "Miguel Ángel", "Alejandro"]
MX_SURNAMES = [
    "Hernández",
    "García",
    "Martínez",
    "López",
    "González",
    "Pérez",
    "Rodríguez",
    "Sánchez",
    "Ramírez",
    "Cruz",
    "de la Cruz",
    "Flores",
    "Gómez",
    "Morales",
    "Núñez",
]
US_GIVEN = ["Michael", "Jennifer", "Robert", "Daniel", "Patricia", "David"]
US_SURNAMES = ["Smith", "Johnson", "Williams", "Garcia", "Miller", "Davis", "Rodriguez"]
REASONS = [
    "failed_vetting",
    "expelled_corruption",
    "refused_vetting",
    "dismissed_misconduct",
    "resigned_under_investigation",
]


@dataclass
class DemoReport:
    created: bool
    logins: list[tuple[str, str, str]] = field(default_factory=list)


def _person(rng: random.Random, country: str) -> OfficialInput:
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(365 * 40))
    if country == "US":
        return OfficialInput(
            rng.choice(US_GIVEN),
            rng.choice(US_SURNAMES),
            None,
            birth.isoformat(),
            rng.choice("HM"),
            None,
        )
    sex = rng.choice("HM")
    given = rng.choice(MX_GIVEN_F if sex == "M" else MX_GIVEN_M)
    return OfficialInput(
        given, rng.choice(MX_SURNAMES), rng.choice(MX_SURNAMES), birth.isoformat(), sex, None
    )


def load_demo(ctx: RegistryContext, operator: Actor, seed: int = 2026) -> DemoReport:
    """Create the demo data once; a second run changes nothing."""
    with ctx.uow() as uow:
        if uow.session.scalar(select(Agency.id).where(Agency.code == "MX-GN")):
            return DemoReport(created=False, logins=[(u, a, ", ".join(r)) for u, a, r in USERS])
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
    for username, agency, roles in USERS:
        accounts.add_user(
            ctx.uow(),
            operator,
            username=username,
            agency_code=agency,
            roles=roles,
            password=DEMO_PASSWORD,
        )
    mx = actor_by_username(ctx.uow(), "mx.oficial")
    us = actor_by_username(ctx.uow(), "us.officer")
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic people, not a secret
    officials = {
        "MX": [register_official(ctx.uow(), mx, _person(rng, "MX")) for _ in range(24)],
        "US": [register_official(ctx.uow(), us, _person(rng, "US")) for _ in range(8)],
    }
    today = ctx.clock().date()
    for country, actor in (("MX", mx), ("US", us)):
        for i, official_id in enumerate(officials[country]):
            failed = i % 4 == 0
            evaluated = today - dt.timedelta(days=rng.randrange(30, 700))
            record_evaluation(
                ctx.uow(),
                actor,
                EvaluationInput(
                    official_id=official_id,
                    type=rng.choice(["recruitment", "recertification", "random"]),
                    outcome="fail" if failed else "pass",
                    evaluated_on=evaluated,
                    components={
                        "polygraph": "fail" if failed else "pass",
                        "background": "pass",
                        "psychological": "pass",
                        "toxicological": "pass",
                        "medical": "pass",
                    },
                ),
            )
            if failed:
                list_entry(
                    ctx.uow(),
                    actor,
                    EntryInput(
                        official_id=official_id,
                        reason=REASONS[i % len(REASONS)],
                        case_ref=f"{actor.agency_code}-{evaluated.year}-{i:04d}",
                        legal_basis="LGSNSP art. 88" if country == "MX" else "5 U.S.C. 7513",
                        effective_date=evaluated + dt.timedelta(days=7),
                        narrative="Demonstration entry (synthetic person).",
                    ),
                )
    tf = taskforces.create_task_force(
        ctx.uow(), mx, code="JTF-NORTE", name="Joint Task Force Norte"
    )
    # Only officials with a valid pass may join (joint units re-vet yearly): a recent one first.
    members = [(mx, o) for o in officials["MX"][1:4]] + [(us, o) for o in officials["US"][1:3]]
    for i, (actor, official_id) in enumerate(members):
        record_evaluation(
            ctx.uow(),
            actor,
            EvaluationInput(
                official_id=official_id,
                type="recertification",
                outcome="pass",
                evaluated_on=today - dt.timedelta(days=20 + i),
                components={
                    "polygraph": "pass",
                    "background": "pass",
                    "psychological": "pass",
                    "toxicological": "pass",
                    "medical": "pass",
                },
            ),
        )
        taskforces.add_member(ctx.uow(), mx, tf, official_id, role="investigator", senior=i == 0)
    return DemoReport(created=True, logins=[(u, a, ", ".join(r)) for u, a, r in USERS])
