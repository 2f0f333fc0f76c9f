"""Retention rules, expiry with crypto-shredding, and legal holds.

An entry is kept until `retain_until` (effective date + the rule's years for its reason and
originating country). `run_retention` then expires it and destroys its data key, and those of
its redress requests, leaving a tombstone event in the audit log (ids, dates, reason code).
An entry under appeal, with an appeal pending, or under legal hold is never shredded.

The official's identity is shredded with their last entry (data key destroyed, blind-index
rows deleted) unless the official still has another entry that is not shredded, any vetting
evaluation, or a current task-force membership: vetting records follow the vetting lifecycle's
own rules, and a serving task-force member must stay identifiable. The tombstone says which.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, delete, exists, or_, select

from registry.errors import Conflict, NotFound
from registry.models import (
    DataKey,
    Evaluation,
    LegalHold,
    Membership,
    OfficialIndex,
    RedressRequest,
    RegistryEntry,
    RetentionRule,
)
from registry.models.enums import Country, EntryReason, EntryStatus, RedressKind, RedressStatus
from registry.policy import NO_TARGET, Actor, Permission
from registry.services.common import parse_id
from registry.services.dates import add_years
from registry.services.entries import RETENTION_YEARS, entry_target, load_entry
from registry.services.validation import Problems
from registry.uow import UnitOfWork

BATCH_SIZE = 200
MAX_YEARS = 99
HOLD_REASONS = ("litigation", "investigation", "court_order", "audit", "oversight_request")
KEEP_LEGAL_HOLD, KEEP_UNDER_APPEAL = "legal_hold", "under_appeal"


# --- rules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleView:
    reason: EntryReason
    country: Country
    years: int
    is_default: bool
    updated_at: dt.datetime | None = None
    updated_by: str | None = None


_RULES_CACHE = "vetreg_retention_rules"


def retention_years(uow: UnitOfWork, reason: EntryReason, country: Country | str) -> int:
    """Years an entry of this reason, listed by an agency of this country, is kept."""
    rules = uow.session.info.get(_RULES_CACHE)
    if rules is None:  # read once per unit of work (imports list thousands of entries)
        rows = uow.session.execute(select(RetentionRule.reason, RetentionRule.country,
                                          RetentionRule.years)).all()
        rules = uow.session.info[_RULES_CACHE] = {(r, c): y for r, c, y in rows}
    return int(rules.get((reason.value, str(country)), RETENTION_YEARS[reason]))


def retention_until(uow: UnitOfWork, reason: EntryReason, country: Country | str,
                    effective: dt.date) -> dt.date:
    return add_years(effective, retention_years(uow, reason, country))


def list_rules(uow: UnitOfWork, actor: Actor) -> list[RuleView]:
    """Every reason × country with its years, saying which are the built-in default."""
    with uow:
        uow.require(actor, Permission.RETENTION_RUN, NO_TARGET, action="retention.rules")
        stored = {(r.reason, r.country): r for r in uow.session.scalars(select(RetentionRule))}
        views = []
        for country in Country:
            for reason in EntryReason:
                row = stored.get((reason.value, country.value))
                views.append(RuleView(reason, country, RETENTION_YEARS[reason], True) if row is None
                             else RuleView(reason, country, row.years, False, row.updated_at,
                                           row.updated_by))
        return views


def set_rule(uow: UnitOfWork, actor: Actor, *, reason: str, country: str, years: int | str,
             reapply: bool = False) -> int:
    """Set the years for a reason and country; with `reapply`, entries that followed the old
    rule move to the new date. Returns how many entries moved."""
    with uow:
        uow.require(actor, Permission.RETENTION_RUN, NO_TARGET, action="retention.rule_set")
        problems = Problems()
        clean_reason = problems.choice("reason", reason, EntryReason)
        clean_country = problems.choice("country", (country or "").upper(), Country)
        clean_years = _years(problems, years)
        problems.check()
        assert clean_reason and clean_country and clean_years
        previous = retention_years(uow, clean_reason, clean_country)
        row = uow.session.get(RetentionRule, (clean_reason.value, clean_country.value))
        if row is None:
            row = RetentionRule(reason=clean_reason.value, country=clean_country.value)
            uow.session.add(row)
        row.years, row.updated_at, row.updated_by = clean_years, uow.clock(), actor.username[:64]
        uow.session.info.pop(_RULES_CACHE, None)
        moved = _reapply(uow, clean_reason, clean_country, previous, clean_years) if reapply else 0
        uow.audit.append(actor, "retention.rule_set", object_type="retention_rule",
                         object_id=f"{clean_reason.value}/{clean_country.value}",
                         details={"years": clean_years, "previous": previous, "moved": moved})
        uow.commit()
        return moved


def _years(problems: Problems, value: int | str) -> int | None:
    try:
        years = int(value)
    except (TypeError, ValueError):
        problems.add("years", "must be a whole number of years")
        return None
    if not 1 <= years <= MAX_YEARS:
        problems.add("years", f"must be between 1 and {MAX_YEARS}")
        return None
    return years


def _reapply(uow: UnitOfWork, reason: EntryReason, country: Country, old: int, new: int) -> int:
    entries = uow.session.scalars(select(RegistryEntry).where(
        RegistryEntry.reason == reason, RegistryEntry.shredded_at.is_(None),
        RegistryEntry.originating_agency.has(country=country)))
    moved = 0
    for entry in entries:
        if entry.retain_until == add_years(entry.effective_date, old):
            entry.retain_until = add_years(entry.effective_date, new)
            entry.updated_at = uow.clock()
            uow.vault.bump(entry)
            moved += 1
    return moved


# --- expiry and shredding ---------------------------------------------------------------------


@dataclass(frozen=True)
class Expiry:
    """One entry past its retention date: shredded (or, in a dry run, to be) or kept, and why."""

    entry_id: uuid.UUID
    official_id: uuid.UUID
    agency: str
    reason: str
    effective_date: dt.date
    retain_until: dt.date
    kept_because: str | None = None
    identity: str | None = None


@dataclass
class RetentionReport:
    today: dt.date
    dry_run: bool
    shredded: list[Expiry] = field(default_factory=list)
    kept: list[Expiry] = field(default_factory=list)

    @property
    def officials_shredded(self) -> int:
        return sum(1 for e in self.shredded if e.identity == "shredded")


def _pending_appeal() -> ColumnElement[bool]:
    return exists().where(RedressRequest.entry_id == RegistryEntry.id,
                          RedressRequest.kind == RedressKind.APPEAL,
                          RedressRequest.status == RedressStatus.PENDING)


def _expired(today: dt.date) -> ColumnElement[bool]:
    return (RegistryEntry.retain_until < today) & RegistryEntry.shredded_at.is_(None)


def _protected() -> ColumnElement[bool]:
    return or_(RegistryEntry.legal_hold.is_(True),
               RegistryEntry.status == EntryStatus.UNDER_APPEAL, _pending_appeal())


def _expiry(entry: RegistryEntry, kept: str | None = None, identity: str | None = None) -> Expiry:
    return Expiry(entry.id, entry.official_id, entry.originating_agency.code, entry.reason.value,
                  entry.effective_date, entry.retain_until, kept, identity)


def _kept_because(entry: RegistryEntry) -> str:
    return KEEP_LEGAL_HOLD if entry.legal_hold else KEEP_UNDER_APPEAL


def _identity_keeper(uow: UnitOfWork, official_id: uuid.UUID) -> str | None:
    """Why the official's identity must stay, or None when it goes with the last entry."""
    s = uow.session
    if s.scalar(select(exists().where(RegistryEntry.official_id == official_id,
                                      RegistryEntry.shredded_at.is_(None)))):
        return "kept:other_entries"
    if s.scalar(select(exists().where(Evaluation.official_id == official_id))):
        return "kept:evaluations"
    if s.scalar(select(exists().where(Membership.official_id == official_id,
                                      Membership.left_on.is_(None)))):
        return "kept:task_force"
    return None


