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
from typing import Any, Literal, overload

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from registry.models.audit import AuditEvent
from registry.models.base import new_id
from registry.models.enums import AuditOutcome
from registry.policy import Actor

SERIALISATION_VERSION = 1
GENESIS_HASH = bytes(32)
# Arbitrary constant naming the audit append lock on PostgreSQL.
_PG_AUDIT_LOCK = 0x7665747265670001
_HEAD_SQL = text("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
_INSERT = insert(AuditEvent)

DetailValue = str | int | bool | None | list[str] | list[int]


def format_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_document(
    event: AuditEvent, details: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The event as the versioned canonical document (details parsed unless given)."""
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
        "details": json.loads(event.details) if details is None else details,
    }


def _document(row: Mapping[str, Any], details: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical document of an event row about to be stored (as `canonical_document`)."""
    return {
        "v": SERIALISATION_VERSION,
        "seq": row["seq"],
        "id": str(row["id"]),
        "time": format_time(row["occurred_at"]),
        "actor": {
            "user": str(row["actor_user_id"]) if row["actor_user_id"] else None,
            "agency": row["actor_agency"],
            "country": row["actor_country"],
        },
        "action": row["action"],
        "object": {"type": row["object_type"], "id": row["object_id"]},
        "outcome": row["outcome"],
        "purpose": row["purpose"],
        "details": details,
    }


def jcs(document: Mapping[str, Any]) -> bytes:
    """RFC 8785 serialisation for the values events hold (strings, integers, booleans, null,
    lists and objects with ASCII keys; no floats), where it coincides with sorted compact JSON:
    keys sorted by code point, no insignificant space, only `"`, `\\` and control characters
    escaped, UTF-8. A property test checks this against a full RFC 8785 implementation."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


_SAFE_INT = 2**53 - 1


def jcs_safe(value: Any) -> bool:
    """Whether `jcs` renders `value` exactly as RFC 8785 does (the subset events may hold)."""
    if value is None or isinstance(value, bool | str):
        return True
    if isinstance(value, int):
        return -_SAFE_INT <= value <= _SAFE_INT
    if isinstance(value, list):
        return all(jcs_safe(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isascii() and jcs_safe(v) for k, v in value.items())
    return False


def canonical_json(value: Mapping[str, Any]) -> str:
    """RFC 8785 text of the details object: stored as such, so readers can embed it verbatim."""
    return jcs(value).decode("utf-8")


def canonical_bytes(event: AuditEvent, details: Mapping[str, Any] | None = None) -> bytes:
    """The bytes every party hashes for this event, whatever database it came from."""
    return jcs(canonical_document(event, details))


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
                self._session.execute(
                    text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK}
                )
            # Plain SQL on the session's connection: no ORM compilation on every use case.
            row = self._session.connection().execute(_HEAD_SQL).first()
            self._head = (int(row[0]), bytes(row[1])) if row else (0, GENESIS_HASH)
        return self._head

    @overload
    def append(
        self, actor: Actor | None, action: str, *, object_type: str | None = None,
        object_id: uuid.UUID | str | None = None, outcome: AuditOutcome = AuditOutcome.SUCCESS,
        purpose: str | None = None, details: Mapping[str, DetailValue] | None = None,
        add: Literal[True] = True,
    ) -> None: ...

    @overload
    def append(
        self, actor: Actor | None, action: str, *, object_type: str | None = None,
        object_id: uuid.UUID | str | None = None, outcome: AuditOutcome = AuditOutcome.SUCCESS,
        purpose: str | None = None, details: Mapping[str, DetailValue] | None = None,
        add: Literal[False],
    ) -> AuditEvent: ...

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
        add: bool = True,
    ) -> AuditEvent | None:
        """Record one event; it commits or rolls back with the change it describes.

        The event row is inserted at once, in the caller's transaction. With `add=False` the
        caller inserts the returned event itself (bulk paths), in order.
        """
        seq, prev_hash = self._load_head()
        plain_details = dict(details or {})
        if not jcs_safe(plain_details):
            # Anything else would hash differently under other RFC 8785 implementations.
            raise ValueError(
                "audit details hold only strings, integers within 2^53, booleans, "
                "null and lists of them, under ASCII keys"
            )
        row: dict[str, Any] = {
            "seq": seq + 1,
            "id": new_id(),
            "occurred_at": self._clock(),
            "actor_user_id": actor.user_id if actor else None,
            "actor_agency": (actor.agency_code or actor.username) if actor else None,
            "actor_country": str(actor.country) if actor and actor.country else None,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id) if object_id is not None else None,
            "outcome": str(outcome),
            "purpose": purpose,
            "details": canonical_json(plain_details),
            "prev_hash": prev_hash,
        }
        row["hash"] = chain_hash(prev_hash, jcs(_document(row, plain_details)))
        self._head = (row["seq"], row["hash"])
        self.appended += 1
        if not add:
            return AuditEvent(**row)
        # Core, not the ORM: one precompiled INSERT instead of an instrumented object per event.
        self._session.connection().execute(_INSERT, row)
        return None
