"""Rows collected in memory and inserted in bulk, table by table, in dependency order."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, inspect
from sqlalchemy.orm import Session


class Staging:
    """Collects new records for bulk paths (imports): one executemany per table.

    Models are listed in insert order (referenced tables first); each staged object becomes a
    row of its column values, leaving unset defaulted columns to their defaults.
    """

    def __init__(self, order: Iterable[type[Any]]) -> None:
        self._rows: dict[type[Any], list[dict[str, Any]]] = {model: [] for model in order}

    def add(self, *objects: Any) -> None:
        for obj in objects:
            self._rows[type(obj)].append(_columns(obj))

    def extend(self, model: type[Any], rows: Iterable[dict[str, Any]]) -> None:
        self._rows[model].extend(rows)

    def flush(self, session: Session) -> None:
        for model, rows in self._rows.items():
            if rows:
                session.execute(insert(model.__table__), rows)
                rows.clear()


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
