"""Checkpoints over the real log: signed, cosigned by each country's witness, final by policy."""

from __future__ import annotations

import pytest

from registry.audit.checkpoint import (
    Checkpoint,
    open_checkpoint,
    sign_checkpoint,
    verify_cosignature,
)
from registry.audit.config import AuditSettings
from registry.audit.merkle import MerkleTree, leaf_hash, verify_consistency, verify_inclusion
from registry.audit.witness import is_final
from registry.context import RegistryContext
from registry.crypto.signing import Ed25519Key
from registry.errors import NotFound, PermissionDenied, ValidationFailed
from registry.services import audit, audit_checkpoints
from registry.services.audit import EventFilters
from tests.audit.conftest import Witnesses, with_policy
from tests.factories import World, register


def _issue(ctx: RegistryContext, world: World, settings: AuditSettings, key: Ed25519Key):
    return audit_checkpoints.issue_checkpoint(ctx.uow(), world.actor("MX", "admin"), settings, key)


def test_checkpoint_signed_and_cosigned_by_both_is_final(
    ctx: RegistryContext, world: World, audit_settings: AuditSettings, log_key: Ed25519Key,
    witnesses: Witnesses,
) -> None:
    register(ctx, world.mx_officer)
    issued = _issue(ctx, world, audit_settings, log_key)
    checkpoint, _ = open_checkpoint(issued.note, audit_settings.anchors(log_key).log_vkey)
    assert checkpoint.size == issued.tree_size and checkpoint.origin == audit_settings.origin

    report = audit_checkpoints.collect_cosignatures(
        ctx.uow(), world.actor("US", "admin"), audit_settings, issued.number, witnesses.clients(),
        issued.tree, log_key)
    assert [o.cosigned for o in report.outcomes] == [True, True]
    assert report.status.final and report.status.cosigned_by == ("MX", "US")

    proof = audit.prove_inclusion(ctx.uow(), world.actor("US", "auditor"), 1)
    final, missing = is_final(proof.checkpoint, witnesses.vkeys,
                              log_vkey=audit_settings.anchors(log_key).log_vkey)
    assert final and missing == []
    for vkey in witnesses.vkeys.values():
        verify_cosignature(proof.checkpoint, vkey)


def test_checkpoint_cosigned_by_one_country_only_is_not_final(
    ctx: RegistryContext, world: World, audit_settings: AuditSettings, log_key: Ed25519Key,
    witnesses: Witnesses,
) -> None:
    issued = _issue(ctx, world, audit_settings, log_key)
    report = audit_checkpoints.collect_cosignatures(
        ctx.uow(), world.actor("MX", "admin"), audit_settings, issued.number,
        witnesses.clients("MX"), issued.tree, log_key)
    assert report.status.cosigned_by == ("MX",)
    assert not report.status.final and report.status.missing == ("US",)
    verified = audit.verify_log(ctx.uow(), world.actor("US", "auditor"),
                                audit_settings.anchors(log_key))
    assert verified.ok and not verified.latest.final and verified.latest.missing == ("US",)
    # The policy is configurable: a deployment may require Mexico's witness alone.
    mx_only = with_policy(audit_settings, "MX")
    assert audit.verify_log(ctx.uow(), world.actor("US", "auditor"),
                            mx_only.anchors(log_key)).latest.final


def test_witness_refusing_is_recorded_and_checkpoint_stays_not_final(
    ctx: RegistryContext, world: World, audit_settings: AuditSettings, log_key: Ed25519Key,
    witnesses: Witnesses,
) -> None:
    # The US witness was first shown a larger, different history (a fork signed with the log
    # key): it must refuse the registry's real checkpoint and keep both as evidence.
    other = MerkleTree([leaf_hash(b"forged %d" % i) for i in range(500)])
    forged = sign_checkpoint(Checkpoint(audit_settings.origin, other.size, other.root()), log_key)
    witnesses.us.cosign(forged, [], witnesses.log_vkey)
    issued = _issue(ctx, world, audit_settings, log_key)
    report = audit_checkpoints.collect_cosignatures(
        ctx.uow(), world.actor("MX", "admin"), audit_settings, issued.number,
        witnesses.clients(), issued.tree, log_key)
    outcomes = {o.country: o for o in report.outcomes}
    assert outcomes["MX"].cosigned and not outcomes["US"].cosigned
    assert "rollback" in outcomes["US"].message
    assert not report.status.final and report.status.missing == ("US",)
    (evidence,) = witnesses.us.evidence_dir.iterdir()
    assert (evidence / "cosigned.checkpoint").read_text() == forged
    assert (evidence / "offered.checkpoint").read_text() == issued.note
    refused = audit.list_events(ctx.uow(), world.actor("US", "auditor"),
                                EventFilters(action="audit.cosign", outcome="failed"))
    assert refused.total == 1 and refused.items[0].details["country"] == "US"


