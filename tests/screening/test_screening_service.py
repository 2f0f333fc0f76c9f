"""Screening through blind indexes: hits, levels, in-force rule, records and audit."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from registry.context import RegistryContext
from registry.errors import NotFound, PermissionDenied, ValidationFailed
from registry.models import AuditEvent, RegistryEntry, Screening, ScreeningHit
from registry.models.enums import EntryStatus
from registry.services.screening import (
    MAX_BATCH_ROWS,
    RowError,
    ScreeningInput,
    ScreeningResult,
    entry_summary,
    screen,
    screen_batch,
)
from tests.factories import World
from tests.screening.conftest import MX_PERSON, US_PERSON, Listed, as_query


def test_exact_hit_reports_the_entry_without_names(ctx: RegistryContext, world: World,
                                                    listed: Listed) -> None:
    screener = world.actor("US", "screener")
    result = screen(ctx.uow(), screener, "HIRING", as_query(MX_PERSON))
    assert result.is_hit and result.candidates >= 1
    [hit] = result.hits
    assert (hit.entry_id, hit.level, hit.originating_agency, hit.originating_country) == (
        listed.mx_entry, "exact", "MX-GN", "MX")
    assert (hit.reason, hit.status, hit.case_ref) == (
        "expelled_corruption", "active", "GN-2025-017")
    assert hit.detail_available is False  # other country: summary only
    same = screen(ctx.uow(), world.actor("MX", "screener"), "HIRING", as_query(MX_PERSON))
    assert same.hits[0].detail_available is True


def test_corrupted_query_still_hits(ctx: RegistryContext, world: World, listed: Listed) -> None:
    screener = world.actor("MX", "screener")
    # Accents dropped, maternal surname missing, second given name dropped, no CURP.
    result = screen(ctx.uow(), screener, "PROMOTION", as_query(
        MX_PERSON, given_names="Jose", paternal_surname="RAMIREZ", maternal_surname=None,
        curp=None))
    assert [h.entry_id for h in result.hits] == [listed.mx_entry]
    assert result.hits[0].level in ("probable", "possible")


def test_no_hit_and_homonym_with_other_birth_date(ctx: RegistryContext, world: World,
                                                   listed: Listed) -> None:
    screener = world.actor("MX", "screener")
    assert not screen(ctx.uow(), screener, "HIRING", ScreeningInput(
        "Ana Sofía", "Beltrán", "Ochoa", "1991-01-20", "M")).is_hit
    homonym = screen(ctx.uow(), screener, "HIRING", as_query(
        MX_PERSON, birth_date="1965-06-30", curp=None))
    assert all(h.level != "probable" and h.level != "exact" for h in homonym.hits)


@pytest.mark.parametrize("status", [EntryStatus.OVERTURNED, EntryStatus.EXPIRED])
def test_overturned_and_expired_entries_never_hit(ctx: RegistryContext, world: World,
                                                  listed: Listed, status: EntryStatus) -> None:
    with ctx.uow() as uow:
        uow.session.execute(text("UPDATE registry_entries SET status = :s WHERE id = :id"),
                            {"s": status.value, "id": listed.mx_entry.hex
                             if ctx.engine.dialect.name == "sqlite" else listed.mx_entry})
        uow.session.commit()
    result = screen(ctx.uow(), world.actor("MX", "screener"), "HIRING", as_query(MX_PERSON))
    assert not result.is_hit and result.candidates == 0


def test_under_appeal_still_hits(ctx: RegistryContext, world: World, listed: Listed) -> None:
    with ctx.uow() as uow:
        entry = uow.session.get(RegistryEntry, listed.us_entry)
        assert entry
        entry.status = EntryStatus.UNDER_APPEAL
        entry.version += 1
        uow.session.commit()
    result = screen(ctx.uow(), world.actor("MX", "screener"), "TASKFORCE", as_query(US_PERSON))
    assert [(h.entry_id, h.status) for h in result.hits] == [(listed.us_entry, "under_appeal")]


def test_screening_is_recorded_and_audited_with_a_fingerprint_only(
        ctx: RegistryContext, world: World, listed: Listed) -> None:
    screener = world.actor("US", "screener")
    result = screen(ctx.uow(), screener, "taskforce", as_query(MX_PERSON))
    again = screen(ctx.uow(), screener, "TASKFORCE", as_query(MX_PERSON, given_names="JOSÉ LUIS"))
    with ctx.uow() as uow:
        row = uow.session.get(Screening, result.screening_id)
        assert row and row.purpose.value == "TASKFORCE" and row.agency.code == "US-DEA"
        assert row.outcome.value == "hit" and row.candidates == result.candidates
        hits = uow.session.scalars(select(ScreeningHit).where(
            ScreeningHit.screening_id == row.id)).all()
        assert [h.entry_id for h in hits] == [listed.mx_entry]
        event = uow.session.scalars(select(AuditEvent).where(
            AuditEvent.object_id == str(row.id))).one()
        action, purpose, raw = event.action, event.purpose, event.details
    details = json.loads(raw)
    assert action == "screening.run" and purpose == "TASKFORCE"
    assert details["entries"] == [str(listed.mx_entry)] and len(details["query"]) == 32
    # Same person typed differently: same keyed fingerprint, so auditors can link repeats.
    with ctx.uow() as uow:
        other = uow.session.get(Screening, again.screening_id)
        assert other and other.query_fingerprint == details["query"]
    blob = raw.upper()
    assert "RAMIREZ" not in blob and "JOSE" not in blob and "1979" not in blob


def test_screening_rows_are_append_only(ctx: RegistryContext, world: World, listed: Listed) -> None:
    result = screen(ctx.uow(), world.actor("MX", "screener"), "HIRING", as_query(MX_PERSON))
    with ctx.uow() as uow, pytest.raises(DBAPIError, match="append-only"):
        uow.session.execute(text("UPDATE screenings SET outcome = 'no_hit' WHERE id = :id"),
                            {"id": result.screening_id.hex if ctx.engine.dialect.name == "sqlite"
                             else result.screening_id})


def test_every_problem_is_reported_by_field(ctx: RegistryContext, world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        screen(ctx.uow(), world.actor("MX", "screener"), "FISHING",
               ScreeningInput("", "Pérez", None, "1990-02-30", "Q", "NOTACURP"))
    fields = {p.field for p in caught.value.problems}
    assert fields == {"purpose", "given_names", "birth_date", "sex", "curp"}


def test_only_screeners_and_officers_screen(ctx: RegistryContext, world: World) -> None:
    for role in ("auditor", "admin", "commissioner"):
        with pytest.raises(PermissionDenied):
            screen(ctx.uow(), world.actor("MX", role), "HIRING", as_query(MX_PERSON))


def test_batch_screens_good_rows_and_reports_bad_ones(ctx: RegistryContext, world: World,
                                                      listed: Listed) -> None:
    rows = [as_query(MX_PERSON), ScreeningInput("", None, row=7),
            ScreeningInput("Ana", "Beltrán", None, "1991-01-20"), as_query(US_PERSON)]
    batch = screen_batch(ctx.uow(), world.actor("MX", "screener"), "HIRING", rows)
    kinds = [type(r).__name__ for r in batch.results]
    assert kinds == ["ScreeningResult", "RowError", "ScreeningResult", "ScreeningResult"]
    error = batch.results[1]
    assert isinstance(error, RowError) and error.row == 7
    assert {p.field for p in error.problems} == {"given_names", "paternal_surname"}
    screened = [r for r in batch.results if isinstance(r, ScreeningResult)]
    assert [r.is_hit for r in screened] == [True, False, True]
    assert [r.row for r in screened] == [1, 3, 4]


def test_batch_limits(ctx: RegistryContext, world: World) -> None:
    screener = world.actor("MX", "screener")
    with pytest.raises(ValidationFailed, match="rows: is empty"):
        screen_batch(ctx.uow(), screener, "HIRING", [])
    too_many = [ScreeningInput("Ana", "Ruiz")] * (MAX_BATCH_ROWS + 1)
    with pytest.raises(ValidationFailed, match="at most"):
        screen_batch(ctx.uow(), screener, "HIRING", too_many)


def test_entry_summary_only_for_entries_the_agency_hit(ctx: RegistryContext, world: World,
                                                       listed: Listed) -> None:
    us = world.actor("US", "screener")
    with pytest.raises(NotFound):
        entry_summary(ctx.uow(), us, listed.mx_entry)
    screen(ctx.uow(), us, "HIRING", as_query(MX_PERSON))
    summary = entry_summary(ctx.uow(), us, listed.mx_entry)
    assert summary.case_ref == "GN-2025-017" and summary.level == "exact"
