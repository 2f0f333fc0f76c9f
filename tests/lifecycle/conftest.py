"""Fixtures for the vetting lifecycle: a settable clock, departments and commissioners."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest

from registry.context import RegistryContext
from registry.policy import Actor
from registry.services import accounts, agencies, taskforces
from registry.services.accounts import actor_by_username
from registry.services.evaluations import EvaluationInput, record_evaluation
from tests.factories import World, register

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def set_date(self, day: dt.date) -> None:
        self.now = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)

    def advance(self, days: float = 0, **delta: float) -> None:
        self.now += dt.timedelta(days=days, **delta)


@dataclass
class Lifecycle:
    ctx: RegistryContext
    world: World
    clock: Clock
    commissioners: dict[str, Actor]

    @property
    def mx(self) -> Actor:
        return self.world.mx_officer

    @property
    def us(self) -> Actor:
        return self.world.us_officer

    def official(self, actor: Actor | None = None, n: int = 0, **changes: object) -> uuid.UUID:
        return register(self.ctx, actor or self.mx, n, **changes)

    def evaluate(
        self,
        official_id: uuid.UUID,
        on: dt.date | str,
        outcome: str = "pass",
        actor: Actor | None = None,
        **extra: object,
    ) -> uuid.UUID:
        result = "pass" if outcome == "pass" else ("refused" if outcome == "refused" else "fail")
        return record_evaluation(
            self.ctx.uow(),
            actor or self.mx,
            EvaluationInput(
                official_id=official_id,
                type="recertification",
                outcome=outcome,
                evaluated_on=on,
                components={"polygraph": result, "background": "pass"},
                **extra,
            ),
        )  # type: ignore[arg-type]

    def vetted(
        self, actor: Actor | None = None, n: int = 0, on: dt.date | None = None, **changes: object
    ) -> uuid.UUID:
        official_id = self.official(actor, n, **changes)
        self.evaluate(official_id, on or self.clock().date() - dt.timedelta(days=10), actor=actor)
        return official_id

    def task_force(
        self, code: str = "JTF-NORTE", *members: uuid.UUID, senior_first: bool = True
    ) -> uuid.UUID:
        tf = taskforces.create_task_force(self.ctx.uow(), self.mx, code=code, name=f"Unit {code}")
        for i, member in enumerate(members):
            taskforces.add_member(
                self.ctx.uow(),
                self.mx,
                tf,
                member,
                role="investigator",
                senior=senior_first and i == 0,
            )
        return tf


@pytest.fixture
def clock(ctx: RegistryContext) -> Clock:
    clock = Clock(START)
    ctx.clock = clock
    return clock


@pytest.fixture
def lc(ctx: RegistryContext, world: World, operator: Actor, clock: Clock) -> Lifecycle:
    for code, name, parent, sector in (
        ("US-DHS", "U.S. Department of Homeland Security", None, "department"),
        ("US-DOS", "U.S. Department of State", None, "department"),
        ("US-CBP", "U.S. Customs and Border Protection", "US-DHS", "customs"),
    ):
        agencies.add_agency(
            ctx.uow(),
            operator,
            code=code,
            name=name,
            country="US",
            sector=sector,
            level="federal",
            parent_code=parent,
        )
    commissioners = {"US-DOJ": world.actor("US", "commissioner")}  # at US-DEA, part of DOJ
    for department, agency in (("US-DHS", "US-CBP"), ("US-DOS", "US-DOS")):
        username = f"commissioner.{department.lower()}"
        accounts.add_user(
            ctx.uow(), operator, username=username, agency_code=agency, roles=["commissioner"]
        )
        commissioners[department] = actor_by_username(ctx.uow(), username)
    return Lifecycle(ctx, world, clock, commissioners)
