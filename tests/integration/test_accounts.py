"""Accounts, roles and tokens: an administrator manages accounts but never herself."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.context import RegistryContext
from registry.errors import AuthenticationFailed, PermissionDenied, ValidationFailed
from registry.policy import Role
from registry.services import accounts
from registry.services.accounts import authenticate_token, change_roles, create_token
from tests.factories import World


def test_admin_cannot_grant_herself_a_role(ctx: RegistryContext, world: World) -> None:
    admin = world.actor("MX", "admin")
    with pytest.raises(PermissionDenied):
        change_roles(ctx.uow(), admin, admin.username, grant=["auditor"])
    assert change_roles(ctx.uow(), admin, "mx.screener", grant=["auditor"]) == (
        "auditor",
        "screener",
    )


def test_non_admin_cannot_manage_users(ctx: RegistryContext, world: World) -> None:
    with pytest.raises(PermissionDenied):
        accounts.add_user(
            ctx.uow(), world.mx_officer, username="eve", agency_code="MX-GN", roles=["admin"]
        )


def test_token_shown_once_expires_and_revokes(ctx: RegistryContext, world: World) -> None:
    screener = world.actor("US", "screener")
    token_id, secret = create_token(ctx.uow(), screener, name="laptop", days=1)
    assert authenticate_token(ctx.uow(), secret).user_id == screener.user_id
    later = ctx.clock() + dt.timedelta(days=2)
    expired = type(ctx)(
        ctx.settings, ctx.engine, ctx.session_factory, ctx.provider, ctx.keyring, lambda: later
    )
    with pytest.raises(AuthenticationFailed):
        authenticate_token(expired.uow(), secret)
    accounts.revoke_token(ctx.uow(), screener, token_id)
    with pytest.raises(AuthenticationFailed):
        authenticate_token(ctx.uow(), secret)
    assert all(secret not in repr(t) for t in accounts.list_tokens(ctx.uow(), screener))


def test_disabled_user_tokens_stop_working(ctx: RegistryContext, world: World) -> None:
    screener = world.actor("MX", "screener")
    _, secret = create_token(ctx.uow(), screener, name="cli")
    accounts.set_user_disabled(ctx.uow(), world.actor("MX", "admin"), screener.username, True)
    with pytest.raises(AuthenticationFailed):
        authenticate_token(ctx.uow(), secret)


def test_roles_must_be_known(ctx: RegistryContext, world: World) -> None:
    with pytest.raises(ValidationFailed, match="roles: must be one of"):
        accounts.add_user(
            ctx.uow(),
            world.actor("MX", "admin"),
            username="zed",
            agency_code="MX-GN",
            roles=["superuser"],
        )
    assert Role.ADMIN.value == "admin"