def _destroy(uow: UnitOfWork, key_ids: Sequence[uuid.UUID]) -> int:
    count = 0
    for key in uow.session.scalars(select(DataKey).where(DataKey.id.in_(key_ids),
                                                         DataKey.wrapped.is_not(None))):
        key.wrapped, key.destroyed_at = None, uow.clock()
        count += 1
    return count


def shred_entry(uow: UnitOfWork, actor: Actor, entry: RegistryEntry) -> Expiry:
    """Expire one entry and destroy its keys, writing its tombstone (caller commits)."""
    now = uow.clock()
    requests = uow.session.scalars(select(RedressRequest.data_key_id).where(
        RedressRequest.entry_id == entry.id)).all()
    destroyed = _destroy(uow, [entry.data_key_id, *requests])
    entry.status, entry.shredded_at, entry.updated_at = EntryStatus.EXPIRED, now, now
    entry.narrative_ct = None
    entry.version += 1
    uow.session.flush()
    identity = _identity_keeper(uow, entry.official_id)
    if identity is None:
        official = entry.official
        destroyed += _destroy(uow, [official.data_key_id])
        uow.session.execute(delete(OfficialIndex).where(
            OfficialIndex.official_id == official.id))
        identity = "shredded"
    uow.audit.append(actor, "retention.shred", object_type="entry", object_id=entry.id, details={
        "official": str(entry.official_id), "agency": entry.originating_agency.code,
        "reason": entry.reason.value, "effective_date": entry.effective_date.isoformat(),
        "retain_until": entry.retain_until.isoformat(), "shredded_on": now.date().isoformat(),
        "data_keys_destroyed": destroyed, "identity": identity})
    return _expiry(entry, None, identity)


