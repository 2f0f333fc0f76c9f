"""Rows collected in memory and inserted in bulk, table by table, in dependency order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Column, Connection, LargeBinary, Table, inspect
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.orm import Session

_Processor = Callable[[Any], Any] | None
_Plan = tuple[str, tuple[_Processor, ...], tuple[Callable[[], Any], ...]]
_PLANS: dict[tuple[str, str, tuple[str, ...]], _Plan] = {}


class Staging:
    """Collects new records for bulk paths (imports, batch screening): one executemany per table.

    Models are listed in insert order (referenced tables first). Staged ORM objects become rows
    of their column values, leaving unset defaulted columns to their defaults; `extend` takes
    rows already built as column dictionaries (the fastest path: no instrumented objects).
    """

    def __init__(self, order: Iterable[type[Any]]) -> None:
        self._rows: dict[type[Any], list[dict[str, Any]]] = {model: [] for model in order}

    def add(self, *objects: Any) -> None:
        for obj in objects:
            self._rows[type(obj)].append(_columns(obj))

    def extend(self, model: type[Any], rows: Iterable[dict[str, Any]]) -> None:
        self._rows[model].extend(rows)

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._rows.values())

    def flush(self, session: Session) -> None:
        connection = session.connection()
        for model, rows in self._rows.items():
            if rows:
                insert_rows(connection, model.__table__, rows)
                rows.clear()


def insert_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT the rows with one DB-API executemany per set of columns.

    Values go through each column type's own bind processing (UUIDs, UTC timestamps, enums), as
    a Core insert would, without building a parameter dictionary per row.
    """
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    dialect = connection.dialect
    for names, group in groups.items():
        sql, processors, defaults = _plan(dialect, table, names)
        # Column by column: one tight loop per bind processor rather than a call per value.
        columns = [[row[name] for row in group] for name in names]
        columns += [[default() for _ in group] for default in defaults]
        for i, process in enumerate(processors):
            if process is not None:
                columns[i] = [None if v is None else process(v) for v in columns[i]]
        connection.exec_driver_sql(sql, list(zip(*columns, strict=True)))


def _plan(dialect: Dialect, table: Table, names: tuple[str, ...]) -> _Plan:
    """The statement, each column's bind processor, and Python defaults of omitted columns."""
    key = (dialect.name, table.name, names)
    plan = _PLANS.get(key)
    if plan is None:
        marker = "?" if dialect.paramstyle == "qmark" else "%s"
        preparer = dialect.identifier_preparer
        omitted = [c for c in table.columns if c.key not in names and c.default is not None]
        defaults = tuple(_default(c) for c in omitted)
        columns = [table.c[name] for name in names] + omitted
        # Identifiers come from the table's metadata, quoted by the dialect; values are bound.
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            preparer.format_table(table),
            ", ".join(preparer.format_column(c) for c in columns),
            ", ".join([marker] * len(columns)),
        )
        processors = tuple(_processor(c, dialect) for c in columns)
        plan = _PLANS[key] = (sql, processors, defaults)
    return plan


def _processor(column: Column[Any], dialect: Dialect) -> _Processor:
    if isinstance(column.type, LargeBinary):
        return None  # both drivers take bytes as they are (the wrapper only copies them)
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _default(column: Column[Any]) -> Callable[[], Any]:
    default: Any = column.default
    if default.is_scalar:
        return lambda: default.arg
    if default.is_callable:
        return lambda: default.arg(None)  # SQLAlchemy wraps zero-argument callables
    raise TypeError(f"bulk insert cannot evaluate the default of {column}")


def _columns(obj: Any) -> dict[str, Any]:
    mapper = inspect(type(obj))
    row = {}
    for attr in mapper.column_attrs:
        value = getattr(obj, attr.key)
        column = attr.columns[0]
        if value is None and column.default is not None:
            continue
        row[column.key] = value
    return row
