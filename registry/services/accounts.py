"""User accounts, roles and API tokens (administrators; users for their own tokens)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from registry.crypto.passwords import hash_password, new_token, token_digest
from registry.errors import AuthenticationFailed, Conflict, NotFound, ValidationFailed
from registry.models import ApiToken, User, UserRole
from registry.models.base import new_id
from registry.policy import NO_TARGET, Actor, Permission, Role, Target
from registry.services.common import actor_for, agency_by_code, parse_id
from registry.services.validation import Problems
from registry.uow import UnitOfWork

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD_LENGTH = 12
MAX_TOKEN_DAYS = 365


@dataclass(frozen=True)
class UserView:
    id: uuid.UUID
    username: str
    agency_code: str
    country: str
    roles: tuple[str, ...]
    disabled: bool
    locked: bool
    last_login_at: dt.datetime | None


@dataclass(frozen=True)
class TokenView:
    id: uuid.UUID
    username: str
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked: bool


def _user_view(user: User) -> UserView:
    return UserView(
        user.id,
        user.username,
        user.agency.code,
        user.agency.country.value,
        tuple(sorted(user.role_names)),
        user.disabled_at is not None,
        user.locked_at is not None,
        user.last_login_at,
    )


def _parse_roles(problems: Problems, roles: Iterable[str]) -> list[Role]:
    parsed = []
    for raw in roles:
        role = problems.choice("roles", raw, Role)
        if role:
            parsed.append(role)
    if not parsed and not problems:
        problems.add("roles", "at least one role is required")
    return parsed


def check_password_rules(problems: Problems, password: str | None, field: str = "password") -> None:
    """At least 12 characters, and neither a known common password nor an easy guess."""
    if password is not None:
        from registry.services.auth import check_password_strength

        check_password_strength(problems, password, field=field)


def user_by_name(uow: UnitOfWork, username: str) -> User:
    user = uow.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"user {username!r} does not exist")
    return user


def add_user(
    uow: UnitOfWork,
    actor: Actor,
    *,
    username: str,
    agency_code: str,
    roles: Iterable[str],
    password: str | None = None,
) -> uuid.UUID:
    """Create an account; an administrator cannot create one that she would then be."""
    with uow:
        uow.require(actor, Permission.USER_MANAGE, NO_TARGET, action="user.add")
        problems = Problems()
        name = (username or "").strip().lower()
        if not _USERNAME.match(name):
            problems.add("username", "3-64 characters: lower-case letters, digits, '.', '_' or '-'")
        agency = agency_by_code(uow, agency_code or "")
        if agency is None:
            problems.add("agency", f"agency {agency_code!r} does not exist")
        parsed_roles = _parse_roles(problems, roles)
        check_password_rules(problems, password)
        if _USERNAME.match(name) and uow.session.scalar(
            select(User.id).where(User.username == name)
        ):
            raise Conflict(f"user {name!r} already exists")
        problems.check()
        assert agency is not None
        user = User(
            id=new_id(),
            username=name,
            agency_id=agency.id,
            password_hash=hash_password(password) if password else None,
            version=1,
        )
        user.roles = [UserRole(role=r.value, granted_by=actor.user_id) for r in parsed_roles]
        uow.session.add(user)
        uow.audit.append(
            actor,
            "user.add",
            object_type="user",
            object_id=user.id,
            details={"agency": agency.code, "roles": sorted(r.value for r in parsed_roles)},
        )
        uow.commit()
        return user.id


def list_users(uow: UnitOfWork, actor: Actor, agency_code: str | None = None) -> list[UserView]:
    with uow:
        uow.require(actor, Permission.USER_MANAGE, NO_TARGET, action="user.list")
        query = select(User).order_by(User.username)
        if agency_code:
            agency = agency_by_code(uow, agency_code)
            if agency is None:
                raise ValidationFailed.single("agency", f"agency {agency_code!r} does not exist")
            query = query.where(User.agency_id == agency.id)
        return [_user_view(u) for u in uow.session.scalars(query)]


def set_user_disabled(uow: UnitOfWork, actor: Actor, username: str, disabled: bool) -> None:
    """Disable (or re-enable) an account; its tokens stop working while disabled."""
    action = "user.disable" if disabled else "user.enable"
    with uow:
        user = user_by_name(uow, username)
        uow.require(
            actor,
            Permission.USER_MANAGE,
            Target(user_id=user.id),
            action=action,
            object_type="user",
            object_id=user.id,
        )
        if disabled and user.id == actor.user_id:
            raise ValidationFailed.single("username", "you cannot disable your own account")
        user.disabled_at = uow.clock() if disabled else None
        user.version += 1
        uow.audit.append(actor, action, object_type="user", object_id=user.id)
        uow.commit()


def change_roles(
    uow: UnitOfWork,
    actor: Actor,
    username: str,
    *,
    grant: Iterable[str] = (),
    revoke: Iterable[str] = (),
) -> tuple[str, ...]:
    """Grant or revoke roles; nobody may change her own roles."""
    with uow:
        user = user_by_name(uow, username)
        uow.require(
            actor,
            Permission.ROLE_GRANT,
            Target(user_id=user.id),
            action="user.roles",
            object_type="user",
            object_id=user.id,
        )
        problems = Problems()
        to_grant = [problems.choice("grant", r, Role) for r in grant]
        to_revoke = [problems.choice("revoke", r, Role) for r in revoke]
        problems.check()
        current = {r.role: r for r in user.roles}
        for role in to_revoke:
            if role and role.value in current:
                user.roles.remove(current.pop(role.value))
        for role in to_grant:
            if role and role.value not in current:
                current[role.value] = UserRole(role=role.value, granted_by=actor.user_id)
                user.roles.append(current[role.value])
        if not current:
            raise ValidationFailed.single("roles", "a user must keep at least one role")
        user.version += 1
        uow.audit.append(
            actor,
            "user.roles",
            object_type="user",
            object_id=user.id,
            details={
                "granted": sorted(r.value for r in to_grant if r),
                "revoked": sorted(r.value for r in to_revoke if r),
            },
        )
        uow.commit()
        return tuple(sorted(current))


def create_token(
    uow: UnitOfWork, actor: Actor, *, name: str, days: int = 90, username: str | None = None
) -> tuple[uuid.UUID, str]:
    """Issue an API token; returns its id and the secret, which is never shown again."""
    with uow:
        owner = user_by_name(uow, username) if username else None
        owner_id = owner.id if owner else actor.user_id
        own = owner_id == actor.user_id
        permission = Permission.TOKEN_MANAGE_OWN if own else Permission.TOKEN_MANAGE_ANY
        uow.require(
            actor,
            permission,
            NO_TARGET,
            action="token.create",
            object_type="user",
            object_id=owner_id,
        )
        problems = Problems()
        label = problems.text("name", name, max_length=100)
        if not 1 <= days <= MAX_TOKEN_DAYS:
            problems.add("days", f"must be between 1 and {MAX_TOKEN_DAYS}")
        if owner_id is None:
            problems.add("user", "name the user the token is for")
        problems.check()
        assert label and owner_id
        secret, prefix, digest = new_token()
        token = ApiToken(
            id=new_id(),
            user_id=owner_id,
            name=label,
            prefix=prefix,
            token_hash=digest,
            expires_at=uow.clock() + dt.timedelta(days=days),
        )
        uow.session.add(token)
        uow.audit.append(
            actor,
            "token.create",
            object_type="token",
            object_id=token.id,
            details={"user": str(owner_id), "days": days},
        )
        uow.commit()
        return token.id, secret


def list_tokens(uow: UnitOfWork, actor: Actor, username: str | None = None) -> list[TokenView]:
    with uow:
        query = select(ApiToken).join(User).order_by(ApiToken.created_at)
        if username or not actor.user_id:
            uow.require(actor, Permission.TOKEN_MANAGE_ANY, NO_TARGET, action="token.list")
            if username:
                query = query.where(User.username == username.strip().lower())
        else:
            uow.require(actor, Permission.TOKEN_MANAGE_OWN, NO_TARGET, action="token.list")
            query = query.where(ApiToken.user_id == actor.user_id)
        return [
            TokenView(
                t.id,
                t.user.username,
                t.name,
                t.prefix,
                t.created_at,
                t.expires_at,
                t.revoked_at is not None,
            )
            for t in uow.session.scalars(query)
        ]


def revoke_token(uow: UnitOfWork, actor: Actor, token_id: uuid.UUID | str) -> None:
    with uow:
        token = uow.session.get(ApiToken, parse_id(token_id, "token"))
        if token is None:
            raise NotFound(f"token {token_id} does not exist")
        own = token.user_id == actor.user_id
        permission = Permission.TOKEN_MANAGE_OWN if own else Permission.TOKEN_MANAGE_ANY
        uow.require(
            actor,
            permission,
            NO_TARGET,
            action="token.revoke",
            object_type="token",
            object_id=token.id,
        )
        if token.revoked_at is None:
            token.revoked_at = uow.clock()
        uow.audit.append(actor, "token.revoke", object_type="token", object_id=token.id)
        uow.commit()


def authenticate_token(uow: UnitOfWork, secret: str) -> Actor:
    """The actor behind a bearer token; expired, revoked or disabled accounts are refused."""
    with uow:
        token = uow.session.scalar(
            select(ApiToken).where(ApiToken.token_hash == token_digest(secret))
        )
        now = uow.clock()
        if token is None or token.revoked_at is not None or token.expires_at <= now:
            raise AuthenticationFailed("the API token is unknown, expired or revoked")
        user = token.user
        if user.disabled_at is not None or user.locked_at is not None:
            raise AuthenticationFailed("the account behind this token is disabled or locked")
        return actor_for(user)


def actor_by_username(uow: UnitOfWork, username: str) -> Actor:
    """The actor for a named, enabled account (CLI `--as`)."""
    with uow:
        user = user_by_name(uow, username)
        if user.disabled_at is not None:
            raise AuthenticationFailed(f"user {username!r} is disabled")
        return actor_for(user)