def run_retention(new_uow: Callable[[], UnitOfWork], actor: Actor, *, dry_run: bool = False,
                  today: dt.date | None = None, batch_size: int = BATCH_SIZE,
                  progress: Callable[[int], None] | None = None) -> RetentionReport:
    """Expire and shred every entry past its retention date, in batches (one transaction each).

    A dry run changes nothing and lists what would go and what is kept.
    """
    with new_uow() as uow:
        uow.require(actor, Permission.RETENTION_RUN, NO_TARGET, action="retention.run")
        day = today or uow.today()
        report = RetentionReport(day, dry_run)
        for entry in uow.session.scalars(select(RegistryEntry).where(_expired(day), _protected())
                                         .order_by(RegistryEntry.retain_until, RegistryEntry.id)):
            report.kept.append(_expiry(entry, _kept_because(entry)))
        if dry_run:
            for entry in uow.session.scalars(_shreddable(day, None)):
                report.shredded.append(_expiry(entry))
            uow.audit.append(actor, "retention.dry_run", object_type="retention",
                             details=_summary(report))
            uow.commit()
            return report
    while True:
        with new_uow() as uow:
            batch = uow.session.scalars(_shreddable(day, batch_size)).all()
            for entry in batch:
                report.shredded.append(shred_entry(uow, actor, entry))
            if batch:
                uow.commit()
        if progress and batch:
            progress(len(batch))
        if len(batch) < batch_size:
            break
    with new_uow() as uow:
        uow.audit.append(actor, "retention.run", object_type="retention", details=_summary(report))
        uow.commit()
    return report


def _shreddable(day: dt.date, limit: int | None) -> Select[RegistryEntry]:
    query = (select(RegistryEntry).where(_expired(day), ~_protected())
             .order_by(RegistryEntry.retain_until, RegistryEntry.id))
    return query.limit(limit) if limit else query


def _summary(report: RetentionReport) -> dict[str, str | int | bool | list[str] | None]:
    return {"today": report.today.isoformat(), "dry_run": report.dry_run,
            "shredded": len(report.shredded), "officials_shredded": report.officials_shredded,
            "kept_legal_hold": sum(1 for e in report.kept if e.kept_because == KEEP_LEGAL_HOLD),
            "kept_under_appeal": sum(1 for e in report.kept
                                     if e.kept_because == KEEP_UNDER_APPEAL)}


