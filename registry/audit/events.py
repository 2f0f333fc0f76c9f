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
import threading
import uuid
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Engine, insert, text
from sqlalchemy.orm import Session

from registry.models.audit import AuditEvent
from registry.models.base import new_id
from registry.models.enums import AuditOutcome
from registry.policy import Actor

if TYPE_CHECKING:
    import psycopg

SERIALISATION_VERSION = 1
GENESIS_HASH = bytes(32)
# Arbitrary constant naming the audit append lock on PostgreSQL.
_PG_AUDIT_LOCK = 0x7665747265670001
_COLUMNS = ("seq", "id", "occurred_at", "actor_user_id", "actor_agency", "actor_country",
            "action", "object_type", "object_id", "outcome", "purpose", "details", "prev_hash",
            "hash")
_HEAD = "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"
_HEAD_SQL = text(_HEAD)
_INSERT = insert(AuditEvent)
_PG_LOCK = f"SELECT pg_advisory_xact_lock({_PG_AUDIT_LOCK})"
_PG_VALUES = ", ".join(["%s"] * len(_COLUMNS))
_PG_INSERT = f"INSERT INTO audit_events ({', '.join(_COLUMNS)}) VALUES ({_PG_VALUES})"  # noqa: S608
_SQLITE_INSERT = (
    f"INSERT INTO audit_events ({', '.join(_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join(['?'] * len(_COLUMNS))})"
)
# The same insert, made only if the log still ends at the given (seq, hash).
_PG_INSERT_ON_HEAD = (
    f"INSERT INTO audit_events ({', '.join(_COLUMNS)}) SELECT {_PG_VALUES} "  # noqa: S608
    f"FROM ({_HEAD}) AS head WHERE head.seq = %s AND head.hash = %s"
)

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


def _flat(value: Any) -> bool:
    """A detail value: a scalar, or a list of scalars (never an object)."""
    if isinstance(value, list):
        return not any(isinstance(item, list | dict) for item in value)
    return not isinstance(value, dict)


def canonical_json(value: Mapping[str, Any]) -> str:
    """RFC 8785 text of the details object: stored as such, so readers can embed it verbatim."""
    return jcs(value).decode("utf-8")


def canonical_bytes(event: AuditEvent, details: Mapping[str, Any] | None = None) -> bytes:
    """The bytes every party hashes for this event, whatever database it came from."""
    return jcs(canonical_document(event, details))


def chain_hash(prev_hash: bytes, canonical: bytes) -> bytes:
    return hashlib.sha256(prev_hash + canonical).digest()


class _Heads:
    """The log head each engine's last commit left behind (PostgreSQL).

    Only a guess: the next append inserts on it only if the database still ends there, checked
    in the same statement under the append lock, so that one round trip usually takes the lock
    and inserts. A wrong guess (another process appended, a rollback) costs one more round trip.
    """

    def __init__(self) -> None:
        self._heads: weakref.WeakKeyDictionary[Engine, tuple[int, bytes]] = (
            weakref.WeakKeyDictionary())
        self._lock = threading.Lock()

    def get(self, engine: Engine) -> tuple[int, bytes] | None:
        with self._lock:
            return self._heads.get(engine)

    def put(self, engine: Engine, head: tuple[int, bytes]) -> None:
        with self._lock:
            self._heads[engine] = head


_HEADS = _Heads()


def _psycopg(connection: Connection) -> psycopg.Connection[Any]:
    raw = connection.connection.dbapi_connection
    assert raw is not None
    return cast("psycopg.Connection[Any]", raw)


def _head_of(row: Any) -> tuple[int, bytes]:
    return (int(row[0]), bytes(row[1])) if row else (0, GENESIS_HASH)


