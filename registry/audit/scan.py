"""The fast full scan of the log that verification and exports use.

The database renders ids and times in their canonical text where that is cheap (PostgreSQL:
dashed UUIDs, ISO 8601 UTC with microseconds and "Z"), rows come straight from the driver's
cursor, server-side on PostgreSQL, and Python only quotes strings and joins the pieces of the
version-1 document, a batch at a time. The result is byte-for-byte `events.canonical_bytes`
(tested on both backends). A row the fast renderer cannot vouch for (an odd shape, details in
an earlier spacing) is rendered by the careful reader in `log.py`; any other database uses that
reader throughout.

Verification checks a batch right after rendering it, in one loop per batch (see
`StoredScan.check_links`); only an event that does not check out takes the path that words
the problem, shared with every other source of events (`verify.judge`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection

from registry.audit.log import canonical_from_row, iter_stored_rows, uuid_text
from registry.audit.verify import LinkSource, Run, VerificationReport, judge

ChainTuple = tuple[int, str, bytes, bytes, bytes]
_MAX_SEQ = 2**63 - 1

_TAIL = "actor_agency, actor_country, action, object_type, object_id, outcome, purpose, " \
        "details, prev_hash, hash FROM audit_events WHERE seq >= %s AND seq <= %s ORDER BY seq"

_SQL = {
    # UUIDs as 32 hex digits, times as "YYYY-MM-DD HH:MM:SS.ffffff" in UTC: shaped in Python,
    # which is quicker here than SQLite's string functions. The columns are `log._COLUMNS`.
    "sqlite": ("SELECT seq, id, occurred_at, actor_user_id, " + _TAIL).replace("%s", "?"),
    "postgresql": ("SELECT seq, id::text, to_char(occurred_at AT TIME ZONE 'UTC', "
                   "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), actor_user_id::text, " + _TAIL),
}

_quote = json.encoder.encode_basestring  # JSON string, non-ASCII kept: as RFC 8785
_CACHE_LIMIT = 50_000


class _Quoted(dict[str | None, str]):
    """JSON text of the values a log repeats (actions, agencies, actors, outcomes...)."""

    def __missing__(self, value: str | None) -> str:
        text = "null" if value is None else _quote(value)
        self[value] = text
        return text


class _DashedUser(dict[str | None, str]):
    """JSON text of user ids stored as 32 hex digits; "" for any other stored text."""

    def __missing__(self, user: str | None) -> str:
        if user is None:
            text = "null"
        elif len(user) == 32 and user.isalnum():
            text = f'"{user[:8]}-{user[8:12]}-{user[12:16]}-{user[16:20]}-{user[20:]}"'
        else:
            text = ""
        self[user] = text
        return text


def _careful(row: Sequence[Any]) -> bytes:
    return canonical_from_row(tuple(row))


class _Renderer:
    """Renders the batches of one scan, remembering the quoted text of repeated values."""

    def __init__(self) -> None:
        self._quoted = _Quoted()
        self._users = _DashedUser()

    def _caches(self) -> tuple[_Quoted, _DashedUser]:
        if len(self._quoted) > _CACHE_LIMIT or len(self._users) > _CACHE_LIMIT:
            self._quoted.clear()
            self._users.clear()
        return self._quoted, self._users

    def sqlite(self, rows: Sequence[Sequence[Any]]) -> list[bytes]:
        """Canonical bytes of raw SQLite rows (ids as 32 hex digits, naive UTC time text)."""
        qc, users = self._caches()
        q = _quote
        out: list[bytes] = []
        append = out.append
        for row in rows:
            try:
                (seq, eid, moment, user, agency, country, action, otype, oid, outcome, purpose,
                 details, _prev, _stored) = row
                # Ids and time go between quotes as they are: of the length the ORM writes and
                # without a quote or backslash, no stored text can leave its string to stand for
                # part of the document's structure.
                quoted_user = users[user]
                if (len(eid) != 32 or len(moment) != 26 or moment[10] != " " or '"' in eid
                        or "\\" in eid or '"' in moment or "\\" in moment or not quoted_user
                        or '": ' in details or ", " in details or "\\" in details):
                    append(_careful(row))
                    continue
                text = (
                    f'{{"action":{qc[action]},"actor":{{"agency":{qc[agency]},'
                    f'"country":{qc[country]},"user":{quoted_user}}},"details":{details},'
                    f'"id":"{eid[:8]}-{eid[8:12]}-{eid[12:16]}-{eid[16:20]}-{eid[20:]}",'
                    f'"object":{{"id":{"null" if oid is None else q(oid)},"type":{qc[otype]}}},'
                    f'"outcome":{qc[outcome]},"purpose":{qc[purpose]},"seq":{seq},'
                    f'"time":"{moment[:10]}T{moment[11:]}Z","v":1}}'
                )
                try:
                    append(text.encode("utf-8"))
                except UnicodeEncodeError:
                    append(_careful(row))
            except TypeError:  # a value of another type (SQLite keeps any)
                append(_careful(row))
        return out

    def postgresql(self, rows: Sequence[Sequence[Any]]) -> list[bytes]:
        """Canonical bytes of rows whose ids and time PostgreSQL has already put in shape."""
        qc = self._caches()[0]
        q = _quote
        out: list[bytes] = []
        append = out.append
        for row in rows:
            (seq, eid, moment, user, agency, country, action, otype, oid, outcome, purpose,
             details, _prev, _stored) = row
            if len(moment) != 27 or '": ' in details or ", " in details or "\\" in details:
                append(_careful(row))
                continue
            text = (
                f'{{"action":{qc[action]},"actor":{{"agency":{qc[agency]},'
                f'"country":{qc[country]},"user":{qc[user]}}},"details":{details},'
                f'"id":"{eid}","object":{{"id":{"null" if oid is None else q(oid)},'
                f'"type":{qc[otype]}}},"outcome":{qc[outcome]},"purpose":{qc[purpose]},'
                f'"seq":{seq},"time":"{moment}","v":1}}'
            )
            try:
                append(text.encode("utf-8"))
            except UnicodeEncodeError:
                append(_careful(row))
        return out


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8")  # not a hash at all (SQLite keeps any type): it differs


def _event_id(row: Sequence[Any]) -> str:
    try:
        return uuid_text(row[1]) or ""
    except ValueError:
        return str(row[1])


class StoredScan(LinkSource):
    """(seq, id, canonical bytes, prev_hash, hash) of the stored events start <= seq <= end."""

    def __init__(self, connection: Connection, start: int = 1, end: int | None = None,
                 batch: int = 20_000) -> None:
        self._connection = connection
        self._start = start
        self._end = end
        self._batch = batch

    def _batches(self) -> Iterator[tuple[Sequence[Sequence[Any]], list[bytes]]]:
        """Raw rows in `log._COLUMNS` order, a batch at a time, with their canonical bytes."""
        connection = self._connection
        dialect = connection.dialect.name
        if dialect not in _SQL:
            yield from self._generic_batches()
            return
        render = _Renderer().sqlite if dialect == "sqlite" else _Renderer().postgresql
        raw = connection.connection.dbapi_connection
        assert raw is not None
        # Server-side on PostgreSQL (constant memory), in binary: hashes arrive as raw bytes.
        cursor = (raw.cursor(name="vetreg_audit_scan", binary=True) if dialect == "postgresql"
                  else raw.cursor())
        try:
            cursor.execute(_SQL[dialect], (self._start,
                                           _MAX_SEQ if self._end is None else self._end))
            while rows := cursor.fetchmany(self._batch):
                yield rows, render(rows)
        finally:
            cursor.close()

    def _generic_batches(self) -> Iterator[tuple[Sequence[Sequence[Any]], list[bytes]]]:
        rows: list[tuple[Any, ...]] = []
        for row in iter_stored_rows(self._connection, start=self._start, end=self._end,
                                    batch=self._batch):
            rows.append((*row[:12], bytes(row[12]), bytes(row[13])))
            if len(rows) == self._batch:
                yield rows, [canonical_from_row(r) for r in rows]
                rows = []
        if rows:
            yield rows, [canonical_from_row(r) for r in rows]

    def __iter__(self) -> Iterator[ChainTuple]:
        for rows, canonicals in self._batches():
            for row, canonical in zip(rows, canonicals, strict=True):
                yield int(row[0]), _event_id(row), canonical, bytes(row[12]), bytes(row[13])

    def leaf_hashes(self) -> list[bytes]:
        """The events' Merkle leaf hashes, in order, unchecked (for serving proofs, which are
        checked against signed roots)."""
        sha = hashlib.sha256
        leaves: list[bytes] = []
        for _rows, canonicals in self._batches():
            leaves += [sha(b"\x00" + canonical).digest() for canonical in canonicals]
        return leaves

    def check_links(
        self, report: VerificationReport, start: int | None, previous: bytes | None
    ) -> Run:
        """As `verify.check_links`, rendering and checking each batch in one pass."""
        sha = hashlib.sha256
        leaves: list[bytes] = []
        expected = start
        first: tuple[int, str, bytes, bool] | None = None
        seq: int | None = None
        for rows, canonicals in self._batches():
            leaves += [sha(b"\x00" + canonical).digest() for canonical in canonicals]
            for row, canonical in zip(rows, canonicals, strict=True):
                seq, prev, stored = row[0], row[12], row[13]
                # A sound event costs one comparison of each kind; `prev + canonical` is only
                # reached once `prev` has compared equal to the bytes of the previous hash.
                if (seq != expected or prev != previous
                        or sha(prev + canonical).digest() != stored):
                    prev, stored = _as_bytes(prev), _as_bytes(stored)
                    content_ok = sha(prev + canonical).digest() == stored
                    if expected is None:
                        first = (seq, _event_id(row), prev, content_ok)
                    else:
                        judge(report, seq, _event_id(row), prev, content_ok, expected, previous)
                expected, previous = seq + 1, stored
        return Run(leaves, report.problems, first, seq, previous)


def scan(
    connection: Connection, start: int = 1, end: int | None = None, batch: int = 20_000
) -> StoredScan:
    """(seq, id, canonical bytes, prev_hash, hash) of the events start <= seq <= end."""
    return StoredScan(connection, start, end, batch)
