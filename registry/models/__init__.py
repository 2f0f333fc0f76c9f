"""SQLAlchemy models: data and invariants only (no sessions, crypto or workflows)."""

from registry.models.accounts import Agency, ApiToken, User, UserRole
from registry.models.audit import AuditEvent
from registry.models.audit_log import AuditCheckpoint, AuditCosignature
from registry.models.base import Base
from registry.models.entries import RedressRequest, RegistryEntry
from registry.models.keys import DataKey, KeySecret, OfficialIndex
from registry.models.lifecycle import (
    AgencyMailbox,
    LifecycleSetting,
    Notification,
    OverrideRequest,
    OverrideVote,
    RecertPolicy,
    RecertSchedule,
    RevetContribution,
    RevetDraw,
    RevetRosterEntry,
    RevetSelection,
    Suspension,
    SuspensionReason,
)
from registry.models.lifecycle_keys import KeyRotation, LegalHold, RetentionRule
from registry.models.people import Employment, Official
from registry.models.screening import (
    ConfirmationRequest,
    Screening,
    ScreeningHit,
)
from registry.models.taskforces import Membership, TaskForce
from registry.models.vetting import Evaluation
from registry.models.web import UserCredential, WebSession

metadata = Base.metadata

__all__ = [
    "Agency",
    "AgencyMailbox",
    "ApiToken",
    "AuditCheckpoint",
    "AuditCosignature",
    "AuditEvent",
    "Base",
    "ConfirmationRequest",
    "DataKey",
    "Employment",
    "Evaluation",
    "KeyRotation",
    "KeySecret",
    "LegalHold",
    "LifecycleSetting",
    "Membership",
    "Notification",
    "Official",
    "OfficialIndex",
    "OverrideRequest",
    "OverrideVote",
    "RecertPolicy",
    "RecertSchedule",
    "RedressRequest",
    "RegistryEntry",
    "RetentionRule",
    "RevetContribution",
    "RevetDraw",
    "RevetRosterEntry",
    "RevetSelection",
    "Screening",
    "ScreeningHit",
    "Suspension",
    "SuspensionReason",
    "TaskForce",
    "User",
    "UserCredential",
    "UserRole",
    "WebSession",
    "metadata",
]
