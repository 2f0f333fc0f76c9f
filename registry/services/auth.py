"""Signing in: password + TOTP, lockout, sessions, re-authentication (CJIS-style rules).

Every success, failure, lockout, unlock and sign-out is an audit event. The TOTP secret is
a credential: it is stored only as ciphertext under the record's own data key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from registry.crypto.passwords import hash_password, password_needs_rehash, verify_password
from registry.errors import AuthenticationFailed, ValidationFailed
from registry.models import User, UserCredential, WebSession
from registry.models.enums import AuditOutcome
from registry.policy import NO_TARGET, Actor, Permission, Target
from registry.services.accounts import MIN_PASSWORD_LENGTH, user_by_name
from registry.services.common import actor_for
from registry.services.validation import Problems
from registry.uow import UnitOfWork
from registry.vault import SealedRecord

LOCKOUT_THRESHOLD = 5
LOCKOUT_WINDOW = dt.timedelta(minutes=15)
INACTIVITY_LIMIT = dt.timedelta(days=90)
SESSION_LIFETIME = dt.timedelta(hours=12)
IDLE_LIMIT = dt.timedelta(minutes=30)
FRESH_AUTH = dt.timedelta(minutes=5)
MIN_PASSWORD_SCORE = 3
MAX_PASSWORD_LENGTH = 256
LOCALES = ("en", "es")
TOTP_ISSUER = "Vetting Registry"
_CODE = re.compile(r"^\d{6}$")
_WRONG = "the user name, password or code is wrong"
# Verifying against this keeps the time of a refusal the same whether or not the user exists.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


class AccountLocked(AuthenticationFailed):
    """Too many failed sign-ins: only an administrator can release the account."""

    code = "account_locked"


class AccountDisabled(AuthenticationFailed):
    """The account was disabled (by an administrator, or after 90 days without use)."""

    code = "account_disabled"


@dataclass(frozen=True)
class PasswordAccepted:
    """The first factor passed; the second is still due (or must be enrolled)."""

    user_id: uuid.UUID
    needs_enrolment: bool


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str

    def __repr__(self) -> str:
        return "<Enrolment>"


@dataclass(frozen=True)
class SessionInfo:
    """What the web layer knows about a signed-in browser."""

    session_id: uuid.UUID
    actor: Actor
    preferred_locale: str | None
    authenticated_at: dt.datetime
    reauthenticated_at: dt.datetime
    locked: bool


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.matching import RANKED_DICTIONARIES

    return frozenset(RANKED_DICTIONARIES["passwords"])


def check_password_strength(
    problems: Problems,
    password: str | None,
    *,
    field: str = "password",
    user_inputs: Iterable[str] = (),
) -> None:
    """At least 12 characters, not a known common password, not guessable (zxcvbn)."""
    from zxcvbn import zxcvbn

    if not password:
        problems.add(field, "is required")
        return
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.add(field, f"must be at least {MIN_PASSWORD_LENGTH} characters")
    elif len(password) > MAX_PASSWORD_LENGTH:
        problems.add(field, f"is longer than {MAX_PASSWORD_LENGTH} characters")
    elif password.lower() in _common_passwords():
        problems.add(field, "is a commonly used password")
    elif zxcvbn(password, user_inputs=list(user_inputs))["score"] < MIN_PASSWORD_SCORE:
        problems.add(field, "is too easy to guess")


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _credential(uow: UnitOfWork, user: User) -> UserCredential:
    cred = uow.session.scalar(select(UserCredential).where(UserCredential.user_id == user.id))
    if cred is None:
        cred = UserCredential(
            id=new_credential_id(),
            user_id=user.id,
            version=1,
            totp_last_step=0,
            created_at=uow.clock(),
        )
        uow.session.add(cred)
    return cred


def new_credential_id() -> uuid.UUID:
    from registry.models.base import new_id

    return new_id()


def _sealed(cred: UserCredential) -> SealedRecord:
    return cast("SealedRecord", cred)


def _touch_user(user: User) -> None:
    user.version += 1


def _record_failure(uow: UnitOfWork, user: User, reason: str) -> bool:
    """Count a failed attempt inside the 15-minute window; True when it locked the account."""
    now = uow.clock()
    cred = _credential(uow, user)
    if cred.failure_window_start is None or now - cred.failure_window_start > LOCKOUT_WINDOW:
        cred.failure_window_start, user.failed_logins = now, 0
    user.failed_logins += 1
    _touch_user(user)
    actor = actor_for(user)
    uow.audit.append(
        actor,
        "auth.login",
        object_type="user",
        object_id=user.id,
        outcome=AuditOutcome.FAILED,
        details={"reason": reason, "failures": user.failed_logins},
    )
    if user.failed_logins >= LOCKOUT_THRESHOLD and user.locked_at is None:
        user.locked_at = now
        uow.audit.append(
            actor,
            "auth.lockout",
            object_type="user",
            object_id=user.id,
            details={"failures": user.failed_logins},
        )
        return True
    return False


def _refuse_unusable(uow: UnitOfWork, user: User) -> None:
    """Refuse a locked or disabled account (and disable one unused for 90 days)."""
    now = uow.clock()
    last_used = user.last_login_at or user.created_at
    if user.disabled_at is None and now - last_used > INACTIVITY_LIMIT:
        user.disabled_at = now
        _touch_user(user)
        uow.audit.append(
            actor_for(user),
            "auth.inactive_disable",
            object_type="user",
            object_id=user.id,
            details={"days": INACTIVITY_LIMIT.days},
        )
    reason = "locked" if user.locked_at else "disabled" if user.disabled_at else None
    if reason is None:
        return
    uow.audit.append(
        actor_for(user),
        "auth.login",
        object_type="user",
        object_id=user.id,
        outcome=AuditOutcome.FAILED,
        details={"reason": reason},
    )
    uow.commit()
    if reason == "locked":
        raise AccountLocked(
            "this account is locked after repeated failed sign-ins; "
            "an administrator must release it"
        )
    raise AccountDisabled("this account is disabled; ask an administrator")


def check_password(
    uow: UnitOfWork, *, username: str, password: str, notice_acknowledged: bool
) -> PasswordAccepted:
    """First factor. A wrong password counts towards the lockout (5 in 15 minutes)."""
    problems = Problems()
    name = problems.text("username", username, max_length=64)
    if not password:
        problems.add("password", "is required")
    if not notice_acknowledged:
        problems.add("notice", "you must acknowledge the system-use notice")
    problems.check()
    assert name
    with uow:
        user = uow.session.scalar(select(User).where(User.username == name.lower()))
        if user is None:
            verify_password(_DUMMY_HASH, password)
            uow.audit.append(
                None, "auth.login", outcome=AuditOutcome.FAILED, details={"reason": "unknown_user"}
            )
            uow.commit()
            raise AuthenticationFailed(_WRONG)
        _refuse_unusable(uow, user)
        if not user.password_hash or not verify_password(user.password_hash, password):
            locked = _record_failure(uow, user, "password")
            uow.commit()
            if locked:
                raise AccountLocked(
                    "this account is now locked after repeated failed sign-ins; "
                    "an administrator must release it"
                )
            raise AuthenticationFailed(_WRONG)
        if password_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
            _touch_user(user)
            uow.audit.append(actor_for(user), "auth.rehash", object_type="user", object_id=user.id)
        cred = uow.session.scalar(select(UserCredential).where(UserCredential.user_id == user.id))
        enrolled = cred is not None and cred.totp_confirmed_at is not None
        uow.commit()
        return PasswordAccepted(user.id, needs_enrolment=not enrolled)


def _verify_code(secret: str, code: str, now: dt.datetime, last_step: int) -> int | None:
    """The accepted step for `code` (current step ±1), never one already used."""
    code = "".join((code or "").split())
    if not _CODE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if step > last_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _open_session(uow: UnitOfWork, user: User) -> tuple[str, SessionInfo]:
    now = uow.clock()
    token = secrets.token_urlsafe(32)
    record = WebSession(
        id=new_credential_id(),
        token_hash=_token_hash(token),
        user_id=user.id,
        created_at=now,
        authenticated_at=now,
        reauthenticated_at=now,
    )
    uow.session.add(record)
    user.failed_logins, user.last_login_at = 0, now
    _touch_user(user)
    return token, _info(record, user)


def _info(record: WebSession, user: User) -> SessionInfo:
    return SessionInfo(
        record.id,
        actor_for(user),
        user.preferred_locale,
        record.authenticated_at,
        record.reauthenticated_at,
        record.locked_at is not None,
    )


def _second_factor(uow: UnitOfWork, user: User, code: str, *, confirmed: bool) -> UserCredential:
    cred = _credential(uow, user)
    secret = uow.vault.open(_sealed(cred), "totp_secret") if cred.totp_secret_ct else None
    if confirmed != (cred.totp_confirmed_at is not None) or secret is None:
        raise ValidationFailed.single("code", "no authenticator is enrolled for this account")
    step = _verify_code(secret, code, uow.clock(), cred.totp_last_step)
    if step is None:
        locked = _record_failure(uow, user, "totp")
        uow.commit()
        if locked:
            raise AccountLocked(
                "this account is now locked after repeated failed sign-ins; "
                "an administrator must release it"
            )
        raise AuthenticationFailed("the code is wrong or was already used")
    cred.totp_last_step = step
    return cred


def complete_login(uow: UnitOfWork, user_id: uuid.UUID, code: str) -> tuple[str, SessionInfo]:
    """Second factor: a valid, unused TOTP code opens a session; returns its secret token."""
    with uow:
        user = uow.session.get(User, user_id)
        if user is None:
            raise AuthenticationFailed(_WRONG)
        _refuse_unusable(uow, user)
        _second_factor(uow, user, code, confirmed=True)
        token, info = _open_session(uow, user)
        uow.audit.append(
            info.actor,
            "auth.login",
            object_type="user",
            object_id=user.id,
            details={"session": str(info.session_id), "notice": "acknowledged"},
        )
        uow.commit()
        return token, info


def start_enrolment(uow: UnitOfWork, user_id: uuid.UUID) -> Enrolment:
    """A new TOTP secret for a user who has none confirmed yet (shown once, with a QR code)."""
    with uow:
        user = uow.session.get(User, user_id)
        if user is None:
            raise AuthenticationFailed(_WRONG)
        _refuse_unusable(uow, user)
        cred = _credential(uow, user)
        if cred.totp_confirmed_at is not None:
            raise ValidationFailed.single("code", "an authenticator is already enrolled")
        secret = pyotp.random_base32()
        uow.session.flush()
        uow.vault.seal(_sealed(cred), {"totp_secret": secret})
        uow.audit.append(actor_for(user), "auth.totp_issue", object_type="user", object_id=user.id)
        uow.commit()
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)
        return Enrolment(secret, uri)


def confirm_enrolment(uow: UnitOfWork, user_id: uuid.UUID, code: str) -> tuple[str, SessionInfo]:
    """The first valid code confirms the authenticator and opens the session."""
    with uow:
        user = uow.session.get(User, user_id)
        if user is None:
            raise AuthenticationFailed(_WRONG)
        _refuse_unusable(uow, user)
        cred = _second_factor(uow, user, code, confirmed=False)
        cred.totp_confirmed_at = uow.clock()
        token, info = _open_session(uow, user)
        uow.audit.append(info.actor, "auth.totp_enrol", object_type="user", object_id=user.id)
        uow.audit.append(
            info.actor,
            "auth.login",
            object_type="user",
            object_id=user.id,
            details={"session": str(info.session_id), "notice": "acknowledged"},
        )
        uow.commit()
        return token, info


def session_for_token(uow: UnitOfWork, token: str | None) -> SessionInfo | None:
    """The live session behind a cookie token: None once ended, expired (12 h) or unusable."""
    if not token:
        return None
    with uow:
        row = uow.session.execute(
            select(WebSession, User)
            .join(User, User.id == WebSession.user_id)
            .options(joinedload(User.agency))
            .where(WebSession.token_hash == _token_hash(token), WebSession.ended_at.is_(None))
        ).first()
        if row is None:
            return None
        record, user = row
        if user.disabled_at or user.locked_at:
            return None
        if uow.clock() - record.authenticated_at > SESSION_LIFETIME:
            return None
        return _info(record, user)


def end_stale_session(uow: UnitOfWork, token: str) -> None:
    """Close (and audit) a session refused by `session_for_token`: too old, or its user
    locked or disabled since. Nothing happens for an unknown or already ended token."""
    with uow:
        record = uow.session.scalar(
            select(WebSession).where(
                WebSession.token_hash == _token_hash(token), WebSession.ended_at.is_(None)
            )
        )
        if record is None:
            return
        session_id = record.id
    end_session(uow, session_id, reason="expired")


def end_session(uow: UnitOfWork, session_id: uuid.UUID, reason: str = "logout") -> None:
    """Sign out (or expire) a session; its cookie stops working at once."""
    with uow:
        record = uow.session.get(WebSession, session_id)
        if record is None or record.ended_at is not None:
            return
        user = uow.session.get(User, record.user_id)
        assert user
        record.ended_at, record.end_reason = uow.clock(), reason[:32]
        action = "auth.logout" if reason == "logout" else "auth.session_end"
        uow.audit.append(
            actor_for(user),
            action,
            object_type="user",
            object_id=user.id,
            details={"session": str(record.id), "reason": reason[:32]},
        )
        uow.commit()


def lock_session(uow: UnitOfWork, session_id: uuid.UUID) -> None:
    """Lock a session left idle; password and code unlock it."""
    with uow:
        record = uow.session.get(WebSession, session_id)
        if record is None or record.locked_at is not None or record.ended_at is not None:
            return
        user = uow.session.get(User, record.user_id)
        assert user
        record.locked_at = uow.clock()
        uow.audit.append(
            actor_for(user),
            "auth.session_lock",
            object_type="user",
            object_id=user.id,
            details={"session": str(record.id)},
        )
        uow.commit()


def reauthenticate(
    uow: UnitOfWork, session_id: uuid.UUID, *, password: str, code: str
) -> SessionInfo:
    """Password and a fresh code again: unlocks an idle session, allows privileged actions."""
    problems = Problems()
    if not password:
        problems.add("password", "is required")
    if not (code or "").strip():
        problems.add("code", "is required")
    problems.check()
    with uow:
        record = uow.session.get(WebSession, session_id)
        if record is None or record.ended_at is not None:
            raise AuthenticationFailed("your session has ended; sign in again")
        user = uow.session.get(User, record.user_id)
        assert user
        _refuse_unusable(uow, user)
        if not user.password_hash or not verify_password(user.password_hash, password):
            locked = _record_failure(uow, user, "reauth_password")
            if locked:
                record.ended_at, record.end_reason = uow.clock(), "lockout"
            uow.commit()
            raise AuthenticationFailed(_WRONG)
        _second_factor(uow, user, code, confirmed=True)
        record.reauthenticated_at, record.locked_at = uow.clock(), None
        user.failed_logins = 0
        _touch_user(user)
        uow.audit.append(
            actor_for(user),
            "auth.reauth",
            object_type="user",
            object_id=user.id,
            details={"session": str(record.id)},
        )
        uow.commit()
        return _info(record, user)


def _own_account(uow: UnitOfWork, actor: Actor) -> User:
    """The signed-in user's own account (system actors have none)."""
    user = uow.session.get(User, actor.user_id) if actor.user_id else None
    if user is None:
        raise ValidationFailed.single("user", "only a signed-in user has an account to change")
    return user


