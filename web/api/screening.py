"""Screening endpoints: single and batch screening, entry summary and detail, who am I."""

from __future__ import annotations

from collections import Counter
from typing import Any

from spectree import Response

from registry.services import entries, screening
from registry.services.screening import RowError, ScreeningInput, ScreeningResult
from web.api.core import api, current_actor, registry, spec
from web.api.schemas import (
    BatchIn,
    BatchOut,
    BatchSummaryOut,
    EntryOut,
    EntryQuery,
    ErrorOut,
    HitOut,
    IdentityIn,
    MeOut,
    ProblemOut,
    RowErrorOut,
    ScreeningIn,
    ScreeningOut,
)

ERRORS = {"HTTP_401": ErrorOut, "HTTP_403": ErrorOut, "HTTP_422": ErrorOut}


def _input(data: IdentityIn, row: int | None = None) -> ScreeningInput:
    return ScreeningInput(
        data.given_names,
        data.paternal_surname,
        data.maternal_surname,
        data.birth_date,
        data.sex,
        data.curp,
        row,
    )


def _screening_out(result: ScreeningResult) -> ScreeningOut:
    return ScreeningOut(
        screening_id=result.screening_id,
        outcome=result.outcome.value,
        purpose=result.purpose,
        screened_at=result.screened_at,
        candidates=result.candidates,
        row=result.row,
        hits=[HitOut.model_validate(h, from_attributes=True) for h in result.hits],
    )


@api.post("/screenings")
@spec.validate(json=ScreeningIn, resp=Response(HTTP_200=ScreeningOut, **ERRORS), tags=["screening"])
def create_screening(json: ScreeningIn) -> Any:
    """Screen one candidate: hit or no hit, with every matched entry in force."""
    result = screening.screen(registry().uow(), current_actor(), json.purpose.value, _input(json))
    return _screening_out(result)


@api.post("/screenings/batch")
@spec.validate(json=BatchIn, resp=Response(HTTP_200=BatchOut, **ERRORS), tags=["screening"])
def create_batch(json: BatchIn) -> Any:
    """Screen up to 1,000 candidates; a bad row is reported with its problems and skipped."""
    batch = screening.screen_batch(
        registry().uow(),
        current_actor(),
        json.purpose.value,
        [_input(row, row.row) for row in json.rows],
    )
    results: list[ScreeningOut | RowErrorOut] = []
    levels: Counter[str] = Counter()
    for item in batch.results:
        if isinstance(item, RowError):
            results.append(
                RowErrorOut(
                    row=item.row,
                    problems=[
                        ProblemOut(field=p.field, message=p.message, row=p.row)
                        for p in item.problems
                    ],
                )
            )
            continue
        results.append(_screening_out(item))
        if item.hits:
            levels[item.hits[0].level] += 1
    screened = sum(isinstance(r, ScreeningOut) for r in results)
    summary = BatchSummaryOut(
        rows=len(results),
        screened=screened,
        hits=sum(levels.values()),
        errors=len(results) - screened,
        by_level=dict(levels),
    )
    return BatchOut(
        batch_id=batch.batch_id, purpose=batch.purpose, summary=summary, results=results
    )


@api.get("/entries/<uuid:entry_id>/summary")
@spec.validate(resp=Response(HTTP_200=HitOut, HTTP_404=ErrorOut, **ERRORS), tags=["entries"])
def entry_summary(entry_id: Any) -> Any:
    """The hit summary of an entry that came up in one of your agency's screenings."""
    view = screening.entry_summary(registry().uow(), current_actor(), entry_id)
    return HitOut.model_validate(view, from_attributes=True)


@api.get("/entries/<uuid:entry_id>")
@spec.validate(
    query=EntryQuery,
    resp=Response(HTTP_200=EntryOut, HTTP_404=ErrorOut, **ERRORS),
    tags=["entries"],
)
def entry_detail(entry_id: Any, query: EntryQuery) -> Any:
    """An entry's detail, for screeners of the originator's country (others: confirmations)."""
    purpose = query.purpose.value if query.purpose else None
    view = entries.get_entry(registry().uow(), current_actor(), entry_id, purpose)
    return EntryOut.model_validate(view, from_attributes=True)


@api.get("/me")
@spec.validate(resp=Response(HTTP_200=MeOut, HTTP_401=ErrorOut), tags=["account"])
def me() -> Any:
    """The account behind the token (for `vetreg login`)."""
    actor = current_actor()
    return MeOut(
        username=actor.username,
        agency=actor.agency_code,
        country=actor.country.value if actor.country else None,
        roles=sorted(r.value for r in actor.roles),
    )
