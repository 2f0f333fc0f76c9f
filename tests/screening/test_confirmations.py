"""Hit confirmation: request, deadlines, second request and escalation, answer, release."""

from __future__ import annotations

import uuid

import pytest

from registry.context import RegistryContext
from registry.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from registry.policy import Actor
from registry.services.confirmations import (
    answer_confirmation,
    confirmation_release,
    escalate_overdue,
    list_confirmations,
    request_confirmation,
    review_confirmation,
)
from registry.services.screening import screen
from tests.factories import World
from tests.screening.conftest import MX_PERSON, US_PERSON, Clock, Listed, as_query


def _request(
    ctx: RegistryContext, world: World, listed: Listed, urgency: str = "urgent"
) -> uuid.UUID:
    us = world.actor("US", "screener")
    result = screen(ctx.uow(), us, "TASKFORCE", as_query(MX_PERSON))
    view = request_confirmation(ctx.uow(), us, result.screening_id, listed.mx_entry, urgency,
                                as_query(MX_PERSON))
    return view.id


def test_round_trip_releases_details_after_confirmation(
        ctx: RegistryContext, world: World, listed: Listed, clock: Clock) -> None:
    us = world.actor("US", "screener")
    request_id = _request(ctx, world, listed)
    pending = confirmation_release(ctx.uow(), us, request_id)
    assert pending.request.status == "pending" and pending.entry is None
    assert (pending.request.due_at - pending.request.requested_at).total_seconds() == 600
    incoming = list_confirmations(ctx.uow(), world.mx_officer, "incoming")
    assert [c.id for c in incoming.items] == [request_id] and incoming.total == 1
    review = review_confirmation(ctx.uow(), world.mx_officer, request_id)
    assert review.candidate.paternal_surname == "Ramírez" and review.record.curp == MX_PERSON.curp
    answered = answer_confirmation(ctx.uow(), world.mx_officer, request_id, "confirm")
    assert answered.status == "confirmed"
    release = confirmation_release(ctx.uow(), us, request_id)
    assert release.tier == "full" and release.handling_code == "H1"
    assert release.entry and release.entry.narrative and release.official
    assert "judicial" in release.caveat
    with pytest.raises(Conflict, match="already answered"):
        answer_confirmation(ctx.uow(), world.mx_officer, request_id, "deny")


def test_denied_hit_releases_nothing(ctx: RegistryContext, world: World, listed: Listed) -> None:
    request_id = _request(ctx, world, listed, "routine")
    answer_confirmation(ctx.uow(), world.mx_officer, request_id, "deny")
    release = confirmation_release(ctx.uow(), world.actor("US", "screener"), request_id)
    assert release.request.status == "denied" and release.entry is None and release.tier == "none"


@pytest.mark.parametrize(("code", "tier", "narrative", "identity"), [
    ("H0", "full", True, True), ("H2", "entry", False, False), ("H3", "none", False, False)])
def test_release_follows_the_handling_code(ctx: RegistryContext, world: World, code: str,
                                           tier: str, narrative: bool, identity: bool) -> None:
    from tests.screening.conftest import list_person

    entry_id = list_person(ctx, world.mx_officer, MX_PERSON, f"GN-{code}", code)
    us = world.actor("US", "screener")
    result = screen(ctx.uow(), us, "HIRING", as_query(MX_PERSON))
    request = request_confirmation(ctx.uow(), us, result.screening_id, entry_id, "routine",
                                   as_query(MX_PERSON))
    answer_confirmation(ctx.uow(), world.mx_officer, request.id, "confirm")
    release = confirmation_release(ctx.uow(), us, request.id)
    assert release.tier == tier
    assert bool(release.entry and release.entry.narrative) is narrative
    assert (release.official is not None) is identity


def test_only_the_originator_answers(ctx: RegistryContext, world: World, listed: Listed) -> None:
    request_id = _request(ctx, world, listed)
    for actor in (world.us_officer, world.actor("MX", "screener")):
        with pytest.raises(PermissionDenied):
            answer_confirmation(ctx.uow(), actor, request_id, "confirm")
    with pytest.raises(NotFound):  # another agency may not even see the request
        confirmation_release(ctx.uow(), world.mx_officer, request_id)


