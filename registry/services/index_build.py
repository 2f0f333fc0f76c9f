"""Blind-index rows under a new index secret, built batch by batch for `keys.rotate_index`.

Batches are ranges of official ids, the leading column of both tables' primary keys, so that
no query reads beyond its own batch and the last batch of a large registry costs what the
first did. Only the columns indexing needs are read (no ORM objects), each data key is
unwrapped once, and the rows go in with one statement per batch.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from registry.context import EXCLUSIVE_KEY_LOCK, RegistryContext, sync_keyring
from registry.crypto import Keyring, WrappedKey, decrypt_fields
from registry.identity import Identity, normalise
from registry.models import DataKey, KeyRotation, Official, OfficialIndex
from registry.services.officials import identity_from_values, index_digests

# What indexing needs of an official: the sealed identity, not its other national ids.
IDENTITY_FIELDS = ("given_names", "paternal_surname", "maternal_surname", "birth_date", "sex",
                   "curp")
# A read looks at up to this many times a batch's size of officials for ones to index.
SCAN_FACTOR = 20


def readable() -> Any:
    """The official's data key still exists (shredded officials have no index rows)."""
    return DataKey.wrapped.is_not(None)


def batch_end(session: Session, after: uuid.UUID | None, size: int) -> uuid.UUID | None:
    """The id of the `size`-th official after `after`, None if fewer remain."""
    query = select(Official.id).order_by(Official.id).offset(size - 1).limit(1)
    return session.scalar(query if after is None else query.where(Official.id > after))


def within(column: Any, after: uuid.UUID | None, last: uuid.UUID | None) -> list[Any]:
    """`column` in the batch (after, last]; open-ended at either end when None."""
    return ([column > after] if after is not None else []) + (
        [column <= last] if last is not None else [])


def _lacking(version: int, after: uuid.UUID | None, last: uuid.UUID | None) -> list[Any]:
    """Readable officials of the batch (after, last] that lack rows of `version` (to join with
    their data keys).

    The batch bounds are repeated for the index rows: PostgreSQL's anti-join then reads only
    the batch's rows, not every row built so far.
    """
    missing = ~exists().where(OfficialIndex.official_id == Official.id,
                              OfficialIndex.key_version == version,
                              *within(OfficialIndex.official_id, after, last))
    return [readable(), missing, *within(Official.id, after, last)]


def _unindexed(version: int, after: uuid.UUID | None, last: uuid.UUID | None) -> Any:
    """What indexing needs of the officials `_lacking` rows of `version`: id, version, wrapped
    data key and sealed identity, in id order."""
    sealed = [cast(Table, Official.__table__).c[f"{name}_ct"] for name in IDENTITY_FIELDS]
    return (select(Official.id, Official.version, DataKey.kek_id, DataKey.wrapped, *sealed)
            .join(Official.data_key).where(*_lacking(version, after, last))
            .order_by(Official.id))


def _sealed_identity(keyring: Keyring, row: Sequence[Any]) -> Identity:
    """The identity of one `_unindexed` row, decrypted in memory (its data key unwrapped once)."""
    official_id, version, kek_id, wrapped, *blobs = row
    key = keyring.unwrap(WrappedKey(kek_id, wrapped))
    opened = decrypt_fields(key, Official.__tablename__, official_id, version,
                            dict(zip(IDENTITY_FIELDS, blobs, strict=True)))
    return identity_from_values({n: None if v is None else v.decode() for n, v in opened.items()})


IndexRow = tuple[uuid.UUID, str, int, int]
"""official_id, kind, key_version, digest: the columns of `official_index`, in order."""
_COLUMNS = ("official_id", "kind", "key_version", "digest")


def _index_rows(keyring: Keyring, officials: Sequence[Sequence[Any]],
                version: int) -> list[IndexRow]:
    """The blind-index rows of `officials` under `version` (computed in memory), as
    `officials.index_rows` computes them for the active version."""
    rows: list[IndexRow] = []
    for official in officials:
        identity = normalise(_sealed_identity(keyring, official))
        rows += [(official[0], kind, version, digest)
                 for kind, digest in index_digests(keyring, identity, version)]
    return rows