def change_password(uow: UnitOfWork, actor: Actor, *, current: str, new: str, confirm: str) -> None:
    """Change one's own password: the current one is required, the new one must be strong."""
    with uow:
        user = _own_account(uow, actor)
        problems = Problems()
        stored = user.password_hash
        if not current or not stored or not verify_password(stored, current):
            problems.add("current_password", "is not your current password")
        check_password_strength(
            problems, new, field="new_password", user_inputs=[user.username, user.agency.code]
        )
        if new and confirm != new:
            problems.add("confirm_password", "does not match the new password")
        if new and current and new == current:
            problems.add("new_password", "must differ from the current password")
        problems.check()
        user.password_hash = hash_password(new)
        _touch_user(user)
        _credential(uow, user).password_changed_at = uow.clock()
        uow.audit.append(actor, "auth.password_change", object_type="user", object_id=user.id)
        uow.commit()


def unlock_user(uow: UnitOfWork, actor: Actor, username: str) -> None:
    """Release an account locked after failed sign-ins (administrators only)."""
    with uow:
        user = user_by_name(uow, username)
        uow.require(
            actor,
            Permission.USER_MANAGE,
            Target(user_id=user.id),
            action="user.unlock",
            object_type="user",
            object_id=user.id,
        )
        if user.locked_at is None:
            raise ValidationFailed.single("username", "this account is not locked")
        user.locked_at, user.failed_logins = None, 0
        _touch_user(user)
        _credential(uow, user).failure_window_start = None
        uow.audit.append(actor, "user.unlock", object_type="user", object_id=user.id)
        uow.commit()


