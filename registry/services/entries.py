"""Listing a failed or expelled official (a registry entry) and reading it back."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from registry.errors import Conflict
from registry.models import Agency, DataKey, Official, RegistryEntry
from registry.models.base import new_id
from registry.models.enums import (
    EntryReason,
    EntryStatus,
    HandlingCode,
    InformationReliability,
    SourceReliability,
)
from registry.policy import Actor, Permission, Target
from registry.services.common import agency_by_code, load, load_official, official_target
from registry.services.dates import add_years
from registry.services.validation import Problems
from registry.uow import UnitOfWork
from registry.vault import seal_columns

# Default retention by reason (years after the effective date); corruption stays longest.
RETENTION_YEARS: dict[EntryReason, int] = {
    EntryReason.FAILED_VETTING: 10,
    EntryReason.REFUSED_VETTING: 10,
    EntryReason.EXPELLED_CORRUPTION: 20,
    EntryReason.DISMISSED_MISCONDUCT: 10,
    EntryReason.RESIGNED_UNDER_INVESTIGATION: 15,
}
REVIEW_AFTER_YEARS = 2


@dataclass(frozen=True)
class EntryInput:
    official_id: uuid.UUID | str
    reason: str
    case_ref: str
    legal_basis: str
    effective_date: str | dt.date | None
    narrative: str | None = None
    handling_code: str = "H1"
    source_reliability: str = "B"
    information_reliability: str = "2"
    retain_until: str | dt.date | None = None
    review_on: str | dt.date | None = None
    originating_agency: str | None = None


@dataclass(frozen=True)
class EntryView:
    id: uuid.UUID
    official_id: uuid.UUID
    reason: EntryReason
    status: EntryStatus
    originating_agency: str
    originating_country: str
    case_ref: str
    legal_basis: str
    effective_date: dt.date
    handling_code: HandlingCode
    source_reliability: SourceReliability
    information_reliability: InformationReliability
    retain_until: dt.date
    review_on: dt.date | None
    version: int
    narrative: str | None = None

    def __repr__(self) -> str:
        return f"<EntryView {self.id} {self.status}>"


@dataclass(frozen=True)
class CleanEntry:
    """Validated entry fields, ready to store."""

    reason: EntryReason
    case_ref: str
    legal_basis: str
    effective_date: dt.date
    handling_code: HandlingCode
    source_reliability: SourceReliability
    information_reliability: InformationReliability
    retain_until: dt.date
    review_on: dt.date | None
    narrative: str | None
    retain_explicit: bool = False  # otherwise the retention rule for reason and country applies


def validate_entry(problems: Problems, data: EntryInput, today: dt.date) -> CleanEntry | None:
    reason = problems.choice("reason", data.reason, EntryReason)
    case_ref = problems.text("case_ref", data.case_ref, max_length=64)
    legal_basis = problems.text("legal_basis", data.legal_basis, max_length=500)
    effective = problems.date("effective_date", data.effective_date, not_after=today)
    handling = problems.choice("handling_code", data.handling_code, HandlingCode)
    source = problems.choice("source_reliability", data.source_reliability, SourceReliability)
    info = problems.choice(
        "information_reliability", data.information_reliability, InformationReliability
    )
    retain = problems.date("retain_until", data.retain_until, required=False)
    review = problems.date("review_on", data.review_on, required=False)
    narrative = problems.text("narrative", data.narrative, required=False, max_length=10000)
    if effective and retain and retain <= effective:
        problems.add("retain_until", "must be after the effective date")
    if problems or not (
        reason and case_ref and legal_basis and effective and handling and source and info
    ):
        return None
    return CleanEntry(
        reason,
        case_ref,
        legal_basis,
        effective,
        handling,
        source,
        info,
        retain or add_years(effective, RETENTION_YEARS[reason]),
        review or add_years(effective, REVIEW_AFTER_YEARS),
        narrative,
        retain is not None,
    )


def new_entry(
    uow: UnitOfWork,
    actor: Actor,
    official: Official,
    agency: Agency,
    clean: CleanEntry,
) -> RegistryEntry:
    """Build and seal an entry in the session (caller audits and commits)."""
    key_row, row = entry_row(uow, actor, official.id, agency, clean, uow.clock())
    entry = RegistryEntry(**row)
    uow.session.add_all([DataKey(**key_row), entry])
    return entry


def entry_row(
    uow: UnitOfWork,
    actor: Actor,
    official_id: uuid.UUID,
    agency: Agency,
    clean: CleanEntry,
    stamp: dt.datetime,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new active entry as plain rows (bulk paths insert them as such): its data key and the
    record."""
    from registry.services.retention import retention_until  # it imports this module

    entry_id = new_id()
    key_row, key = uow.vault.new_key_row(stamp)
    row: dict[str, Any] = {
        "id": entry_id,
        "version": 1,
        "official_id": official_id,
        "originating_agency_id": agency.id,
        "reason": clean.reason,
        "case_ref": clean.case_ref,
        "legal_basis": clean.legal_basis,
        "effective_date": clean.effective_date,
        "status": EntryStatus.ACTIVE,
        "handling_code": clean.handling_code,
        "source_reliability": clean.source_reliability,
        "information_reliability": clean.information_reliability,
        "retain_until": clean.retain_until
        if clean.retain_explicit
        else retention_until(uow, clean.reason, agency.country, clean.effective_date),
        "review_on": clean.review_on,
        "legal_hold": False,
        "data_key_id": key_row["id"],
        **seal_columns(
            key, RegistryEntry.__tablename__, entry_id, 1, RegistryEntry.ENCRYPTED,
            {"narrative": clean.narrative},
        ),
        "shredded_at": None,
        "created_by": actor.user_id,
        "created_at": stamp,
        "updated_at": stamp,
    }
    return key_row, row


