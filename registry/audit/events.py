"""Audit events: canonical serialisation, hash chain, and appending in the caller's transaction.

Canonical form (version 1): the RFC 8785 (JCS) serialisation of
{"v": 1, "seq", "id", "time" (ISO 8601 UTC, microseconds, "Z"), "actor": {"user", "agency",
"country"}, "action", "object": {"type", "id"}, "outcome", "purpose", "details"}.
`hash = SHA-256(prev_hash || canonical)`; the Merkle leaf is SHA-256(0x00 || canonical).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import rfc8785
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from registry.models.audit import AuditEvent
from registry.models.base import new_id
from registry.models.enums import AuditOutcome
from registry.policy import Actor

SERIALISATION_VERSION = 1
GENESIS_HASH = bytes(32)
# Arbitrary constant naming the audit append lock on PostgreSQL.
_PG_AUDIT_LOCK = 0x7665747265670001

DetailValue = str | int | bool | None | list[str] | list[int]


def format_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_document(event: AuditEvent) -> dict[str, Any]:
    return {
        "v": SERIALISATION_VERSION,
        "seq": event.seq,
        "id": str(event.id),
        "time": format_time(event.occurred_at),
        "actor": {
            "user": str(event.actor_user_id) if event.actor_user_id else None,
            "agency": event.actor_agency,
            "country": event.actor_country,
        },
        "action": event.action,
        "object": {"type": event.object_type, "id": event.object_id},
        "outcome": event.outcome,
        "purpose": event.purpose,
        "details": json.loads(event.details),
    }


def canonical_bytes(event: AuditEvent) -> bytes:
    """The bytes every party hashes for this event, whatever database it came from."""
    return bytes(rfc8785.dumps(canonical_document(event)))


def chain_hash(prev_hash: bytes, canonical: bytes) -> bytes:
    return hashlib.sha256(prev_hash + canonical).digest()


class AuditWriter:
    """Appends events to the log inside the caller's transaction, in serial order."""

    def __init__(self, session: Session, clock: Callable[[], dt.datetime]) -> None:
        self._session = session
        self._clock = clock
        self._head: tuple[int, bytes] | None = None
        self.appended = 0

    def _load_head(self) -> tuple[int, bytes]:
        if self._head is None:
            bind = self._session.get_bind()
            if bind.dialect.name == "postgresql":
                # Serialise appenders; released when the transaction ends.
                self._session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
            row = self._session.execute(
                select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
            ).first()
            self._head = (row[0], row[1]) if row else (0, GENESIS_HASH)
        return self._head

    def append(
        self,
        actor: Actor | None,
        action: str,
        *,
        object_type: str | None = None,
        object_id: uuid.UUID | str | None = None,
        outcome: AuditOutcome = AuditOutcome.SUCCESS,
        purpose: str | None = None,
        details: Mapping[str, DetailValue] | None = None,
    ) -> AuditEvent:
        """Record one event; it commits or rolls back with the change it describes."""
        seq, prev_hash = self._load_head()
        event = AuditEvent(
            seq=seq + 1,
            id=new_id(),
            occurred_at=self._clock(),
            actor_user_id=actor.user_id if actor else None,
            actor_agency=(actor.agency_code or actor.username) if actor else None,
            actor_country=str(actor.country) if actor and actor.country else None,
            action=action,
            object_type=object_type,
            object_id=str(object_id) if object_id is not None else None,
            outcome=str(outcome),
            purpose=purpose,
            details=json.dumps(dict(details or {}), sort_keys=True),
            prev_hash=prev_hash,
        )
        event.hash = chain_hash(prev_hash, canonical_bytes(event))
        self._session.add(event)
        self._head = (event.seq, event.hash)
        self.appended += 1
        return event
