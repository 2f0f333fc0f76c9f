"""Input checking that collects every problem, naming the field, before anything is written."""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum
from typing import TypeVar

from registry.errors import FieldProblem, ValidationFailed

E = TypeVar("E", bound=Enum)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Problems:
    """Accumulates field problems; `check()` raises ValidationFailed with all of them."""

    def __init__(self, row: int | None = None) -> None:
        self.row = row
        self.items: list[FieldProblem] = []

    def add(self, field: str, message: str) -> None:
        self.items.append(FieldProblem(field, message, self.row))

    def __bool__(self) -> bool:
        return bool(self.items)

    def check(self) -> None:
        if self.items:
            raise ValidationFailed(self.items)

    def text(
        self, field: str, value: str | None, *, required: bool = True, max_length: int = 200
    ) -> str | None:
        cleaned = " ".join(value.split()) if value else ""
        if not cleaned:
            if required:
                self.add(field, "is required")
            return None
        if _CONTROL.search(cleaned):
            self.add(field, "contains control characters")
            return None
        if len(cleaned) > max_length:
            self.add(field, f"is longer than {max_length} characters")
            return None
        return cleaned

    def date(
        self,
        field: str,
        value: str | dt.date | None,
        *,
        required: bool = True,
        not_after: dt.date | None = None,
        not_before: dt.date | None = None,
    ) -> dt.date | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(field, "is required")
            return None
        if isinstance(value, dt.date):
            parsed = value
        else:
            try:
                parsed = dt.date.fromisoformat(value.strip())
            except ValueError:
                self.add(field, "is not a valid date (expected YYYY-MM-DD)")
                return None
        if not_after is not None and parsed > not_after:
            self.add(field, f"cannot be after {not_after.isoformat()}")
            return None
        if not_before is not None and parsed < not_before:
            self.add(field, f"cannot be before {not_before.isoformat()}")
            return None
        return parsed

    def choice(
        self, field: str, value: str | E | None, enum_cls: type[E], *, required: bool = True
    ) -> E | None:
        if value is None or value == "":
            if required:
                self.add(field, "is required")
            return None
        if isinstance(value, enum_cls):
            return value
        raw = str(value).strip()
        for member in enum_cls:
            if raw in (member.value, member.name, str(member.value).lower()):
                return member
            if raw.lower() == str(member.value).lower() or raw.upper() == member.name:
                return member
        allowed = ", ".join(str(m.value) for m in enum_cls)
        self.add(field, f"must be one of: {allowed}")
        return None
