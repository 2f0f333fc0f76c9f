"""Reading the audit log back: stored rows to canonical bytes, Merkle leaves and the tree.

Verification reads every event, so this path avoids ORM objects: rows come straight from the
driver and are rendered with a fast encoder that yields exactly the RFC 8785 bytes of
`events.canonical_bytes` (property-tested); any value outside the encoder's safe subset (floats,
integers beyond 2^53, non-ASCII keys) falls back to the reference `rfc8785` implementation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import rfc8785
from sqlalchemy import Connection, text

from registry.audit.events import format_time, jcs, jcs_safe
from registry.audit.merkle import MerkleTree

_SAFE_INT = 2**53 - 1
_COLUMNS = (
    "seq, id, occurred_at, actor_user_id, actor_agency, actor_country, action, "
    "object_type, object_id, outcome, purpose, details, prev_hash, hash"
)
_sha256 = hashlib.sha256
_quote = json.encoder.encode_basestring  # JSON string, non-ASCII kept: as RFC 8785


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One stored event: its position, id, canonical bytes and the chain hashes kept with it."""

    seq: int
    id: str
    canonical: bytes
    prev_hash: bytes
    hash: bytes


def encode_canonical(document: dict[str, Any]) -> bytes:
    """RFC 8785 bytes of a JSON document, by the fast path when it is provably the same."""
    if jcs_safe(document):
        try:
            return jcs(document)
        except UnicodeEncodeError:
            pass  # lone surrogates: let the reference implementation reject them
    return bytes(rfc8785.dumps(document))


def uuid_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return str(value)
    text = str(value)
    if len(text) == 32 and text.isascii() and text.isalnum():  # SQLite: 32 hex digits
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return text  # not an id at all: quoted as a string, it cannot match the hash


def _time_text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return format_time(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    text = str(value)
    if len(text) == 26 and text[10] == " ":  # SQLite: "YYYY-MM-DD HH:MM:SS.ffffff", UTC
        return f"{text[:10]}T{text[11:]}Z"
    # Already in canonical form (PostgreSQL renders it so for the scan); any other text is not
    # what the writer stored, and quoted as it is, it cannot match the hash.
    return text


def _details_text(stored: str) -> str:
    # The writer stores RFC 8785 text, which never has a space after ':' or ','; rows in the
    # earlier spaced form (or odd strings) are re-encoded. A stored text that is not canonical
    # cannot match its chain hash, so embedding it verbatim never hides a change.
    if '": ' in stored or ', ' in stored or "\\" in stored:
        try:
            return encode_canonical(json.loads(stored)).decode("utf-8")
        except ValueError:
            return _quote(stored)  # not JSON: as a string it can never match the stored object
    return stored


def _str(value: Any) -> str:
    if value is None:
        return "null"
    return _quote(value if isinstance(value, str) else str(value))  # SQLite keeps any type


# The version-1 document with its keys already in RFC 8785 order; only values are filled in.
_TEMPLATE_V1 = (
    '{{"action":{action},"actor":{{"agency":{agency},"country":{country},"user":{user}}},'
    '"details":{details},"id":{id},"object":{{"id":{object_id},"type":{object_type}}},'
    '"outcome":{outcome},"purpose":{purpose},"seq":{seq},"time":{time},"v":1}}'
)


def canonical_from_row(row: tuple[Any, ...] | Any) -> bytes:
    """Canonical bytes of an event from its raw stored columns (in `_COLUMNS` order)."""
    seq = int(row[0])
    if not 0 < seq <= _SAFE_INT:
        raise ValueError(f"event seq {seq} out of range")
    # Ids and time quoted as any string (the same bytes for the values the writer stores), so
    # that no odd stored text can stand for part of the document's structure.
    text = _TEMPLATE_V1.format(
        action=_str(row[6]),
        agency=_str(row[4]),
        country=_str(row[5]),
        user=_str(uuid_text(row[3])),
        details=_details_text(str(row[11])),
        id=_quote(uuid_text(row[1]) or ""),
        object_id=_str(row[8]),
        object_type=_str(row[7]),
        outcome=_str(row[9]),
        purpose=_str(row[10]),
        seq=seq,
        time=_quote(_time_text(row[2])),
    )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates: the reference implementation decides (it refuses them).
        return bytes(rfc8785.dumps(json.loads(text)))


def iter_stored_rows(
    connection: Connection, *, start: int = 1, end: int | None = None, batch: int = 20_000
) -> Iterator[Any]:
    """Raw stored rows (in `_COLUMNS` order) with start <= seq <= end, in `seq` order."""
    where = "WHERE seq >= :start" + ("" if end is None else " AND seq <= :end")
    result = connection.execute(
        text(f"SELECT {_COLUMNS} FROM audit_events {where} ORDER BY seq"),  # noqa: S608
        {"start": start, "end": end},
    )
    try:
        while rows := result.fetchmany(batch):
            yield from rows
    finally:
        result.close()


def iter_stored_events(
    connection: Connection, *, start: int = 1, end: int | None = None
) -> Iterator[StoredEvent]:
    """Every stored event in `seq` order, with its canonical bytes."""
    for row in iter_stored_rows(connection, start=start, end=end):
        yield StoredEvent(int(row[0]), uuid_text(row[1]) or "", canonical_from_row(row),
                          bytes(row[12]), bytes(row[13]))


def select_row(connection: Connection, seq: int) -> Any | None:
    """The raw stored row of one event, by `seq`."""
    return connection.execute(
        text(f"SELECT {_COLUMNS} FROM audit_events WHERE seq = :seq"),  # noqa: S608
        {"seq": seq},
    ).first()


def leaf_for(canonical: bytes) -> bytes:
    """The Merkle leaf hash of an event: SHA-256(0x00 || canonical bytes)."""
    return _sha256(b"\x00" + canonical).digest()


def build_tree(connection: Connection, size: int | None = None) -> MerkleTree:
    """The Merkle tree over the first `size` stored events (all of them by default)."""
    return MerkleTree(
        leaf_for(canonical_from_row(row)) for row in iter_stored_rows(connection, end=size)
    )


def event_count(connection: Connection) -> int:
    """How many events the log holds (the highest `seq`, which is the tree size)."""
    value = connection.execute(text("SELECT MAX(seq) FROM audit_events")).scalar()
    return int(value or 0)