# --- legal holds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoldView:
    id: uuid.UUID
    entry_id: uuid.UUID
    reason_code: str
    reference: str
    placed_at: dt.datetime
    released_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.released_at is None


def _hold_view(hold: LegalHold) -> HoldView:
    return HoldView(hold.id, hold.entry_id, hold.reason_code, hold.reference, hold.placed_at,
                    hold.released_at)


def place_hold(uow: UnitOfWork, actor: Actor, entry_id: uuid.UUID | str, *, reason: str,
               reference: str) -> uuid.UUID:
    """Keep an entry past its retention date until the hold is released (court order, ...)."""
    with uow:
        entry = load_entry(uow, entry_id)
        uow.require(actor, Permission.LEGAL_HOLD, entry_target(uow, entry),
                    action="entry.legal_hold", object_type="entry", object_id=entry.id)
        problems = Problems()
        code = (reason or "").strip().lower()
        if code not in HOLD_REASONS:
            problems.add("reason", f"must be one of: {', '.join(HOLD_REASONS)}")
        clean_ref = problems.text("reference", reference, max_length=64)
        problems.check()
        assert clean_ref
        if entry.shredded_at is not None:
            raise Conflict("this entry was already shredded; there is nothing left to hold")
        hold = LegalHold(entry_id=entry.id, reason_code=code, reference=clean_ref,
                         placed_at=uow.clock(), placed_by=actor.user_id)
        uow.session.add(hold)
        if not entry.legal_hold:
            entry.legal_hold, entry.updated_at = True, uow.clock()
            uow.vault.bump(entry)
        uow.session.flush()
        uow.audit.append(actor, "entry.legal_hold", object_type="entry", object_id=entry.id,
                         details={"hold": str(hold.id), "reason": code, "reference": clean_ref})
        uow.commit()
        return hold.id


def release_hold(uow: UnitOfWork, actor: Actor, hold_id: uuid.UUID | str) -> bool:
    """Release a hold; returns whether the entry is still held by another one."""
    with uow:
        hold = uow.session.get(LegalHold, parse_id(hold_id, "legal hold"))
        if hold is None:
            raise NotFound(f"legal hold {hold_id} does not exist")
        entry = load_entry(uow, hold.entry_id)
        uow.require(actor, Permission.LEGAL_HOLD, entry_target(uow, entry),
                    action="entry.legal_hold_release", object_type="entry", object_id=entry.id)
        if hold.released_at is not None:
            raise Conflict("this legal hold was already released")
        hold.released_at, hold.released_by = uow.clock(), actor.user_id
        uow.session.flush()
        still_held = bool(uow.session.scalar(select(exists().where(
            LegalHold.entry_id == entry.id, LegalHold.released_at.is_(None)))))
        if entry.legal_hold != still_held:
            entry.legal_hold, entry.updated_at = still_held, uow.clock()
            uow.vault.bump(entry)
        uow.audit.append(actor, "entry.legal_hold_release", object_type="entry",
                         object_id=entry.id, details={"hold": str(hold.id),
                                                      "still_held": still_held})
        uow.commit()
        return still_held


def list_holds(uow: UnitOfWork, actor: Actor, entry_id: uuid.UUID | str) -> list[HoldView]:
    """Holds on an entry, newest first, active and released."""
    with uow:
        entry = load_entry(uow, entry_id)
        uow.require(actor, Permission.LEGAL_HOLD, entry_target(uow, entry),
                    action="entry.legal_hold_list", object_type="entry", object_id=entry.id)
        holds = uow.session.scalars(select(LegalHold).where(LegalHold.entry_id == entry.id)
                                    .order_by(LegalHold.placed_at.desc()))
        return [_hold_view(h) for h in holds]