def test_inclusion_and_consistency_proofs_verify_against_signed_roots(
    ctx: RegistryContext, world: World, audit_settings: AuditSettings, log_key: Ed25519Key,
) -> None:
    official = register(ctx, world.mx_officer)
    first = _issue(ctx, world, audit_settings, log_key)
    register(ctx, world.us_officer, 1)
    second = _issue(ctx, world, audit_settings, log_key)
    auditor = world.actor("US", "auditor")
    events = audit.list_events(ctx.uow(), auditor, EventFilters(object_id=str(official)))
    assert [e.action for e in events.items] == ["official.register"]
    detail = audit.get_event(ctx.uow(), auditor, str(events.items[0].id))
    proof = detail.proof
    assert proof is not None and proof.tree_size == second.tree_size
    checkpoint, _ = open_checkpoint(proof.checkpoint, audit_settings.anchors(log_key).log_vkey)
    verify_inclusion(proof.leaf_index, proof.tree_size, proof.leaf_hash, proof.hashes,
                     checkpoint.root_hash)
    consistency = audit.prove_consistency(ctx.uow(), auditor, first.tree_size)
    assert set(consistency.checkpoints) == {first.tree_size, second.tree_size}
    verify_consistency(first.tree_size, second.tree_size, bytes.fromhex(first.root_hex),
                       bytes.fromhex(second.root_hex), consistency.hashes)


def test_event_after_latest_checkpoint_has_no_proof_yet(
    ctx: RegistryContext, world: World, audit_settings: AuditSettings, log_key: Ed25519Key,
) -> None:
    _issue(ctx, world, audit_settings, log_key)
    official = register(ctx, world.mx_officer)
    auditor = world.actor("MX", "auditor")
    event = audit.list_events(ctx.uow(), auditor, EventFilters(object_id=str(official))).items[0]
    detail = audit.get_event(ctx.uow(), auditor, event.seq)
    assert detail.proof is None and "after the latest checkpoint" in (detail.pending_reason or "")
    with pytest.raises(NotFound):
        audit.prove_inclusion(ctx.uow(), auditor, event.seq)
    with pytest.raises(ValidationFailed) as err:
        audit.prove_consistency(ctx.uow(), auditor, 1, 10**9)
    assert err.value.problems[0].field == "new_size"


def test_only_auditors_read_and_only_admins_checkpoint_and_refusals_are_audited(
    ctx: RegistryContext, world: World, audit_settings: AuditSettings, log_key: Ed25519Key,
) -> None:
    screener = world.actor("MX", "screener")
    with pytest.raises(PermissionDenied):
        audit.list_events(ctx.uow(), screener)
    with pytest.raises(PermissionDenied):
        audit_checkpoints.issue_checkpoint(ctx.uow(), world.actor("MX", "auditor"),
                                           audit_settings, log_key)
    page = audit.list_events(ctx.uow(), world.actor("US", "auditor"),
                             EventFilters(outcome="denied"))
    assert [e.action for e in page.items[:2]] == ["audit.checkpoint", "audit.list"]
    assert page.items[1].actor_user_id == screener.user_id


def test_event_list_filters_and_paginates(
    ctx: RegistryContext, world: World,
) -> None:
    for n in range(3):
        register(ctx, world.mx_officer, n)
    auditor = world.actor("US", "auditor")
    page = audit.list_events(ctx.uow(), auditor,
                             audit.parse_filters({"action": "official.", "country": "mx"}),
                             page=1, per_page=2)
    assert page.total == 3 and page.pages == 2 and len(page.items) == 2
    assert page.items[0].seq > page.items[1].seq
    assert all(e.actor_agency == "MX-GN" for e in page.items)
    with pytest.raises(ValidationFailed) as err:
        audit.parse_filters({"country": "CA", "user": "bob", "since": "2026-13-01"})
    assert {p.field for p in err.value.problems} == {"country", "user", "since"}