class AuditWriter:
    """Appends events to the log inside the caller's transaction, in serial order.

    The event's row goes straight to the driver: on PostgreSQL the append lock, the insert and a
    fresh look at the head travel in one pipeline (see `_Heads`); on SQLite the transaction
    already holds the write lock (BEGIN IMMEDIATE) and the head is one indexed read.
    """

    def __init__(self, session: Session, clock: Callable[[], dt.datetime]) -> None:
        self._session = session
        self._clock = clock
        self._head: tuple[int, bytes] | None = None
        self._engine: Engine | None = None  # PostgreSQL only: where `committed` leaves the head
        self.appended = 0

    def _load_head(self) -> tuple[int, bytes]:
        if self._head is None:
            connection = self._session.connection()
            dialect = connection.dialect.name
            if dialect == "postgresql":
                raw = _psycopg(connection)
                # Serialise appenders (released when the transaction ends); the head is read
                # by its own statement, whose READ COMMITTED snapshot follows the lock.
                with raw.pipeline():
                    raw.execute(_PG_LOCK)
                    cursor = raw.execute(_HEAD)
                self._head = _head_of(cursor.fetchone())
                self._engine = connection.engine
            elif dialect == "sqlite":
                raw_sqlite = connection.connection.dbapi_connection
                assert raw_sqlite is not None
                self._head = _head_of(raw_sqlite.cursor().execute(_HEAD).fetchone())
            else:
                self._head = _head_of(connection.execute(_HEAD_SQL).first())
        return self._head

    def committed(self) -> None:
        """The transaction committed: remember where it left the log for the next append."""
        if self.appended and self._head is not None and self._engine is not None:
            _HEADS.put(self._engine, self._head)

    def _append_on_guess(self, row: dict[str, Any], details: Mapping[str, Any]) -> bool:
        """Lock and insert on the remembered head in one round trip; False if it had moved."""
        connection = self._session.connection()
        if connection.dialect.name != "postgresql":
            return False
        guess = _HEADS.get(connection.engine)
        if guess is None:
            return False
        _seal(row, details, guess)
        raw = _psycopg(connection)
        with raw.pipeline():
            raw.execute(_PG_LOCK)
            inserted = raw.execute(_PG_INSERT_ON_HEAD, (*_pg_values(row), *guess))
            head = raw.execute(_HEAD)
        self._engine = connection.engine
        if inserted.rowcount == 1:
            self._head = (row["seq"], row["hash"])
            return True
        self._head = _head_of(head.fetchone())  # the lock is held: this is the real head
        return False

    def _insert(self, row: dict[str, Any]) -> None:
        connection = self._session.connection()
        dialect = connection.dialect.name
        if dialect == "postgresql":
            _psycopg(connection).execute(_PG_INSERT, _pg_values(row))
        elif dialect == "sqlite":
            raw = connection.connection.dbapi_connection
            assert raw is not None
            raw.cursor().execute(_SQLITE_INSERT, _sqlite_values(row))
        else:
            connection.execute(_INSERT, row)

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
    ) -> None:
        """Record one event; it commits or rolls back with the change it describes.

        The event row is inserted at once, in the caller's transaction.
        """
        row, plain_details = _new_row(
            actor, action, object_type, object_id, outcome, purpose, details, self._clock()
        )
        self.appended += 1
        if self._head is None and self._append_on_guess(row, plain_details):
            return
        self._chain(row, plain_details)
        self._insert(row)

    def append_row(
        self,
        actor: Actor | None,
        action: str,
        *,
        object_type: str | None = None,
        object_id: uuid.UUID | str | None = None,
        purpose: str | None = None,
        details: Mapping[str, DetailValue] | None = None,
    ) -> dict[str, Any]:
        """Like `append`, but the `audit_events` row is returned, not inserted: bulk paths stage
        many and insert them, in order, with one executemany."""
        row, plain_details = _new_row(
            actor, action, object_type, object_id, AuditOutcome.SUCCESS, purpose, details,
            self._clock(),
        )
        self.appended += 1
        self._chain(row, plain_details)
        return row

    def _chain(self, row: dict[str, Any], details: Mapping[str, Any]) -> None:
        """Place the row after the chain's head, which it becomes."""
        _seal(row, details, self._load_head())
        self._head = (row["seq"], row["hash"])


def _new_row(
    actor: Actor | None,
    action: str,
    object_type: str | None,
    object_id: uuid.UUID | str | None,
    outcome: AuditOutcome,
    purpose: str | None,
    details: Mapping[str, DetailValue] | None,
    moment: dt.datetime,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The event's row (not yet placed in the chain) and its plain details."""
    plain_details = dict(details or {})
    if not jcs_safe(plain_details) or not all(map(_flat, plain_details.values())):
        # Anything else would hash differently under other RFC 8785 implementations; and a
        # nested object could mimic the event's own fields where readers embed the details.
        raise ValueError(
            "audit details hold only strings, integers within 2^53, booleans, "
            "null and lists of them, under ASCII keys"
        )
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where a UTC timestamp is required")
    row: dict[str, Any] = {
        "seq": 0,
        "id": new_id(),
        "occurred_at": moment.astimezone(dt.UTC),
        "actor_user_id": actor.user_id if actor else None,
        "actor_agency": (actor.agency_code or actor.username) if actor else None,
        "actor_country": str(actor.country) if actor and actor.country else None,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id) if object_id is not None else None,
        "outcome": str(outcome),
        "purpose": purpose,
        "details": canonical_json(plain_details),
    }
    return row, plain_details


def _seal(row: dict[str, Any], details: Mapping[str, Any], head: tuple[int, bytes]) -> None:
    """Place the event after `head`: its seq, the link and its chain hash."""
    row["seq"] = head[0] + 1
    row["prev_hash"] = head[1]
    row["hash"] = chain_hash(head[1], jcs(_document(row, details)))


def _pg_values(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[column] for column in _COLUMNS)


def _sqlite_values(row: dict[str, Any]) -> tuple[Any, ...]:
    """The row as SQLAlchemy stores it in SQLite: UUIDs as 32 hex digits, times as naive UTC
    "YYYY-MM-DD HH:MM:SS.ffffff" (a test compares the two)."""
    user = row["actor_user_id"]
    moment: dt.datetime = row["occurred_at"]
    return (row["seq"], row["id"].hex,
            moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds"),
            None if user is None else user.hex, *(row[c] for c in _COLUMNS[4:]))
