"""Hit-confirmation endpoints: request, list, review, answer, and the requester's release."""

from __future__ import annotations

from typing import Any

from spectree import Response

from registry.identity import Identity
from registry.services import confirmations
from registry.services.officials import OfficialView
from registry.services.screening import ScreeningInput
from web.api.core import api, current_actor, registry, spec
from web.api.schemas import (
    AnswerIn,
    ConfirmationIn,
    ConfirmationOut,
    ConfirmationPageOut,
    ConfirmationQuery,
    EntryOut,
    ErrorOut,
    PersonOut,
    ReleaseOut,
    ReviewOut,
)

ERRORS = {
    "HTTP_401": ErrorOut,
    "HTTP_403": ErrorOut,
    "HTTP_404": ErrorOut,
    "HTTP_409": ErrorOut,
    "HTTP_422": ErrorOut,
}


def _out(view: confirmations.ConfirmationView) -> ConfirmationOut:
    return ConfirmationOut.model_validate(view, from_attributes=True)


def _person(person: Identity | OfficialView) -> PersonOut:
    return PersonOut(
        given_names=person.given_names,
        paternal_surname=person.paternal_surname,
        maternal_surname=person.maternal_surname,
        birth_date=person.birth_date,
        sex=person.sex,
        curp=person.curp,
    )


@api.post("/confirmations")
@spec.validate(
    json=ConfirmationIn, resp=Response(HTTP_201=ConfirmationOut, **ERRORS), tags=["confirmations"]
)
def request_confirmation(json: ConfirmationIn) -> Any:
    """Ask the originating agency to confirm a hit (urgent: 10 minutes, routine: 1 hour)."""
    c = json.candidate
    view = confirmations.request_confirmation(
        registry().uow(),
        current_actor(),
        json.screening_id,
        json.entry_id,
        json.urgency.value,
        ScreeningInput(
            c.given_names, c.paternal_surname, c.maternal_surname, c.birth_date, c.sex, c.curp
        ),
    )
    return _out(view), 201


@api.get("/confirmations")
@spec.validate(
    query=ConfirmationQuery,
    resp=Response(HTTP_200=ConfirmationPageOut, **ERRORS),
    tags=["confirmations"],
)
def list_confirmations(query: ConfirmationQuery) -> Any:
    """Requests to answer (incoming, oldest deadline first) or sent by your agency (outgoing)."""
    page = confirmations.list_confirmations(
        registry().uow(),
        current_actor(),
        query.direction,
        query.status.value if query.status else None,
        query.page,
        query.per_page,
    )
    return ConfirmationPageOut(
        items=[_out(v) for v in page.items],
        page=page.page,
        per_page=page.per_page,
        total=page.total,
    )


@api.get("/confirmations/<uuid:request_id>")
@spec.validate(resp=Response(HTTP_200=ReleaseOut, **ERRORS), tags=["confirmations"])
def confirmation_release(request_id: Any) -> Any:
    """The requester's view: status and, once confirmed, what the handling code releases."""
    release = confirmations.confirmation_release(registry().uow(), current_actor(), request_id)
    return ReleaseOut(
        request=_out(release.request),
        handling_code=release.handling_code.value,
        tier=release.tier.value,
        caveat=release.caveat,
        entry=(
            EntryOut.model_validate(release.entry, from_attributes=True) if release.entry else None
        ),
        official=_person(release.official) if release.official else None,
    )


@api.get("/confirmations/<uuid:request_id>/review")
@spec.validate(resp=Response(HTTP_200=ReviewOut, **ERRORS), tags=["confirmations"])
def review_confirmation(request_id: Any) -> Any:
    """The originator's view: the candidate as screened beside the listed person."""
    review = confirmations.review_confirmation(registry().uow(), current_actor(), request_id)
    return ReviewOut(
        request=_out(review.request),
        candidate=_person(review.candidate),
        record=_person(review.record),
    )


@api.post("/confirmations/<uuid:request_id>/answer")
@spec.validate(
    json=AnswerIn, resp=Response(HTTP_200=ConfirmationOut, **ERRORS), tags=["confirmations"]
)
def answer_confirmation(request_id: Any, json: AnswerIn) -> Any:
    """Confirm or deny a hit, as the originating agency's vetting officer."""
    view = confirmations.answer_confirmation(
        registry().uow(), current_actor(), request_id, json.answer
    )
    return _out(view)
