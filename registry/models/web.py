"""Sign-in state: second-factor secrets, failed-login windows and web sessions."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, new_id, utcnow


class UserCredential(Base):
    """A user's TOTP secret (ciphertext under its own data key) and sign-in counters.

    `totp_last_step` is the last accepted 30-second step: a code is accepted once only.
    `version` binds the ciphertext and changes only when the secret is re-sealed.
    """

    __tablename__ = "user_credentials"
    ENCRYPTED = ("totp_secret",)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), unique=True)
    data_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("data_keys.id"))
    totp_secret_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_confirmed_at: Mapped[dt.datetime | None]
    totp_last_step: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), default=0
    )
    failure_window_start: Mapped[dt.datetime | None]
    password_changed_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class WebSession(Base):
    """A signed-in browser session; the cookie holds a secret whose SHA-256 is `token_hash`."""

    __tablename__ = "web_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    authenticated_at: Mapped[dt.datetime]
    reauthenticated_at: Mapped[dt.datetime]
    locked_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))
