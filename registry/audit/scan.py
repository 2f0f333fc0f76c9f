"""The fast full scan of the log that verification and exports use.

The database renders ids and times in their canonical text (dashed UUIDs, ISO 8601 UTC with
microseconds and "Z") and rows come straight from the driver's cursor, server-side on
PostgreSQL, so that Python only quotes strings and joins the pieces of the version-1 document.
The result is byte-for-byte `events.canonical_bytes` (tested on both backends); on any other
database the generic reader in `log.py` is used.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection

from registry.audit.log import canonical_from_row, iter_stored_rows

ChainTuple = tuple[int, str, bytes, bytes, bytes]
_MAX_SEQ = 2**63 - 1

_TAIL = "actor_agency, actor_country, action, object_type, object_id, outcome, purpose, " \
        "details, prev_hash, hash FROM audit_events WHERE seq >= %s AND seq <= %s ORDER BY seq"


_SQL = {
    # UUIDs as 32 hex digits, times as "YYYY-MM-DD HH:MM:SS.ffffff" in UTC: shaped in Python,
    # which is quicker here than SQLite's string functions.
    "sqlite": ("SELECT seq, id, occurred_at, actor_user_id, " + _TAIL).replace("%s", "?"),
    "postgresql": ("SELECT seq, id::text, to_char(occurred_at AT TIME ZONE 'UTC', "
                   "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), actor_user_id::text, " + _TAIL),
}


def _details(stored: str) -> str:
    # Stored as RFC 8785 text by the writer; anything else is re-encoded (see log._details_text).
    if '": ' in stored or ", " in stored or "\\" in stored:
        from registry.audit.log import encode_canonical

        return encode_canonical(json.loads(stored)).decode("utf-8")
    return stored


def _sqlite_shape(rows: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for row in rows:
        eid, moment, user = row[1], row[2], row[3]
        if len(eid) != 32 or len(moment) != 26 or (user is not None and len(user) != 32):
            raise _Irregular
        yield (row[0], f"{eid[:8]}-{eid[8:12]}-{eid[12:16]}-{eid[16:20]}-{eid[20:]}",
               f"{moment[:10]}T{moment[11:]}Z",
               None if user is None
               else f"{user[:8]}-{user[8:12]}-{user[12:16]}-{user[16:20]}-{user[20:]}",
               *row[4:])


def _render(rows: Iterator[Sequence[Any]] | Sequence[Any]) -> Iterator[ChainTuple]:
    q = json.encoder.encode_basestring
    for (seq, eid, moment, user, agency, country, action, otype, oid, outcome, purpose,
         details, prev, stored) in rows:
        if len(moment) != 27:  # not the stored shape: let the careful reader decide
            raise _Irregular
        text = "".join((
            '{"action":', q(action),
            ',"actor":{"agency":', "null" if agency is None else q(agency),
            ',"country":', "null" if country is None else q(country),
            ',"user":', "null" if user is None else f'"{user}"',
            '},"details":', _details(details),
            ',"id":"', eid,
            '","object":{"id":', "null" if oid is None else q(oid),
            ',"type":', "null" if otype is None else q(otype),
            '},"outcome":', q(outcome),
            ',"purpose":', "null" if purpose is None else q(purpose),
            ',"seq":', str(seq), ',"time":"', moment, '","v":1}',
        ))
        try:
            canonical = text.encode("utf-8")
        except UnicodeEncodeError:
            raise _Irregular from None
        yield seq, eid, canonical, bytes(prev), bytes(stored)


class _Irregular(Exception):
    """A row the fast path cannot render exactly; the generic reader takes over."""


def _generic(connection: Connection, start: int, end: int | None) -> Iterator[ChainTuple]:
    for row in iter_stored_rows(connection, start=start, end=end):
        canonical = canonical_from_row(row)
        event_id = json.loads(canonical)["id"]
        yield int(row[0]), event_id, canonical, bytes(row[12]), bytes(row[13])


def scan(
    connection: Connection, start: int = 1, end: int | None = None, batch: int = 20_000
) -> Iterator[ChainTuple]:
    """(seq, id, canonical bytes, prev_hash, hash) of the events start <= seq <= end."""
    sql = _SQL.get(connection.dialect.name)
    if sql is None:
        yield from _generic(connection, start, end)
        return
    raw = connection.connection.dbapi_connection
    assert raw is not None
    if connection.dialect.name == "postgresql":
        cursor = raw.cursor(name="vetreg_audit_scan")  # server-side: constant memory
    else:
        cursor = raw.cursor()
    sqlite = connection.dialect.name == "sqlite"
    next_seq = start
    try:
        cursor.execute(sql, (start, _MAX_SEQ if end is None else end))
        while rows := cursor.fetchmany(batch):
            try:
                for item in _render(_sqlite_shape(rows) if sqlite else rows):
                    yield item
                    next_seq = item[0] + 1
            except _Irregular:
                break
        else:
            return
    finally:
        cursor.close()
    yield from _generic(connection, next_seq, end)
