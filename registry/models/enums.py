"""Closed vocabularies of the domain, stored by value."""

from __future__ import annotations

from enum import StrEnum


class Country(StrEnum):
    MX = "MX"
    US = "US"


class Sector(StrEnum):
    POLICE = "police"
    MILITARY = "military"
    JUSTICE = "justice"
    PROSECUTION = "prosecution"
    INTELLIGENCE = "intelligence"
    CORRECTIONS = "corrections"
    MIGRATION = "migration"
    CUSTOMS = "customs"
    DEPARTMENT = "department"


class Level(StrEnum):
    FEDERAL = "federal"
    STATE = "state"
    MUNICIPAL = "municipal"


class Sex(StrEnum):
    MALE = "H"
    FEMALE = "M"
    NON_BINARY = "X"


class EvaluationType(StrEnum):
    RECRUITMENT = "recruitment"
    RECERTIFICATION = "recertification"
    PROMOTION = "promotion"
    RANDOM = "random"
    FOR_CAUSE = "for_cause"


class EvaluationComponent(StrEnum):
    POLYGRAPH = "polygraph"
    BACKGROUND = "background"
    PSYCHOLOGICAL = "psychological"
    TOXICOLOGICAL = "toxicological"
    MEDICAL = "medical"


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    REFUSED = "refused"
    INCONCLUSIVE = "inconclusive"


class ComponentResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    REFUSED = "refused"
    NOT_APPLICABLE = "not_applicable"


class EntryReason(StrEnum):
    FAILED_VETTING = "failed_vetting"
    REFUSED_VETTING = "refused_vetting"
    EXPELLED_CORRUPTION = "expelled_corruption"
    DISMISSED_MISCONDUCT = "dismissed_misconduct"
    RESIGNED_UNDER_INVESTIGATION = "resigned_under_investigation"


class EntryStatus(StrEnum):
    ACTIVE = "active"
    UNDER_APPEAL = "under_appeal"
    OVERTURNED = "overturned"
    EXPIRED = "expired"


class HandlingCode(StrEnum):
    """Originator's restriction on use and onward sharing (H0 least restrictive)."""

    H0 = "H0"  # may be shared with any vetted partner agency
    H1 = "H1"  # partner agencies, not for judicial use without consent
    H2 = "H2"  # originator's consent before any onward sharing
    H3 = "H3"  # hit/no-hit only; details stay with the originator


class SourceReliability(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    X = "X"


class InformationReliability(StrEnum):
    CONFIRMED = "1"
    KNOWN_TO_SOURCE = "2"
    NOT_KNOWN_TO_SOURCE = "3"
    CANNOT_BE_ASSESSED = "4"


class RedressKind(StrEnum):
    ACCESS = "access"
    RECTIFICATION = "rectification"
    CANCELLATION = "cancellation"
    OPPOSITION = "opposition"
    APPEAL = "appeal"


class RedressStatus(StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    DENIED = "denied"


class TaskForceStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DISBANDED = "disbanded"


class AuditOutcome(StrEnum):
    SUCCESS = "success"
    DENIED = "denied"
    FAILED = "failed"
