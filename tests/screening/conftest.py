"""Fixtures for screening: listed officials of both countries, and a fake clock."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest

from registry.context import RegistryContext
from registry.policy import Actor
from registry.services.entries import EntryInput, list_entry
from registry.services.officials import OfficialInput, register_official
from registry.services.screening import ScreeningInput
from tests.factories import World

MX_PERSON = OfficialInput("José Luis", "Ramírez", "de la Cruz", "1979-11-02", "H",
                          "RACL791102HDFMRS07")
US_PERSON = OfficialInput("Robert James", "Whitfield", None, "1972-04-18", "H", None)


def as_query(person: OfficialInput, **changes: str | None) -> ScreeningInput:
    fields = {
        "given_names": person.given_names, "paternal_surname": person.paternal_surname,
        "maternal_surname": person.maternal_surname, "birth_date": person.birth_date,
        "sex": person.sex, "curp": person.curp,
    }
    fields.update(changes)
    return ScreeningInput(**fields)  # type: ignore[arg-type]


def list_person(ctx: RegistryContext, officer: Actor, person: OfficialInput, case_ref: str,
                handling_code: str = "H1") -> uuid.UUID:
    official_id = register_official(ctx.uow(), officer, person)
    return list_entry(ctx.uow(), officer, EntryInput(
        official_id=official_id, reason="expelled_corruption", case_ref=case_ref,
        legal_basis="LGSNSP art. 88", effective_date="2025-03-01", handling_code=handling_code,
        narrative="Recibió pagos de un grupo delictivo."))


@dataclass
class Listed:
    mx_entry: uuid.UUID
    us_entry: uuid.UUID


@pytest.fixture
def listed(ctx: RegistryContext, world: World) -> Listed:
    return Listed(list_person(ctx, world.mx_officer, MX_PERSON, "GN-2025-017"),
                  list_person(ctx, world.us_officer, US_PERSON, "DEA-OPR-88", "H0"))


class Clock:
    """A settable clock for deadlines (UnitOfWork.clock)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(ctx: RegistryContext) -> Clock:
    clock = Clock(dt.datetime.now(dt.UTC))
    ctx.clock = clock
    return clock
