"""Redress: appeals put an entry under appeal; decisions overturn or restore it; deadlines."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.context import RegistryContext
from registry.errors import Conflict, PermissionDenied, ValidationFailed
from registry.models.enums import EntryStatus, RedressStatus
from registry.services.entries import get_entry
from registry.services.redress import decide_redress, file_redress, list_redress
from tests.factories import World, listed, register


def _entry(ctx: RegistryContext, world: World) -> object:
    return listed(ctx, world.mx_officer, register(ctx, world.mx_officer))


def test_appeal_then_overturn(ctx: RegistryContext, world: World) -> None:
    entry_id = _entry(ctx, world)
    request_id = file_redress(
        ctx.uow(),
        world.mx_officer,
        entry_id,
        kind="appeal",
        grounds="La evaluación se aplicó sin defensor.",
    )
    assert get_entry(ctx.uow(), world.mx_officer, entry_id).status is EntryStatus.UNDER_APPEAL
    with pytest.raises(ValidationFailed, match="cannot be appealed"):
        file_redress(ctx.uow(), world.mx_officer, entry_id, kind="appeal", grounds="again")
    assert (
        decide_redress(
            ctx.uow(), world.mx_officer, request_id, granted=True, notes="Procedimiento viciado."
        )
        is RedressStatus.GRANTED
    )
    view = get_entry(ctx.uow(), world.mx_officer, entry_id)
    assert view.status is EntryStatus.OVERTURNED
    assert view.narrative == "No aprobó la evaluación de control de confianza."
    with pytest.raises(Conflict, match="already decided"):
        decide_redress(ctx.uow(), world.mx_officer, request_id, granted=False, notes="x")


def test_denied_appeal_restores_active(ctx: RegistryContext, world: World) -> None:
    entry_id = _entry(ctx, world)
    request_id = file_redress(ctx.uow(), world.mx_officer, entry_id, kind="appeal", grounds="g")
    decide_redress(ctx.uow(), world.mx_officer, request_id, granted=False, notes="Sin fundamento.")
    assert get_entry(ctx.uow(), world.mx_officer, entry_id).status is EntryStatus.ACTIVE


def test_arco_answer_due_in_twenty_working_days_and_overdue_listed(
    ctx: RegistryContext, world: World
) -> None:
    entry_id = _entry(ctx, world)
    # Filed on Friday 2026-03-13; Monday 2026-03-16 is a Mexican holiday (Benito Juárez).
    file_redress(
        ctx.uow(),
        world.mx_officer,
        entry_id,
        kind="access",
        grounds="Solicita acceso.",
        filed_on=dt.date(2026, 3, 13),
    )
    [pending] = list_redress(ctx.uow(), world.mx_officer)
    assert pending.due_on == dt.date(2026, 4, 13)
    assert pending.overdue  # the test clock is today, long after April 2026
    assert [r.id for r in list_redress(ctx.uow(), world.mx_officer, overdue_only=True)] == [
        pending.id
    ]
    assert list_redress(ctx.uow(), world.us_officer) == []


def test_other_country_cannot_decide(ctx: RegistryContext, world: World) -> None:
    entry_id = _entry(ctx, world)
    request_id = file_redress(
        ctx.uow(), world.mx_officer, entry_id, kind="rectification", grounds="g"
    )
    with pytest.raises(PermissionDenied):
        decide_redress(ctx.uow(), world.us_officer, request_id, granted=True, notes="n")
