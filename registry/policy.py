"""Who may do what: one permission vocabulary, a role map and one pure `can()`.

Services ask `can()` before acting; the web layer only uses it to hide buttons.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from registry.models.enums import Country


class Role(StrEnum):
    VETTING_OFFICER = "vetting_officer"
    SCREENER = "screener"
    AUDITOR = "auditor"
    COMMISSIONER = "commissioner"
    ADMIN = "admin"


class Permission(StrEnum):
    OFFICIAL_REGISTER = "official.register"
    OFFICIAL_READ = "official.read"
    OFFICIAL_UPDATE = "official.update"
    EVALUATION_RECORD = "evaluation.record"
    ENTRY_CREATE = "entry.create"
    ENTRY_READ = "entry.read"
    ENTRY_IMPORT = "entry.import"
    REDRESS_FILE = "redress.file"
    REDRESS_DECIDE = "redress.decide"
    TASKFORCE_MANAGE = "taskforce.manage"
    TASKFORCE_READ = "taskforce.read"
    SCREEN = "screen"
    CONFIRMATION_ANSWER = "confirmation.answer"
    AUDIT_READ = "audit.read"
    AUDIT_EXPORT = "audit.export"
    OVERRIDE_VOTE = "override.vote"
    AGENCY_MANAGE = "agency.manage"
    USER_MANAGE = "user.manage"
    ROLE_GRANT = "role.grant"
    TOKEN_MANAGE_OWN = "token.manage_own"
    TOKEN_MANAGE_ANY = "token.manage_any"
    KEY_MANAGE = "key.manage"
    AUDIT_CHECKPOINT = "audit.checkpoint"
    RETENTION_RUN = "retention.run"
    LEGAL_HOLD = "entry.legal_hold"
    RECERT_POLICY_MANAGE = "recert.policy_manage"
    SCHEDULE_READ = "schedule.read"
    REVET_DRAW = "revet.draw"
    OVERRIDE_REQUEST = "override.request"


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VETTING_OFFICER: frozenset(
        {
            P.OFFICIAL_REGISTER,
            P.OFFICIAL_READ,
            P.OFFICIAL_UPDATE,
            P.EVALUATION_RECORD,
            P.ENTRY_CREATE,
            P.ENTRY_READ,
            P.ENTRY_IMPORT,
            P.REDRESS_FILE,
            P.REDRESS_DECIDE,
            P.TASKFORCE_MANAGE,
            P.TASKFORCE_READ,
            P.SCREEN,
            P.CONFIRMATION_ANSWER,
            P.TOKEN_MANAGE_OWN,
            P.LEGAL_HOLD,
            P.SCHEDULE_READ,
            P.REVET_DRAW,
            P.OVERRIDE_REQUEST,
        }
    ),
    Role.SCREENER: frozenset({P.SCREEN, P.ENTRY_READ, P.TOKEN_MANAGE_OWN}),
    Role.AUDITOR: frozenset({P.AUDIT_READ, P.AUDIT_EXPORT, P.TOKEN_MANAGE_OWN}),
    Role.COMMISSIONER: frozenset({P.OVERRIDE_VOTE, P.TASKFORCE_READ, P.TOKEN_MANAGE_OWN}),
    Role.ADMIN: frozenset(
        {
            P.AGENCY_MANAGE,
            P.USER_MANAGE,
            P.ROLE_GRANT,
            P.TOKEN_MANAGE_OWN,
            P.TOKEN_MANAGE_ANY,
            P.KEY_MANAGE,
            P.AUDIT_CHECKPOINT,
            P.RETENTION_RUN,
            P.RECERT_POLICY_MANAGE,
        }
    ),
}

# Permissions on a person's record: limited to the record's country, or to members of
# joint task forces (reciprocal vetting) for the officer's record work.
RECORD_SCOPED = frozenset(
    {
        P.OFFICIAL_READ,
        P.OFFICIAL_UPDATE,
        P.EVALUATION_RECORD,
        P.ENTRY_CREATE,
        P.ENTRY_READ,
        P.REDRESS_FILE,
        P.REDRESS_DECIDE,
        P.TASKFORCE_MANAGE,
        P.LEGAL_HOLD,
    }
)
# Opening an entry's detail from a screening hit: same country only (others ask the originator).
SAME_COUNTRY_ONLY_FOR_SCREENERS = frozenset({P.ENTRY_READ})
# Answering a hit-confirmation request: the originating agency only.
AGENCY_SCOPED = frozenset({P.CONFIRMATION_ANSWER})
# Acting on oneself is refused for these (an admin cannot grant herself a role).
NOT_ON_SELF = frozenset({P.ROLE_GRANT})


@dataclass(frozen=True)
class Actor:
    """The acting user, as every service call receives it."""

    user_id: uuid.UUID | None
    username: str
    agency_id: uuid.UUID | None
    agency_code: str | None
    country: Country | None
    roles: frozenset[Role] = field(default_factory=frozenset)
    system: bool = False

    @classmethod
    def system_operator(cls, name: str = "operator") -> Actor:
        """The local operator running administrative CLI commands on the server."""
        return cls(None, f"system:{name}", None, None, None, frozenset({Role.ADMIN}), True)

    def has_role(self, role: Role) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class Target:
    """What a permission is checked against; empty for actions on no particular record."""

    country: Country | None = None
    joint_taskforce: bool = False
    agency_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None


NO_TARGET = Target()


def permissions_of(actor: Actor) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in actor.roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def can(actor: Actor, permission: Permission, target: Target = NO_TARGET) -> bool:
    """Whether `actor` may exercise `permission` on `target`. Pure: no I/O."""
    if permission not in permissions_of(actor):
        return False
    if permission in NOT_ON_SELF and target.user_id is not None and target.user_id == actor.user_id:
        return False
    if permission in AGENCY_SCOPED:
        return target.agency_id is not None and target.agency_id == actor.agency_id
    if permission in RECORD_SCOPED and target.country is not None:
        same_country = actor.country == target.country
        if permission in SAME_COUNTRY_ONLY_FOR_SCREENERS and not actor.has_role(
            Role.VETTING_OFFICER
        ):
            return same_country
        return same_country or target.joint_taskforce
    return True