def test_request_must_match_the_screened_identity(ctx: RegistryContext, world: World,
                                                  listed: Listed) -> None:
    us = world.actor("US", "screener")
    result = screen(ctx.uow(), us, "HIRING", as_query(MX_PERSON))
    with pytest.raises(ValidationFailed) as caught:
        request_confirmation(ctx.uow(), us, result.screening_id, listed.mx_entry, "soon",
                             as_query(MX_PERSON))
    assert [p.field for p in caught.value.problems] == ["urgency"]
    with pytest.raises(ValidationFailed, match="candidate: is not the identity"):
        request_confirmation(ctx.uow(), us, result.screening_id, listed.mx_entry, "urgent",
                             as_query(US_PERSON))
    with pytest.raises(NotFound):  # not a hit of that screening
        request_confirmation(ctx.uow(), us, result.screening_id, listed.us_entry, "urgent",
                             as_query(MX_PERSON))
    with pytest.raises(NotFound):  # another agency's screening
        request_confirmation(ctx.uow(), world.actor("MX", "screener"), result.screening_id,
                             listed.mx_entry, "urgent", as_query(MX_PERSON))
    request_confirmation(ctx.uow(), us, result.screening_id, listed.mx_entry, "urgent",
                         as_query(MX_PERSON))
    with pytest.raises(Conflict, match="already requested"):
        request_confirmation(ctx.uow(), us, result.screening_id, listed.mx_entry, "urgent",
                             as_query(MX_PERSON))


def test_missed_deadlines_bring_a_second_request_then_escalation(
        ctx: RegistryContext, world: World, listed: Listed, clock: Clock) -> None:
    system = Actor.system_operator("cron")
    request_id = _request(ctx, world, listed, "urgent")
    clock.advance(minutes=9)
    assert escalate_overdue(ctx.uow(), system) == []
    clock.advance(minutes=2)
    [step] = escalate_overdue(ctx.uow(), system)
    assert (step.request_id, step.action, step.notified) == (request_id, "second_request", "MX-GN")
    assert list_confirmations(ctx.uow(), world.mx_officer).items[0].reminded_at is not None
    assert escalate_overdue(ctx.uow(), system) == []  # the second window is running
    clock.advance(minutes=11)
    [step] = escalate_overdue(ctx.uow(), system)
    assert (step.action, step.notified) == ("escalated", "MX-SSPC")
    assert escalate_overdue(ctx.uow(), system) == []
    # The supervisors (parent agency) now see it and may answer.
    supervisors = _officer_of(ctx, world, "MX-SSPC")
    incoming = list_confirmations(ctx.uow(), supervisors, "incoming")
    assert [c.id for c in incoming.items] == [request_id] and incoming.items[0].escalated_at
    answered = answer_confirmation(ctx.uow(), supervisors, request_id, "confirm")
    assert answered.status == "confirmed"


def test_escalation_is_a_system_job(ctx: RegistryContext, world: World) -> None:
    with pytest.raises(PermissionDenied):
        escalate_overdue(ctx.uow(), world.mx_officer)


def test_listing_validates_and_pages(ctx: RegistryContext, world: World, listed: Listed) -> None:
    _request(ctx, world, listed)
    outgoing = list_confirmations(ctx.uow(), world.actor("US", "screener"), "outgoing",
                                  status="pending", per_page=1)
    assert outgoing.total == 1 and outgoing.per_page == 1
    with pytest.raises(ValidationFailed) as caught:
        list_confirmations(ctx.uow(), world.mx_officer, "sideways", status="maybe", page=0)
    assert {p.field for p in caught.value.problems} == {"direction", "status", "page"}
    with pytest.raises(PermissionDenied):
        list_confirmations(ctx.uow(), world.actor("MX", "screener"), "incoming")


def _officer_of(ctx: RegistryContext, world: World, agency: str) -> Actor:
    from registry.services import accounts
    from registry.services.accounts import actor_by_username

    accounts.add_user(ctx.uow(), Actor.system_operator("tests"), username="sspc.officer",
                      agency_code=agency, roles=["vetting_officer"])
    return actor_by_username(ctx.uow(), "sspc.officer")
