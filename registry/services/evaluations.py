"""Recording vetting evaluations (control de confianza) and their outcomes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from registry.models import Evaluation
from registry.models.base import new_id
from registry.models.enums import ComponentResult, EvaluationComponent, EvaluationType, Outcome
from registry.policy import Actor, Permission
from registry.services import compliance
from registry.services.common import agency_by_code, load_official, official_target
from registry.services.validation import Problems
from registry.uow import UnitOfWork


@dataclass(frozen=True)
class EvaluationInput:
    official_id: uuid.UUID | str
    type: str
    outcome: str
    evaluated_on: str | dt.date | None
    components: Mapping[str, str] = field(default_factory=dict)
    valid_until: str | dt.date | None = None
    notes: str | None = None
    evaluating_agency: str | None = None


@dataclass(frozen=True)
class EvaluationView:
    id: uuid.UUID
    official_id: uuid.UUID
    type: EvaluationType
    outcome: Outcome
    components: dict[str, str]
    evaluated_on: dt.date
    valid_until: dt.date | None
    evaluating_agency: str
    version: int


def _check_components(
    problems: Problems, raw: Mapping[str, str], outcome: Outcome | None
) -> dict[str, str]:
    components: dict[str, str] = {}
    for name, result in raw.items():
        component = problems.choice("components", name, EvaluationComponent)
        value = problems.choice(f"components.{name}", result, ComponentResult)
        if component and value:
            components[component.value] = value.value
    assessed = [v for v in components.values() if v != ComponentResult.NOT_APPLICABLE.value]
    if not assessed and not problems:
        problems.add("components", "mark the result of at least one component")
    failed = [k for k, v in components.items() if v in ("fail", "refused")]
    if outcome is Outcome.PASS and failed:
        problems.add(
            "outcome",
            f"cannot be pass when a component failed or was refused ({', '.join(failed)})",
        )
    return components


def record_evaluation(uow: UnitOfWork, actor: Actor, data: EvaluationInput) -> uuid.UUID:
    """Record an evaluation; a pass's due date comes from the recertification policy.

    An explicit `valid_until` caps the policy's date.
    """
    with uow:
        official = load_official(uow, data.official_id)
        target = official_target(uow, official)
        uow.require(
            actor,
            Permission.EVALUATION_RECORD,
            target,
            action="evaluation.record",
            object_type="official",
            object_id=official.id,
        )
        problems = Problems()
        kind = problems.choice("type", data.type, EvaluationType)
        outcome = problems.choice("outcome", data.outcome, Outcome)
        evaluated_on = problems.date("evaluated_on", data.evaluated_on, not_after=uow.today())
        components = _check_components(problems, data.components, outcome)
        valid_until = problems.date("valid_until", data.valid_until, required=False)
        agency = agency_by_code(uow, data.evaluating_agency) if data.evaluating_agency else None
        if data.evaluating_agency and agency is None:
            problems.add("evaluating_agency", f"agency {data.evaluating_agency!r} does not exist")
        notes = problems.text("notes", data.notes, required=False, max_length=5000)
        if outcome is not Outcome.PASS and valid_until:
            problems.add("valid_until", "only a pass has a validity date")
        if evaluated_on and valid_until and valid_until <= evaluated_on:
            problems.add("valid_until", "must be after the evaluation date")
        problems.check()
        assert kind and outcome and evaluated_on
        evaluation = Evaluation(
            id=new_id(),
            version=1,
            official_id=official.id,
            evaluating_agency_id=agency.id if agency else actor.agency_id,
            type=kind,
            components=components,
            outcome=outcome,
            evaluated_on=evaluated_on,
            valid_until=valid_until,
            recorded_at=uow.clock(),
            recorded_by=actor.user_id,
        )
        uow.vault.seal(evaluation, {"notes": notes})
        uow.session.add(evaluation)
        uow.audit.append(
            actor,
            "evaluation.record",
            object_type="evaluation",
            object_id=evaluation.id,
            details={"official": str(official.id), "type": kind.value, "outcome": outcome.value},
        )
        # Next due date from the recertification policy; a fail or refusal suspends at once.
        compliance.after_evaluation(uow, actor, official.id)
        uow.commit()
        return evaluation.id


def list_evaluations(
    uow: UnitOfWork, actor: Actor, official_id: uuid.UUID | str
) -> list[EvaluationView]:
    """An official's evaluations (no notes: those need `get_evaluation_notes`)."""
    with uow:
        official = load_official(uow, official_id)
        uow.require(
            actor,
            Permission.OFFICIAL_READ,
            official_target(uow, official),
            action="evaluation.list",
            object_type="official",
            object_id=official.id,
        )
        rows = uow.session.scalars(
            select(Evaluation)
            .where(Evaluation.official_id == official.id)
            .order_by(Evaluation.evaluated_on.desc())
        )
        return [
            EvaluationView(
                e.id,
                e.official_id,
                e.type,
                e.outcome,
                dict(e.components),
                e.evaluated_on,
                e.valid_until,
                e.evaluating_agency.code,
                e.version,
            )
            for e in rows
        ]
