"""Retention rules, expiry with crypto-shredding, tombstones, appeals and legal holds."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import select

from registry.audit.events import canonical_bytes
from registry.audit.merkle import inclusion_proof, leaf_hash, root, root_from_inclusion_proof
from registry.context import RegistryContext
from registry.errors import (
    Conflict,
    DecryptionFailed,
    KeyUnavailable,
    PermissionDenied,
    ValidationFailed,
)
from registry.models import AuditEvent, DataKey, Official, OfficialIndex, RegistryEntry
from registry.models.enums import EntryStatus
from registry.policy import Actor
from registry.services import keys, retention
from registry.services.backup import verify_chain
from registry.services.entries import EntryInput, get_entry, list_entry
from registry.services.officials import (
    OfficialInput,
    find_by_curp,
    get_official,
    register_official,
)
from registry.services.redress import decide_redress, file_redress
from registry.services.screening import ScreeningInput, screen
from tests.factories import World, register
from tests.keys.worker import _curp

TODAY = dt.date(2026, 6, 1)
PERSON = OfficialInput("Xóchitl Amaranta", "Cuevas", "Iturbide", "1985-01-15", "M", _curp(7999))


def entry(ctx: RegistryContext, officer: Actor, official_id: uuid.UUID, case: str,
          effective: str = "2010-03-01", reason: str = "failed_vetting",
          retain_until: str | None = None) -> uuid.UUID:
    return list_entry(ctx.uow(), officer, EntryInput(
        official_id=official_id, reason=reason, case_ref=case, legal_basis="LGSNSP art. 88",
        effective_date=effective, narrative="Reprobó el polígrafo en dos ocasiones.",
        retain_until=retain_until))


def run(ctx: RegistryContext, operator: Actor, dry_run: bool = False) -> retention.RetentionReport:
    return retention.run_retention(ctx.uow, operator, dry_run=dry_run, today=TODAY)


def test_retain_until_follows_the_rule_for_reason_and_country(
    ctx: RegistryContext, world: World, operator: Actor
) -> None:
    retention.set_rule(ctx.uow(), operator, reason="failed_vetting", country="mx", years=3)
    mx = entry(ctx, world.mx_officer, register(ctx, world.mx_officer, 0), "A", "2020-01-10")
    us = entry(ctx, world.us_officer, register(ctx, world.us_officer, 1), "B", "2020-01-10")
    kept = entry(ctx, world.mx_officer, register(ctx, world.mx_officer, 2), "C", "2020-01-10",
                 retain_until="2031-05-05")
    assert get_entry(ctx.uow(), world.mx_officer, mx).retain_until == dt.date(2023, 1, 10)
    assert get_entry(ctx.uow(), world.us_officer, us).retain_until == dt.date(2030, 1, 10)
    assert get_entry(ctx.uow(), world.mx_officer, kept).retain_until == dt.date(2031, 5, 5)
    rules = {(r.reason.value, r.country.value): r for r in
             retention.list_rules(ctx.uow(), operator)}
    mx_rule, us_rule = rules[("failed_vetting", "MX")], rules[("expelled_corruption", "US")]
    assert (mx_rule.years, mx_rule.is_default) == (3, False)
    assert (us_rule.years, us_rule.is_default) == (20, True)
    # Changing the rule with --reapply moves the entries that followed the old one only.
    assert retention.set_rule(ctx.uow(), operator, reason="failed_vetting", country="MX",
                              years=5, reapply=True) == 1
    assert get_entry(ctx.uow(), world.mx_officer, mx).retain_until == dt.date(2025, 1, 10)
    assert get_entry(ctx.uow(), world.mx_officer, kept).retain_until == dt.date(2031, 5, 5)


def test_rule_input_errors_name_each_field(ctx: RegistryContext, operator: Actor) -> None:
    with pytest.raises(ValidationFailed) as caught:
        retention.set_rule(ctx.uow(), operator, reason="bribery", country="CA", years="ten")
    assert {p.field for p in caught.value.problems} == {"reason", "country", "years"}
    with pytest.raises(ValidationFailed, match="years: must be between 1 and 99"):
        retention.set_rule(ctx.uow(), operator, reason="failed_vetting", country="MX", years=0)


def test_dry_run_lists_what_would_go_and_changes_nothing(
    ctx: RegistryContext, world: World, operator: Actor
) -> None:
    old = entry(ctx, world.mx_officer, register(ctx, world.mx_officer, 0), "OLD")
    recent = entry(ctx, world.mx_officer, register(ctx, world.mx_officer, 1), "NEW", "2024-01-01")
    report = run(ctx, operator, dry_run=True)
    assert [e.entry_id for e in report.shredded] == [old] and report.kept == []
    assert recent not in [e.entry_id for e in report.shredded]
    view = get_entry(ctx.uow(), world.mx_officer, old)
    assert view.status is EntryStatus.ACTIVE and view.narrative
    with ctx.session_factory() as session:
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert last is not None and last.action == "entry.read"
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.dry_run"))


def test_entry_under_appeal_survives_its_retention_date(
    ctx: RegistryContext, world: World, operator: Actor
) -> None:
    officer = world.mx_officer
    appealed = entry(ctx, officer, register(ctx, officer, 0), "APPEAL")
    request = file_redress(ctx.uow(), officer, appealed, kind="appeal", grounds="Nuevas pruebas.")
    report = run(ctx, operator)
    assert report.shredded == [] and [(e.entry_id, e.kept_because) for e in report.kept] == [
        (appealed, "under_appeal")]
    view = get_entry(ctx.uow(), officer, appealed)
    assert view.status is EntryStatus.UNDER_APPEAL and view.narrative
    # Appeal denied: the entry is active again and goes at the next run.
    decide_redress(ctx.uow(), officer, request, granted=False, notes="Se confirma.")
    assert [e.entry_id for e in run(ctx, operator).shredded] == [appealed]


def test_legal_hold_keeps_an_entry_until_released(
    ctx: RegistryContext, world: World, operator: Actor
) -> None:
    officer = world.mx_officer
    held = entry(ctx, officer, register(ctx, officer, 0), "HOLD")
    first = retention.place_hold(ctx.uow(), officer, held, reason="court_order",
                                 reference="Amparo 123/2026")
    second = retention.place_hold(ctx.uow(), officer, held, reason="audit", reference="ASF-7")
    assert [(e.entry_id, e.kept_because) for e in run(ctx, operator).kept] == [(held, "legal_hold")]
    assert retention.release_hold(ctx.uow(), officer, first) is True
    assert run(ctx, operator).shredded == []
    with pytest.raises(Conflict, match="already released"):
        retention.release_hold(ctx.uow(), officer, first)
    assert retention.release_hold(ctx.uow(), officer, second) is False
    assert [h.active for h in retention.list_holds(ctx.uow(), officer, held)] == [False, False]
    assert [e.entry_id for e in run(ctx, operator).shredded] == [held]
    with pytest.raises(Conflict, match="already shredded"):
        retention.place_hold(ctx.uow(), officer, held, reason="litigation", reference="X-1")


def test_holds_are_for_officers_in_scope_and_validated(
    ctx: RegistryContext, world: World
) -> None:
    held = entry(ctx, world.mx_officer, register(ctx, world.mx_officer, 0), "SCOPE")
    for outsider in (world.us_officer, world.actor("MX", "screener"), world.actor("MX", "admin")):
        with pytest.raises(PermissionDenied):
            retention.place_hold(ctx.uow(), outsider, held, reason="audit", reference="R-1")
    with pytest.raises(ValidationFailed) as caught:
        retention.place_hold(ctx.uow(), world.mx_officer, held, reason="whim", reference=" ")
    assert {p.field for p in caught.value.problems} == {"reason", "reference"}


def test_identity_stays_while_the_official_has_another_entry(
    ctx: RegistryContext, world: World, operator: Actor
) -> None:
    officer = world.mx_officer
    official_id = register(ctx, officer, 0)
    gone = entry(ctx, officer, official_id, "GONE")
    entry(ctx, officer, official_id, "STAYS", "2025-01-01")
    report = run(ctx, operator)
    assert [(e.entry_id, e.identity) for e in report.shredded] == [(gone, "kept:other_entries")]
    assert get_official(ctx.uow(), officer, official_id).given_names


def test_retention_run_needs_the_permission(ctx: RegistryContext, world: World) -> None:
    with pytest.raises(PermissionDenied):
        retention.run_retention(ctx.uow, world.mx_officer, dry_run=True)


def test_shredded_entry_is_unrecoverable_unfindable_and_its_tombstone_verifies(
    registry: RegistryContext, people: World, operator: Actor
) -> None:
    officer, screener = people.mx_officer, people.actor("MX", "screener")
    official_id = register_official(registry.uow(), officer, PERSON)
    # In force today (so screening hits), past retention on the day the run is dated.
    entry_id = entry(registry, officer, official_id, "SHRED-1", "2020-03-01",
                     retain_until="2027-03-01")
    file_redress(registry.uow(), officer, entry_id, kind="access", grounds="Solicito acceso.")
    query = ScreeningInput(PERSON.given_names, PERSON.paternal_surname, PERSON.maternal_surname,
                           "1985-01-15", "M", PERSON.curp)
    assert screen(registry.uow(), screener, "HIRING", query).is_hit
    with registry.session_factory() as session:  # what an older backup holds
        official = session.get(Official, official_id)
        row = session.get(RegistryEntry, entry_id)
        assert official is not None and row is not None
        copies = [(k.kek_id, k.wrapped) for k in session.scalars(select(DataKey).where(
            DataKey.id.in_([official.data_key_id, row.data_key_id])))]

    report = retention.run_retention(registry.uow, operator, today=dt.date(2027, 6, 1))

    assert [(e.entry_id, e.identity) for e in report.shredded] == [(entry_id, "shredded")]
    with registry.session_factory() as session:
        assert session.scalar(select(RegistryEntry.narrative_ct).where(
            RegistryEntry.id == entry_id)) is None
        assert session.scalars(select(DataKey.wrapped).where(
            DataKey.destroyed_at.is_not(None))).all() == [None, None, None]
        assert session.scalar(select(OfficialIndex).where(
            OfficialIndex.official_id == official_id)) is None
    with pytest.raises(DecryptionFailed, match="destroyed"):
        get_official(registry.uow(), officer, official_id)
    assert not screen(registry.uow(), screener, "HIRING", query).is_hit
    uow = registry.uow()
    with uow:
        assert find_by_curp(uow, str(PERSON.curp)) is None
    # The next KEK rotation retires the KEK those copies were wrapped under: no key left opens them.
    keys.rotate_kek(registry, operator)
    for kek_id, wrapped in copies:
        assert wrapped is not None
        for candidate in {kek_id, *registry.provider.kek_ids()}:
            with pytest.raises((DecryptionFailed, KeyUnavailable)):
                registry.provider.unwrap(candidate, wrapped)

    with registry.session_factory() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        verify_chain(session)
    tombstone = next(e for e in events if e.action == "retention.shred")
    details = json.loads(tombstone.details)
    assert tombstone.object_id == str(entry_id) and details == {
        "official": str(official_id), "agency": "MX-GN", "reason": "failed_vetting",
        "effective_date": "2020-03-01", "retain_until": "2027-03-01",
        "shredded_on": details["shredded_on"], "data_keys_destroyed": 3, "identity": "shredded"}
    text = tombstone.details.upper()
    assert "XÓCHITL" not in text and "CUEVAS" not in text and "1985" not in text
    leaves = [leaf_hash(canonical_bytes(e)) for e in events]
    index = events.index(tombstone)
    proof = inclusion_proof(index, len(leaves), leaves)
    assert root_from_inclusion_proof(index, len(leaves), leaves[index], proof) == root(leaves)
