"""Task-force compliance: suspension with reasons, reciprocity, refused assignments, overrides."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from registry.errors import Conflict, PermissionDenied, ValidationFailed
from registry.models import AuditEvent, Suspension, SuspensionReason, TaskForce
from registry.models.enums import TaskForceStatus
from registry.policy import Actor
from registry.services import compliance, overrides, taskforces
from tests.factories import listed
from tests.lifecycle.conftest import Lifecycle


def _state(
    lc: Lifecycle, tf: uuid.UUID
) -> tuple[TaskForceStatus, bool, set[tuple[uuid.UUID, str]]]:
    with lc.ctx.uow() as uow:
        task_force = uow.session.get(TaskForce, tf)
        assert task_force
        reasons = {
            (o, r)
            for o, r in uow.session.execute(
                select(SuspensionReason.official_id, SuspensionReason.rule)
                .join(Suspension, Suspension.id == SuspensionReason.suspension_id)
                .where(
                    Suspension.task_force_id == tf,
                    Suspension.lifted_at.is_(None),
                    SuspensionReason.resolved_at.is_(None),
                )
            )
        }
        return task_force.status, task_force.funding_suspended, reasons


def _unit(lc: Lifecycle) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID]:
    """A joint unit: a senior Mexican commander, a Mexican agent, a U.S. agent, all vetted."""
    senior = lc.vetted(n=0)
    agent = lc.vetted(n=1)
    us_agent = lc.vetted(lc.us, n=2)
    tf = lc.task_force("JTF-NORTE", senior, agent, us_agent)
    return tf, senior, agent, us_agent


def test_refused_evaluation_of_a_senior_member_suspends_at_once(lc: Lifecycle) -> None:
    tf, senior, _agent, _us = _unit(lc)
    assert _state(lc, tf) == (TaskForceStatus.ACTIVE, False, set())
    lc.evaluate(senior, lc.clock().date(), outcome="refused")
    assert _state(lc, tf) == (TaskForceStatus.SUSPENDED, True, {(senior, "refused_evaluation")})
    view = taskforces.task_force_status(lc.ctx.uow(), lc.mx, tf)
    assert view.status is TaskForceStatus.SUSPENDED and view.funding_suspended
    assert [(r.official_id, r.rule, r.senior) for r in view.reasons] == [
        (senior, "refused_evaluation", True)
    ]
    # Off the roster, the unit is compliant again and the suspension is lifted.
    taskforces.remove_member(lc.ctx.uow(), lc.mx, tf, senior)
    assert _state(lc, tf) == (TaskForceStatus.ACTIVE, False, set())


def test_expired_pass_of_a_senior_member_suspends_after_the_grace_period(
    lc: Lifecycle, operator: Actor
) -> None:
    tf, senior, agent, us_agent = _unit(lc)
    # Everyone else re-vetted later, so only the commander's pass expires first.
    lc.clock.advance(200)
    for member, actor in ((agent, lc.mx), (us_agent, lc.us)):
        lc.evaluate(member, lc.clock().date(), actor=actor)
    compliance.set_grace_days(lc.ctx.uow(), operator, 10)
    lc.clock.advance(160)  # the commander passed 370 days ago: 12 months + 5 days
    assert compliance.check_all(lc.ctx.uow(), operator)["suspended"] == 0
    lc.clock.advance(6)
    summary = compliance.check_all(lc.ctx.uow(), operator)
    assert summary["suspended"] == 1
    assert _state(lc, tf) == (TaskForceStatus.SUSPENDED, True, {(senior, "pass_expired")})
    assert compliance.check_all(lc.ctx.uow(), operator)["suspended"] == 0  # nothing new to record


def test_a_pass_holds_through_its_due_date_and_the_grace_period(
    lc: Lifecycle, operator: Actor
) -> None:
    lc.clock.set_date(dt.date(2026, 1, 10))
    member = lc.vetted(n=0, on=dt.date(2026, 1, 10))  # a member's pass is due 2027-01-10
    tf = lc.task_force("JTF-SUR", member)
    compliance.set_grace_days(lc.ctx.uow(), operator, 3)
    lc.clock.set_date(dt.date(2027, 1, 13))
    assert compliance.check_all(lc.ctx.uow(), operator)["suspended"] == 0
    lc.clock.set_date(dt.date(2027, 1, 14))
    assert compliance.check_all(lc.ctx.uow(), operator)["suspended"] == 1
    assert _state(lc, tf) == (TaskForceStatus.SUSPENDED, True, {(member, "pass_expired")})


def test_us_member_evaluated_by_a_mexican_officer_counts(lc: Lifecycle, operator: Actor) -> None:
    tf, senior, agent, us_agent = _unit(lc)
    lc.clock.advance(380)
    for member in (senior, agent):
        lc.evaluate(member, lc.clock().date())
    compliance.check_all(lc.ctx.uow(), operator)
    assert _state(lc, tf) == (TaskForceStatus.SUSPENDED, True, {(us_agent, "pass_expired")})
    # Reciprocal vetting: the Mexican officer re-vets the U.S. member of the joint unit.
    lc.evaluate(us_agent, lc.clock().date(), actor=lc.mx)
    assert _state(lc, tf) == (TaskForceStatus.ACTIVE, False, set())


def test_assigning_a_listed_or_unvetted_official_is_refused(lc: Lifecycle) -> None:
    tf, *_ = _unit(lc)
    unvetted = lc.official(n=0, given_names="Rosa")
    with pytest.raises(ValidationFailed, match="never passed"):
        taskforces.add_member(lc.ctx.uow(), lc.mx, tf, unvetted, role="analyst")
    lc.clock.set_date(dt.date(2026, 6, 1))
    failed = lc.vetted(n=1, given_names="Pedro", on=dt.date(2026, 5, 20))
    listed(lc.ctx, lc.mx, failed)
    with pytest.raises(ValidationFailed, match="listed in the registry"):
        taskforces.add_member(lc.ctx.uow(), lc.mx, tf, failed, role="analyst")
    old_pass = lc.vetted(n=2, given_names="Lucía", on=dt.date(2024, 12, 1))  # 3 years, not 1
    with pytest.raises(ValidationFailed, match="expired"):
        taskforces.add_member(lc.ctx.uow(), lc.mx, tf, old_pass, role="analyst")
    assert len(taskforces.get_task_force(lc.ctx.uow(), lc.mx, tf).members) == 3
    with lc.ctx.uow() as uow:
        refused = uow.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "taskforce.add_member", AuditEvent.outcome == "denied"
            )
        ).all()
    assert len(refused) == 3


def _approve(lc: Lifecycle, request: uuid.UUID, *departments: str) -> str:
    status = ""
    for department in departments:
        status = overrides.vote(lc.ctx.uow(), lc.commissioners[department], request, approve=True)
    return status


def test_override_needs_every_department_then_expires(lc: Lifecycle, operator: Actor) -> None:
    tf, senior, *_ = _unit(lc)
    lc.evaluate(senior, lc.clock().date(), outcome="fail")
    request = overrides.request_override(
        lc.ctx.uow(),
        lc.mx,
        task_force_id=tf,
        duration_days=30,
        reason="Operación en curso; sustitución del mando en trámite.",
    )
    assert _approve(lc, request, "US-DOJ", "US-DHS") == "pending"
    assert _state(lc, tf)[0] is TaskForceStatus.SUSPENDED  # DOJ and DHS alone: no effect
    assert _approve(lc, request, "US-DOS") == "approved"
    assert _state(lc, tf)[:2] == (TaskForceStatus.ACTIVE, False)
    lc.clock.advance(29)
    compliance.check_all(lc.ctx.uow(), operator)
    assert _state(lc, tf)[0] is TaskForceStatus.ACTIVE
    lc.clock.advance(2)  # the override ends; the roster is still non-compliant
    summary = compliance.check_all(lc.ctx.uow(), operator)
    assert summary["overrides_expired"] == 1
    assert _state(lc, tf) == (TaskForceStatus.SUSPENDED, True, {(senior, "failed_evaluation")})
    view = overrides.get_override(lc.ctx.uow(), lc.commissioners["US-DOS"], request)
    assert view.status == "expired" and view.approved_by == ("US-DHS", "US-DOJ", "US-DOS")
    assert view.reason and view.reason.startswith("Operación")


def test_requester_cannot_vote_and_one_rejection_ends_it(lc: Lifecycle, operator: Actor) -> None:
    tf, *_ = _unit(lc)
    both = _dual_role_user(lc, operator)
    request = overrides.request_override(
        lc.ctx.uow(), both, task_force_id=tf, duration_days=10, reason="Cobertura temporal"
    )
    with pytest.raises(PermissionDenied, match="requester"):
        overrides.vote(lc.ctx.uow(), both, request, approve=True)
    mexican = lc.world.actor("MX", "commissioner")
    with pytest.raises(PermissionDenied, match="department"):
        overrides.vote(lc.ctx.uow(), mexican, request, approve=True)
    assert (
        overrides.vote(lc.ctx.uow(), lc.commissioners["US-DHS"], request, approve=False)
        == "rejected"
    )
    with pytest.raises(Conflict, match="rejected"):
        overrides.vote(lc.ctx.uow(), lc.commissioners["US-DOS"], request, approve=True)
    with lc.ctx.uow() as uow:
        votes = uow.session.scalars(
            select(AuditEvent.outcome).where(AuditEvent.action == "override.vote")
        ).all()
    assert sorted(votes) == ["denied", "denied", "success"]


def _dual_role_user(lc: Lifecycle, operator: Actor) -> Actor:
    from registry.services import accounts
    from registry.services.accounts import actor_by_username

    accounts.add_user(
        lc.ctx.uow(),
        operator,
        username="doj.liaison",
        agency_code="US-DOJ",
        roles=["vetting_officer", "commissioner"],
    )
    return actor_by_username(lc.ctx.uow(), "doj.liaison")


def test_pending_request_lapses_after_fourteen_days(lc: Lifecycle) -> None:
    tf, *_ = _unit(lc)
    request = overrides.request_override(
        lc.ctx.uow(), lc.mx, task_force_id=tf, duration_days=10, reason="Cobertura temporal"
    )
    lc.clock.advance(14)
    with pytest.raises(Conflict, match="lapsed"):
        overrides.vote(lc.ctx.uow(), lc.commissioners["US-DOJ"], request, approve=True)
    assert overrides.get_override(lc.ctx.uow(), lc.mx, request).status == "expired"


def test_member_waiver_allows_the_assignment(lc: Lifecycle, operator: Actor) -> None:
    tf, *_ = _unit(lc)
    newcomer = lc.official(n=0, given_names="Rosa")
    request = overrides.request_override(
        lc.ctx.uow(),
        lc.mx,
        task_force_id=tf,
        official_id=newcomer,
        duration_days=20,
        reason="Enlace técnico; evaluación agendada",
    )
    with pytest.raises(ValidationFailed):
        taskforces.add_member(lc.ctx.uow(), lc.mx, tf, newcomer, role="liaison")
    overrides.set_departments(lc.ctx.uow(), operator, ["US-DOJ", "US-DHS", "US-DOS", "MX-SSPC"])
    _approve(lc, request, "US-DOJ", "US-DHS", "US-DOS")  # the request kept its own departments
    taskforces.add_member(lc.ctx.uow(), lc.mx, tf, newcomer, role="liaison")
    assert _state(lc, tf)[0] is TaskForceStatus.ACTIVE
    lc.clock.advance(21)
    compliance.check_all(lc.ctx.uow(), operator)
    assert _state(lc, tf) == (TaskForceStatus.SUSPENDED, True, {(newcomer, "no_pass")})


def test_override_request_is_checked(lc: Lifecycle) -> None:
    tf, *_ = _unit(lc)
    with pytest.raises(ValidationFailed) as caught:
        overrides.request_override(
            lc.ctx.uow(), lc.mx, task_force_id=tf, duration_days=0, reason=" "
        )
    assert {p.field for p in caught.value.problems} == {"reason", "duration_days"}
    with pytest.raises(PermissionDenied):
        overrides.request_override(
            lc.ctx.uow(), lc.commissioners["US-DOS"], task_force_id=tf, duration_days=5, reason="x"
        )
