"""Bulk import of agencies' existing lists: validate every row, then import in batches."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, tuple_

from registry.db import refresh_statistics
from registry.errors import FieldProblem, ValidationFailed
from registry.identity import Identity, NormalisedIdentity, normalise
from registry.models import Agency, AuditEvent, DataKey, Official, OfficialIndex, RegistryEntry
from registry.policy import NO_TARGET, Actor, Permission
from registry.services.entries import (
    CleanEntry,
    EntryInput,
    entry_audit_details,
    entry_row,
    validate_entry,
)
from registry.services.officials import (
    OfficialInput,
    find_by_curps,
    official_rows,
    validate_identity,
)
from registry.services.staging import Staging
from registry.services.validation import Problems
from registry.uow import UnitOfWork

ANALYZE_AFTER = 1000  # imported entries after which PostgreSQL's statistics are refreshed
_IMPORTED_TABLES = [
    model.__tablename__ for model in (DataKey, Official, OfficialIndex, RegistryEntry, AuditEvent)
]
IDENTITY_COLUMNS = (
    "given_names",
    "paternal_surname",
    "maternal_surname",
    "birth_date",
    "sex",
    "curp",
)
REQUIRED_COLUMNS = (*IDENTITY_COLUMNS, "agency_code", "reason", "effective_date", "case_ref")
OPTIONAL_COLUMNS = (
    "legal_basis",
    "narrative",
    "handling_code",
    "source_reliability",
    "information_reliability",
)


@dataclass(frozen=True)
class ImportRow:
    """A validated row, ready to write."""

    row: int
    identity: Identity
    normalised: NormalisedIdentity
    agency_code: str
    entry: CleanEntry

    def __repr__(self) -> str:
        return f"<ImportRow {self.row} {self.agency_code} {self.entry.case_ref}>"


@dataclass
class ImportReport:
    rows: int = 0
    valid: int = 0
    created: int = 0
    already_present: int = 0
    officials_created: int = 0
    officials_matched: int = 0
    dry_run: bool = False
    problems: list[FieldProblem] = field(default_factory=list)


def read_csv(text: str | Iterable[str]) -> list[dict[str, str]]:
    """Parse CSV text; refuses a header that lacks a required column."""
    stream = io.StringIO(text) if isinstance(text, str) else text
    reader = csv.DictReader(stream)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ValidationFailed(
            [FieldProblem(c, "column is missing from the header", 1) for c in missing]
        )
    reader.fieldnames = header
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def _validate_row(
    number: int,
    raw: dict[str, str],
    agencies: dict[str, Agency],
    actor: Actor,
    today: dt.date,
    legal_basis: str | None,
) -> tuple[ImportRow | None, Problems]:
    problems = Problems(row=number)
    person = OfficialInput(
        given_names=raw.get("given_names"),
        paternal_surname=raw.get("paternal_surname"),
        maternal_surname=raw.get("maternal_surname"),
        birth_date=raw.get("birth_date"),
        sex=raw.get("sex"),
        curp=raw.get("curp"),
    )
    identity = validate_identity(problems, person, today)
    code = raw.get("agency_code", "").upper()
    agency = agencies.get(code)
    if not code:
        problems.add("agency_code", "is required")
    elif agency is None:
        problems.add("agency_code", f"agency {code!r} does not exist")
    elif agency.country != actor.country:
        problems.add("agency_code", f"{code} is not an agency of your country")
    clean = validate_entry(
        problems,
        EntryInput(
            official_id="",
            reason=raw.get("reason", ""),
            case_ref=raw.get("case_ref", ""),
            legal_basis=raw.get("legal_basis") or legal_basis or "",
            effective_date=raw.get("effective_date"),
            narrative=raw.get("narrative") or None,
            handling_code=raw.get("handling_code") or "H1",
            source_reliability=raw.get("source_reliability") or "B",
            information_reliability=raw.get("information_reliability") or "2",
        ),
        today,
    )
    if problems or clean is None:
        return None, problems
    return ImportRow(number, identity, normalise(identity), code, clean), problems


def validate_rows(
    uow: UnitOfWork, actor: Actor, rows: list[dict[str, str]], legal_basis: str | None = None
) -> tuple[list[ImportRow], list[FieldProblem]]:
    """Check every row (row numbers count the header as row 1); nothing is written."""
    with uow:
        agencies = {a.code: a for a in uow.session.scalars(select(Agency))}
        valid: list[ImportRow] = []
        problems: list[FieldProblem] = []
        seen: dict[tuple[str, str], int] = {}
        for number, raw in enumerate(rows, start=2):
            row, row_problems = _validate_row(
                number, raw, agencies, actor, uow.today(), legal_basis
            )
            if row is not None:
                key = (row.agency_code, row.entry.case_ref)
                if key in seen:
                    row_problems.add("case_ref", f"repeats row {seen[key]} (same agency and case)")
                    row = None
                else:
                    seen[key] = number
            problems.extend(row_problems.items)
            if row is not None:
                valid.append(row)
        return valid, problems


def _existing_cases(
    uow: UnitOfWork, batch: list[ImportRow], agencies: dict[str, Agency]
) -> set[tuple[str, str]]:
    keys = [(agencies[r.agency_code].id, r.entry.case_ref) for r in batch]
    found = uow.session.execute(
        select(RegistryEntry.originating_agency_id, RegistryEntry.case_ref).where(
            tuple_(RegistryEntry.originating_agency_id, RegistryEntry.case_ref).in_(keys)
        )
    )
    by_id = {a.id: code for code, a in agencies.items()}
    return {(by_id[agency_id], case_ref) for agency_id, case_ref in found}


def _import_batch(
    uow: UnitOfWork, actor: Actor, batch: list[ImportRow], report: ImportReport
) -> None:
    """One transaction: new rows built as plain column values, then one INSERT per table."""
    with uow:
        agencies = {a.code: a for a in uow.session.scalars(select(Agency))}
        existing = _existing_cases(uow, batch, agencies)
        known = {
            curp: official.id
            for curp, official in find_by_curps(
                uow, [r.identity.curp for r in batch if r.identity.curp]
            ).items()
        }
        stamp = uow.clock()
        stage = Staging([DataKey, Official, OfficialIndex, RegistryEntry, AuditEvent])
        key_rows: list[dict[str, Any]] = []
        for row in batch:
            if (row.agency_code, row.entry.case_ref) in existing:
                report.already_present += 1
                continue
            agency = agencies[row.agency_code]
            official_id = known.get(row.identity.curp) if row.identity.curp else None
            created_official = official_id is None
            if official_id is None:
                key_row, official_row, index = official_rows(
                    uow, actor, row.identity, agency.id, agency.country, stamp, row.normalised
                )
                official_id = official_row["id"]
                key_rows.append(key_row)
                stage.extend(Official, [official_row])
                stage.extend(OfficialIndex, index)
                if row.identity.curp:
                    known[row.identity.curp] = official_id
            key_row, entry = entry_row(uow, actor, official_id, agency, row.entry, stamp)
            key_rows.append(key_row)
            stage.extend(RegistryEntry, [entry])
            event = uow.audit.append_row(
                actor,
                "entry.import",
                object_type="entry",
                object_id=entry["id"],
                details={
                    **entry_audit_details(
                        official_id, agency, row.entry.reason, row.entry.case_ref
                    ),
                    "official_created": created_official,
                },
            )
            stage.extend(AuditEvent, [event])
            report.created += 1
            report.officials_created += created_official
            report.officials_matched += not created_official
        stage.extend(DataKey, key_rows)
        stage.flush(uow.session)
        uow.commit()


def import_entries(
    uow_factory: Callable[[], UnitOfWork],
    actor: Actor,
    rows: list[dict[str, str]],
    *,
    dry_run: bool = False,
    batch_size: int = 2000,
    legal_basis: str | None = None,
    progress: Callable[[int], None] = lambda n: None,
) -> ImportReport:
    """Validate all rows, then (unless dry run) import the valid ones batch by batch.

    Re-running the same file adds nothing: an agency's case reference is imported once.
    """
    with uow_factory() as uow:
        uow.require(actor, Permission.ENTRY_IMPORT, NO_TARGET, action="entry.import")
    valid, problems = validate_rows(uow_factory(), actor, rows, legal_basis)
    report = ImportReport(rows=len(rows), valid=len(valid), dry_run=dry_run, problems=problems)
    if dry_run:
        return report
    for start in range(0, len(valid), batch_size):
        batch = valid[start : start + batch_size]
        _import_batch(uow_factory(), actor, batch, report)
        progress(len(batch))
    if report.created >= ANALYZE_AFTER:
        refresh_statistics(uow_factory().bind, _IMPORTED_TABLES)
    return report