def disable_inactive_users(uow: UnitOfWork, actor: Actor) -> int:
    """Disable every account unused for 90 days; returns how many were disabled."""
    with uow:
        uow.require(actor, Permission.USER_MANAGE, NO_TARGET, action="user.disable_inactive")
        cutoff = uow.clock() - INACTIVITY_LIMIT
        users = uow.session.scalars(select(User).where(User.disabled_at.is_(None))).all()
        stale = [u for u in users if (u.last_login_at or u.created_at) < cutoff]
        for user in stale:
            user.disabled_at = uow.clock()
            _touch_user(user)
            uow.audit.append(
                actor,
                "auth.inactive_disable",
                object_type="user",
                object_id=user.id,
                details={"days": INACTIVITY_LIMIT.days},
            )
        if not stale:
            uow.audit.append(actor, "user.disable_inactive", details={"disabled": 0})
        uow.commit()
        return len(stale)


def set_preferred_locale(uow: UnitOfWork, actor: Actor, locale: str) -> None:
    """Remember the language the user chose for her next sessions."""
    with uow:
        user = _own_account(uow, actor)
        if locale not in LOCALES:
            raise ValidationFailed.single("locale", f"must be one of: {', '.join(LOCALES)}")
        if user.preferred_locale == locale:
            return
        user.preferred_locale = locale
        _touch_user(user)
        uow.audit.append(
            actor, "user.locale", object_type="user", object_id=user.id, details={"locale": locale}
        )
        uow.commit()


def needs_fresh_auth(info: SessionInfo, now: dt.datetime) -> bool:
    """Privileged actions (votes, key and role changes) need a re-authentication in 5 minutes."""
    return now - info.reauthenticated_at > FRESH_AUTH
