"""Registering, reading and correcting officials through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from registry.context import RegistryContext
from registry.errors import Conflict, PermissionDenied, ValidationFailed
from registry.models import AuditEvent, Official
from registry.services.officials import (
    OfficialInput,
    get_official,
    register_official,
    update_official,
)
from tests.factories import World, person, register

VALID_CURP = "HEGG560427MVZRRL04"  # stdnum's published example


def _events(ctx: RegistryContext, action: str) -> list[AuditEvent]:
    with ctx.uow() as uow:
        events = list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        uow.session.expunge_all()
        return events


def test_register_then_read_back_decrypted(ctx: RegistryContext, world: World) -> None:
    official_id = register(ctx, world.mx_officer, 1)
    view = get_official(ctx.uow(), world.mx_officer, official_id)
    assert (view.given_names, view.paternal_surname, view.maternal_surname) == (
        "José Luis",
        "Ramírez",
        "de la Cruz",
    )
    assert view.birth_date == dt.date(1979, 11, 2) and view.sex == "H"
    assert "José" not in repr(view)
    [read] = _events(ctx, "official.read")
    assert read.object_id == str(official_id) and read.outcome == "success"
    assert "Ram" not in read.details


def test_validation_names_every_bad_field(ctx: RegistryContext, world: World) -> None:
    with pytest.raises(ValidationFailed) as info:
        register_official(
            ctx.uow(),
            world.mx_officer,
            OfficialInput(
                given_names="",
                paternal_surname="López",
                birth_date="1984-02-30",
                sex="Q",
                curp="HEGG560427MVZRRL05",
            ),
        )
    fields = {p.field for p in info.value.problems}
    assert fields == {"given_names", "birth_date", "sex", "curp"}
    with ctx.uow() as uow:
        assert uow.session.scalar(select(Official.id)) is None


def test_duplicate_curp_is_refused(ctx: RegistryContext, world: World) -> None:
    register(ctx, world.mx_officer, 0, curp=VALID_CURP)
    with pytest.raises(Conflict, match="already registered"):
        register(ctx, world.mx_officer, 1, curp=VALID_CURP.lower())


def test_other_country_officer_is_refused_and_the_attempt_audited(
    ctx: RegistryContext, world: World
) -> None:
    official_id = register(ctx, world.mx_officer)
    with pytest.raises(PermissionDenied):
        get_official(ctx.uow(), world.us_officer, official_id)
    [denied] = _events(ctx, "official.read")
    assert denied.outcome == "denied" and denied.actor_country == "US"


@pytest.mark.parametrize("role", ["admin", "screener", "auditor", "commissioner"])
def test_only_officers_read_identities(ctx: RegistryContext, world: World, role: str) -> None:
    official_id = register(ctx, world.mx_officer)
    with pytest.raises(PermissionDenied):
        get_official(ctx.uow(), world.actor("MX", role), official_id)


def test_second_save_of_same_version_conflicts(ctx: RegistryContext, world: World) -> None:
    official_id = register(ctx, world.mx_officer)
    first = update_official(
        ctx.uow(), world.mx_officer, official_id, 1, person(0, maternal_surname="Luna")
    )
    assert first == 2
    with pytest.raises(Conflict, match="changed by someone else"):
        update_official(
            ctx.uow(), world.mx_officer, official_id, 1, person(0, maternal_surname="Sol")
        )
    assert get_official(ctx.uow(), world.mx_officer, official_id).maternal_surname == "Luna"