def entry_audit_details(
    official_id: uuid.UUID, agency: Agency, reason: EntryReason, case_ref: str
) -> dict[str, str]:
    """What an entry's creation event records: never the person's identity."""
    return {
        "official": str(official_id),
        "agency": agency.code,
        "reason": reason.value,
        "case_ref": case_ref,
    }


def list_entry(uow: UnitOfWork, actor: Actor, data: EntryInput) -> uuid.UUID:
    """List an official as failed or expelled; one entry per originating agency and case."""
    with uow:
        official = load_official(uow, data.official_id)
        uow.require(
            actor,
            Permission.ENTRY_CREATE,
            official_target(uow, official),
            action="entry.create",
            object_type="official",
            object_id=official.id,
        )
        problems = Problems()
        clean = validate_entry(problems, data, uow.today())
        agency = agency_by_code(uow, data.originating_agency) if data.originating_agency else None
        if data.originating_agency and agency is None:
            problems.add("originating_agency", f"agency {data.originating_agency!r} does not exist")
        if agency and agency.country != actor.country:
            problems.add("originating_agency", "must be an agency of your own country")
        problems.check()
        assert clean
        agency = agency or uow.session.get(Agency, actor.agency_id)
        assert agency
        if uow.session.scalar(
            select(RegistryEntry.id).where(
                RegistryEntry.originating_agency_id == agency.id,
                RegistryEntry.case_ref == clean.case_ref,
            )
        ):
            raise Conflict(f"{agency.code} already listed case {clean.case_ref}")
        entry = new_entry(uow, actor, official, agency, clean)
        uow.audit.append(
            actor,
            "entry.create",
            object_type="entry",
            object_id=entry.id,
            details=entry_audit_details(entry.official_id, agency, entry.reason, entry.case_ref),
        )
        uow.commit()
        return entry.id


def entry_view(entry: RegistryEntry, narrative: str | None = None) -> EntryView:
    agency = entry.originating_agency
    return EntryView(
        entry.id,
        entry.official_id,
        entry.reason,
        entry.status,
        agency.code,
        agency.country.value,
        entry.case_ref,
        entry.legal_basis,
        entry.effective_date,
        entry.handling_code,
        entry.source_reliability,
        entry.information_reliability,
        entry.retain_until,
        entry.review_on,
        entry.version,
        narrative,
    )


def load_entry(uow: UnitOfWork, entry_id: uuid.UUID | str) -> RegistryEntry:
    entry = load(uow, RegistryEntry, entry_id, "entry")
    assert isinstance(entry, RegistryEntry)
    return entry


def entry_target(uow: UnitOfWork, entry: RegistryEntry) -> Target:
    official_scope = official_target(uow, entry.official)
    return Target(
        country=entry.originating_agency.country,
        joint_taskforce=official_scope.joint_taskforce,
        agency_id=entry.originating_agency_id,
    )


def get_entry(
    uow: UnitOfWork, actor: Actor, entry_id: uuid.UUID | str, purpose: str | None = None
) -> EntryView:
    """An entry with its narrative, for readers in scope; the read is audited."""
    with uow:
        entry = load_entry(uow, entry_id)
        uow.require(
            actor,
            Permission.ENTRY_READ,
            entry_target(uow, entry),
            action="entry.read",
            object_type="entry",
            object_id=entry.id,
        )
        view = entry_view(entry, uow.vault.open(entry, "narrative"))
        uow.audit.append(
            actor, "entry.read", object_type="entry", object_id=entry.id, purpose=purpose
        )
        uow.commit()
        return view


def list_official_entries(
    uow: UnitOfWork, actor: Actor, official_id: uuid.UUID | str
) -> list[EntryView]:
    """An official's entries without narratives (for the official's page)."""
    with uow:
        official = load_official(uow, official_id)
        uow.require(
            actor,
            Permission.OFFICIAL_READ,
            official_target(uow, official),
            action="entry.list",
            object_type="official",
            object_id=official.id,
        )
        rows = uow.session.scalars(
            select(RegistryEntry)
            .where(RegistryEntry.official_id == official.id)
            .order_by(RegistryEntry.effective_date.desc())
        )
        return [entry_view(e) for e in rows]
