"""Translated names for the domain's closed vocabularies (stored in English by value)."""

from __future__ import annotations

from enum import Enum
from typing import Any

from flask_babel import lazy_gettext as _l

from registry.models.enums import (
    ComponentResult,
    EntryReason,
    EntryStatus,
    EvaluationComponent,
    EvaluationType,
    HandlingCode,
    InformationReliability,
    Outcome,
    RedressKind,
    RedressStatus,
    Sex,
    SourceReliability,
    TaskForceStatus,
)
from registry.models.screening import ConfirmationStatus

LABELS: dict[Enum, Any] = {
    EvaluationType.RECRUITMENT: _l("Recruitment"),
    EvaluationType.RECERTIFICATION: _l("Recertification"),
    EvaluationType.PROMOTION: _l("Promotion"),
    EvaluationType.RANDOM: _l("Random re-vetting"),
    EvaluationType.FOR_CAUSE: _l("For cause"),
    EvaluationComponent.POLYGRAPH: _l("Polygraph"),
    EvaluationComponent.BACKGROUND: _l("Background and socio-economic"),
    EvaluationComponent.PSYCHOLOGICAL: _l("Psychological"),
    EvaluationComponent.TOXICOLOGICAL: _l("Toxicological"),
    EvaluationComponent.MEDICAL: _l("Medical"),
    Outcome.PASS: _l("Pass"),
    Outcome.FAIL: _l("Fail"),
    Outcome.REFUSED: _l("Refused"),
    Outcome.INCONCLUSIVE: _l("Inconclusive"),
    ComponentResult.PASS: _l("Pass"),
    ComponentResult.FAIL: _l("Fail"),
    ComponentResult.REFUSED: _l("Refused"),
    ComponentResult.NOT_APPLICABLE: _l("Not applicable"),
    EntryReason.FAILED_VETTING: _l("Failed vetting"),
    EntryReason.REFUSED_VETTING: _l("Refused vetting"),
    EntryReason.EXPELLED_CORRUPTION: _l("Expelled for corruption"),
    EntryReason.DISMISSED_MISCONDUCT: _l("Dismissed for misconduct"),
    EntryReason.RESIGNED_UNDER_INVESTIGATION: _l("Resigned under investigation"),
    EntryStatus.ACTIVE: _l("Active"),
    EntryStatus.UNDER_APPEAL: _l("Under appeal"),
    EntryStatus.OVERTURNED: _l("Overturned"),
    EntryStatus.EXPIRED: _l("Expired"),
    HandlingCode.H0: _l("H0 — any vetted partner agency"),
    HandlingCode.H1: _l("H1 — partners, no judicial use without consent"),
    HandlingCode.H2: _l("H2 — originator's consent before onward sharing"),
    HandlingCode.H3: _l("H3 — hit/no-hit only"),
    SourceReliability.A: _l("A — reliable"),
    SourceReliability.B: _l("B — usually reliable"),
    SourceReliability.C: _l("C — fairly reliable"),
    SourceReliability.X: _l("X — cannot be judged"),
    InformationReliability.CONFIRMED: _l("1 — confirmed"),
    InformationReliability.KNOWN_TO_SOURCE: _l("2 — known personally to the source"),
    InformationReliability.NOT_KNOWN_TO_SOURCE: _l("3 — not known personally to the source"),
    InformationReliability.CANNOT_BE_ASSESSED: _l("4 — cannot be assessed"),
    RedressKind.ACCESS: _l("Access request"),
    RedressKind.RECTIFICATION: _l("Rectification request"),
    RedressKind.CANCELLATION: _l("Cancellation request"),
    RedressKind.OPPOSITION: _l("Opposition request"),
    RedressKind.APPEAL: _l("Appeal"),
    RedressStatus.PENDING: _l("Pending"),
    RedressStatus.GRANTED: _l("Granted"),
    RedressStatus.DENIED: _l("Denied"),
    ConfirmationStatus.PENDING: _l("Pending"),
    ConfirmationStatus.CONFIRMED: _l("Confirmed"),
    ConfirmationStatus.DENIED: _l("Denied"),
    Sex.MALE: _l("Male"),
    Sex.FEMALE: _l("Female"),
    Sex.NON_BINARY: _l("Non-binary"),
    TaskForceStatus.ACTIVE: _l("Active"),
    TaskForceStatus.SUSPENDED: _l("Suspended"),
    TaskForceStatus.DISBANDED: _l("Disbanded"),
}


def label(value: Enum | str | None) -> str:
    """The translated name of an enum member (its value when none is defined)."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        found = LABELS.get(value)
        return str(found) if found is not None else str(value.value)
    found = _BY_VALUE.get(value)
    return str(found) if found is not None else value


def sex_label(value: str | None) -> str:
    return label(Sex(value)) if value in {s.value for s in Sex} else (value or "")


def options(enum_cls: type[Enum]) -> list[tuple[str, str]]:
    """(value, translated label) pairs for a select or a set of radio buttons."""
    return [(str(member.value), label(member)) for member in enum_cls]


# Plain stored values (component results in JSON, for instance); sex codes clash, so they
# have their own `sex_label`.
_BY_VALUE: dict[str, Any] = {}
for _member, _text in LABELS.items():
    if not isinstance(_member, Sex):
        _BY_VALUE.setdefault(str(_member.value), _text)


# Closed vocabularies stored as plain strings (lifecycle and audit), by vocabulary, since
# one word can mean different things in two of them ("failed" evaluation, "failed" action).
TERMS: dict[str, dict[str, Any]] = {
    "override_status": {
        "pending": _l("Pending"),
        "approved": _l("Approved"),
        "rejected": _l("Rejected"),
        "expired": _l("Lapsed"),
    },
    "draw_status": {
        "committing": _l("Awaiting commitments"),
        "revealing": _l("Awaiting reveals"),
        "drawn": _l("Drawn"),
    },
    "due_state": {
        "overdue": _l("Overdue"),
        "due": _l("Due"),
        "unvetted": _l("Never vetted"),
        "failed": _l("Failed vetting"),
        "refused": _l("Refused vetting"),
    },
    "rule": {
        "listed": _l("Listed in the registry"),
        "failed_evaluation": _l("Failed the latest evaluation"),
        "refused_evaluation": _l("Refused the latest evaluation"),
        "no_pass": _l("Never passed a vetting evaluation"),
        "pass_expired": _l("Pass expired"),
    },
    "audit_outcome": {
        "success": _l("Success"),
        "denied": _l("Denied"),
        "failed": _l("Failed"),
    },
    "match_level": {
        "exact": _l("Exact"),
        "probable": _l("Probable"),
        "possible": _l("Possible"),
    },
}


def term(vocabulary: str, value: object) -> str:
    """The translated name of a stored code of one vocabulary (the code itself when unknown)."""
    if value is None:
        return ""
    code = str(getattr(value, "value", value))
    found = TERMS.get(vocabulary, {}).get(code)
    return str(found) if found is not None else code
