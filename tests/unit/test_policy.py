"""Policy table: every role × permission × own country / other country / joint member."""

from __future__ import annotations

import uuid

import pytest

from registry.models.enums import Country
from registry.policy import Actor, Permission, Role, Target, can

P = Permission
ALL, OWN, OWN_OR_JOINT, AGENCY = "all", "own", "own_or_joint", "agency"
OFF = Role.VETTING_OFFICER
S = Role.SCREENER

# Who holds each permission, and over which records. Written out, not derived from the code.
EXPECTED: dict[Permission, dict[Role, str]] = {
    P.OFFICIAL_REGISTER: {OFF: ALL},
    P.OFFICIAL_READ: {OFF: OWN_OR_JOINT},
    P.OFFICIAL_UPDATE: {OFF: OWN_OR_JOINT},
    P.EVALUATION_RECORD: {OFF: OWN_OR_JOINT},
    P.ENTRY_CREATE: {OFF: OWN_OR_JOINT},
    P.ENTRY_READ: {OFF: OWN_OR_JOINT, S: OWN},
    P.ENTRY_IMPORT: {OFF: ALL},
    P.REDRESS_FILE: {OFF: OWN_OR_JOINT},
    P.REDRESS_DECIDE: {OFF: OWN_OR_JOINT},
    P.TASKFORCE_MANAGE: {OFF: OWN_OR_JOINT},
    P.TASKFORCE_READ: {OFF: ALL, Role.COMMISSIONER: ALL},
    P.SCREEN: {OFF: ALL, S: ALL},
    P.CONFIRMATION_ANSWER: {OFF: AGENCY},
    P.AUDIT_READ: {Role.AUDITOR: ALL},
    P.AUDIT_EXPORT: {Role.AUDITOR: ALL},
    P.OVERRIDE_VOTE: {Role.COMMISSIONER: ALL},
    P.AGENCY_MANAGE: {Role.ADMIN: ALL},
    P.USER_MANAGE: {Role.ADMIN: ALL},
    P.ROLE_GRANT: {Role.ADMIN: ALL},
    P.TOKEN_MANAGE_OWN: dict.fromkeys(Role, ALL),
    P.TOKEN_MANAGE_ANY: {Role.ADMIN: ALL},
    P.KEY_MANAGE: {Role.ADMIN: ALL},
    P.AUDIT_CHECKPOINT: {Role.ADMIN: ALL},
    P.RETENTION_RUN: {Role.ADMIN: ALL},
    P.LEGAL_HOLD: {OFF: OWN_OR_JOINT},
    P.RECERT_POLICY_MANAGE: {Role.ADMIN: ALL},
    P.SCHEDULE_READ: {OFF: ALL},
    P.REVET_DRAW: {OFF: ALL},
    P.OVERRIDE_REQUEST: {OFF: ALL},
}
SCENARIOS = ("own", "other", "other_joint")
MY_AGENCY, OTHER_AGENCY = uuid.uuid4(), uuid.uuid4()


def _actor(role: Role) -> Actor:
    return Actor(uuid.uuid4(), "someone", MY_AGENCY, "MX-GN", Country.MX, frozenset({role}))


def _target(scenario: str, permission: Permission) -> Target:
    country = Country.MX if scenario == "own" else Country.US
    agency = MY_AGENCY if scenario == "own" else OTHER_AGENCY
    return Target(
        country=country,
        joint_taskforce=scenario == "other_joint",
        agency_id=agency,
        user_id=uuid.uuid4(),
    )


def _expected(rule: str | None, scenario: str) -> bool:
    if rule is None:
        return False
    return {
        ALL: True,
        OWN: scenario == "own",
        OWN_OR_JOINT: scenario in ("own", "other_joint"),
        AGENCY: scenario == "own",
    }[rule]


def test_table_names_every_permission() -> None:
    assert set(EXPECTED) == set(Permission)


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("permission", list(Permission))
@pytest.mark.parametrize("role", list(Role))
def test_policy_table(role: Role, permission: Permission, scenario: str) -> None:
    expected = _expected(EXPECTED[permission].get(role), scenario)
    assert can(_actor(role), permission, _target(scenario, permission)) is expected


def test_admin_cannot_grant_herself_a_role() -> None:
    admin = _actor(Role.ADMIN)
    assert can(admin, P.ROLE_GRANT, Target(user_id=uuid.uuid4()))
    assert not can(admin, P.ROLE_GRANT, Target(user_id=admin.user_id))


def test_admin_cannot_read_records_or_screen() -> None:
    admin = _actor(Role.ADMIN)
    for permission in (P.OFFICIAL_READ, P.ENTRY_READ, P.SCREEN, P.AUDIT_READ):
        assert not can(admin, permission, Target(country=Country.MX))


def test_roles_combine() -> None:
    both = Actor(
        uuid.uuid4(), "x", MY_AGENCY, "MX-GN", Country.MX, frozenset({Role.SCREENER, Role.AUDITOR})
    )
    assert can(both, P.SCREEN) and can(both, P.AUDIT_READ) and not can(both, P.OFFICIAL_READ)