def _insert(session: Session, rows: list[IndexRow]) -> None:
    """Insert index rows with one statement, in the lookup index's order (each of its pages is
    then written once per batch, not once a row).

    PostgreSQL takes the rows as four arrays; SQLite as one executemany handed straight to
    the driver, since SQLAlchemy's handling of each row's parameters took longer than the
    insert itself, and a batch holds SQLite's one write lock while it inserts.
    """
    if not rows:
        return
    rows.sort(key=itemgetter(1, 2, 3))
    table, connection = cast(Table, OfficialIndex.__table__), session.connection()
    dialect = connection.dialect
    if dialect.name == "postgresql":
        arrays = func.unnest(*(bindparam(name, type_=ARRAY(table.c[name].type))
                               for name in _COLUMNS)).table_valued(*_COLUMNS)
        connection.execute(
            insert(table).from_select(_COLUMNS, select(*arrays.render_derived().c)),
            dict(zip(_COLUMNS, map(list, zip(*rows, strict=True)), strict=True)))
        return
    statement = insert(table).compile(dialect=dialect, column_keys=list(_COLUMNS))
    assert statement.positiontup == list(_COLUMNS), statement.positiontup  # qmark, in order
    as_stored = table.c.official_id.type.bind_processor(dialect)  # once per official
    ids = {i: as_stored(i) if as_stored else i for i in {row[0] for row in rows}}
    connection.exec_driver_sql(str(statement), [(ids[r[0]], r[1], r[2], r[3]) for r in rows])


@dataclass(frozen=True)
class _Batch:
    """Officials read for indexing, and the id range (after, last] they were read from."""

    officials: Sequence[Any]
    after: uuid.UUID | None
    last: uuid.UUID | None  # None: to the end


def _read_batch(session: Session, version: int, after: uuid.UUID | None, size: int,
                scan: int) -> _Batch:
    """The first `size` officials after id `after` that lack rows of `version`, among the next
    `scan` officials."""
    end = batch_end(session, after, scan)
    officials = session.execute(_unindexed(version, after, end).limit(size)).all()
    return _Batch(officials, after, officials[-1].id if len(officials) == size else end)


def _write_batch(session: Session, rotation_id: uuid.UUID, version: int, batch: _Batch,
                 rows: list[IndexRow]) -> int:
    """Store the rows of the batch's officials that are unchanged since the read; how many."""
    read = {o.id: o.version for o in batch.officials}
    current = (select(Official.id, Official.version).join(Official.data_key)
               .where(Official.id.in_(read), *_lacking(version, batch.after, batch.last)))
    unchanged = {i for i, v in session.execute(current) if read[i] == v}  # not shredded
    _insert(session, [row for row in rows if row[0] in unchanged])
    session.execute(update(KeyRotation).where(KeyRotation.id == rotation_id)
                    .values(done=KeyRotation.done + len(unchanged)))
    return len(unchanged)


def build_pass(ctx: RegistryContext, rotation_id: uuid.UUID, version: int, size: int,
                on_batch: Callable[[int], None], pause: float) -> None:
    """Index, batch by batch in id order, every official lacking rows of `version`.

    A batch is computed outside any transaction. Its write excludes every other transaction
    (on SQLite all do; on PostgreSQL through the key lock), so an official re-indexed by a
    writer since the read is seen by its version and left for the catch-up pass, never
    indexed from its old identity. The write's transaction also reads the next batch: one
    transaction per batch, which matters where writers queue for one lock (SQLite).

    A read looks at `size` officials, and further while it finds few to index (a pass over
    indexed officials is then a few queries; a range read costs PostgreSQL its whole width).
    """
    scan = size
    with ctx.session_factory() as session:
        sync_keyring(session.connection(), ctx.keyring)
        batch = _read_batch(session, version, None, size, scan)
    while True:
        scan = size if 2 * len(batch.officials) >= size else min(4 * scan, SCAN_FACTOR * size)
        rows = _index_rows(ctx.keyring, batch.officials, version)
        exclusive = {EXCLUSIVE_KEY_LOCK: True} if batch.officials else {}
        with ctx.session_factory(info=exclusive) as session:
            count = _write_batch(session, rotation_id, version, batch, rows) if exclusive else 0
            following = (None if batch.last is None
                         else _read_batch(session, version, batch.last, size, scan))
            session.commit()
        on_batch(count)
        if following is None:
            return
        batch = following
        time.sleep(pause)


def build_remaining(session: Session, keyring: Keyring, version: int, size: int) -> int:
    """Index, in the caller's transaction, every official lacking rows of `version` (few: the
    passes have indexed the others, so each read looks far)."""
    late, after = 0, None
    while True:
        batch = _read_batch(session, version, after, size, SCAN_FACTOR * size)
        _insert(session, _index_rows(keyring, batch.officials, version))
        late += len(batch.officials)
        if batch.last is None:
            return late
        after = batch.last
