"""Issuing signed checkpoints of the audit log and collecting the witnesses' cosignatures.

A checkpoint is signed only after the whole log verifies. Each country's witness is asked with
a consistency proof from the last checkpoint it cosigned; a checkpoint is final when every
country named by the policy has cosigned it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from registry.audit.checkpoint import (
    Checkpoint,
    Note,
    NoteSignature,
    VerifierKey,
    cosignature_timestamp,
    sign_checkpoint,
)
from registry.audit.config import AuditSettings
from registry.audit.errors import AuditError, NoteError, OldSizeMismatch
from registry.audit.merkle import MerkleTree
from registry.audit.scan import scan
from registry.audit.store import (
    LEAF_CACHE,
    add_cosignature,
    checkpoint_records,
    last_cosigned_size,
    next_checkpoint_number,
)
from registry.audit.verify import (
    CheckpointStatus,
    TrustAnchors,
    VerificationReport,
    check_checkpoints,
    verify_history,
)
from registry.audit.witness_http import WitnessClient
from registry.crypto.signing import SigningKey
from registry.errors import Conflict, NotFound, ValidationFailed
from registry.models.audit_log import AuditCheckpoint
from registry.models.enums import AuditOutcome
from registry.policy import NO_TARGET, Actor, Permission, can
from registry.uow import UnitOfWork


@dataclass(frozen=True)
class IssuedCheckpoint:
    """A new checkpoint and the tree it was computed from (for the witnesses' proofs)."""

    number: int
    tree_size: int
    root_hex: str
    note: str
    tree: MerkleTree


@dataclass(frozen=True)
class CosignOutcome:
    """What one country's witness answered."""

    country: str
    cosigned: bool
    message: str


@dataclass(frozen=True)
class CosignReport:
    number: int
    outcomes: list[CosignOutcome]
    status: CheckpointStatus


def _require(uow: UnitOfWork, actor: Actor, action: str) -> None:
    uow.require(actor, Permission.AUDIT_CHECKPOINT, NO_TARGET, action=action,
                object_type="checkpoint")


def issue_checkpoint(uow: UnitOfWork, actor: Actor, settings: AuditSettings,
                     key: SigningKey) -> IssuedCheckpoint:
    """Verify the log, then sign and store a checkpoint over every event so far."""
    anchors = settings.anchors(key)
    with uow:
        _require(uow, actor, "audit.checkpoint")
        records = checkpoint_records(uow.session)
        report = verify_history(scan(uow.session.connection()), records, anchors)
        tree = report.tree
        assert tree is not None
        if not report.ok:
            first = report.first_problem
            assert first is not None
            uow.audit.append(actor, "audit.checkpoint", object_type="checkpoint",
                             outcome=AuditOutcome.FAILED,
                             details={"reason": "log_does_not_verify", "first_kind": first.kind,
                                      "first_position": first.position})
            uow.commit()
            raise Conflict(f"refusing to sign a checkpoint: {first}")
        size = tree.size
        root = tree.root(size)
        note = sign_checkpoint(Checkpoint(settings.origin, size, root), key)
        number = next_checkpoint_number(uow.session)
        uow.session.add(AuditCheckpoint(number=number, origin=settings.origin, tree_size=size,
                                        root_hash=root, log_vkey=anchors.log_vkey, note=note,
                                        issued_at=uow.clock()))
        uow.audit.append(actor, "audit.checkpoint", object_type="checkpoint", object_id=str(number),
                         details={"size": size, "root": root.hex()})
        uow.commit()
        return IssuedCheckpoint(number, size, root.hex(), note, tree)


def _ask(client: WitnessClient, old_size: int, tree: MerkleTree, size: int, note: str) -> str:
    try:
        return client.add_checkpoint(old_size, tree.consistency_proof(old_size, size), note)
    except OldSizeMismatch as exc:
        # The witness remembers another size (e.g. it cosigned for another copy of the log).
        # Retry once from its size; if that is beyond ours, offer ours anyway so that the
        # witness records the rollback as evidence.
        latest = exc.latest_size
        proof = tree.consistency_proof(latest, size) if 0 <= latest <= size else []
        return client.add_checkpoint(latest, proof, note)


def _accept(line: str, vkey: str, text: str) -> NoteSignature:
    key = VerifierKey.parse(vkey)
    for raw in line.splitlines():
        if not raw.strip():
            continue
        sig = NoteSignature.parse_line(raw)
        if key.matches(sig) and key.verify(text, sig):
            return sig
    raise NoteError("the witness answered without a valid cosignature from its configured key")


def collect_cosignatures(
    uow: UnitOfWork, actor: Actor, settings: AuditSettings, number: int,
    witnesses: Mapping[str, WitnessClient], tree: MerkleTree, log_key: SigningKey,
) -> CosignReport:
    """Ask each country's witness to cosign checkpoint `number`; store what verifies."""
    with uow:
        _require(uow, actor, "audit.cosign")
        checkpoint = uow.session.get(AuditCheckpoint, number)
        if checkpoint is None:
            raise NotFound(f"checkpoint {number} does not exist")
        missing_keys = [c for c in witnesses if c not in settings.witness_vkeys]
        if missing_keys:
            raise ValidationFailed.single(
                "VETREG_WITNESS_KEYS", f"no witness key configured for {', '.join(missing_keys)}")
        text = Note.parse(checkpoint.note).text
        outcomes: list[CosignOutcome] = []
        for country, client in witnesses.items():
            vkey = settings.witness_vkeys[country]
            old = min(last_cosigned_size(uow.session, vkey), checkpoint.tree_size)
            try:
                sig = _accept(_ask(client, old, tree, checkpoint.tree_size, checkpoint.note),
                              vkey, text)
            except AuditError as exc:
                outcomes.append(CosignOutcome(country, False, str(exc)))
                uow.audit.append(actor, "audit.cosign", object_type="checkpoint",
                                 object_id=str(number), outcome=AuditOutcome.FAILED,
                                 details={"country": country, "reason": exc.code})
                continue
            add_cosignature(uow.session, checkpoint, country, vkey, sig.line(),
                            cosignature_timestamp(sig), uow.clock())
            outcomes.append(CosignOutcome(country, True, "cosigned"))
            uow.audit.append(actor, "audit.cosign", object_type="checkpoint",
                             object_id=str(number), details={"country": country})
        uow.commit()
    status = checkpoint_status(uow, actor, settings.anchors(log_key), number, tree)
    return CosignReport(number, outcomes, status)


def _require_status(uow: UnitOfWork, actor: Actor) -> None:
    # Those who issue checkpoints may see their standing; otherwise it is an auditor's read.
    if not can(actor, Permission.AUDIT_CHECKPOINT):
        uow.require(actor, Permission.AUDIT_READ, NO_TARGET, action="audit.checkpoints",
                    object_type="checkpoint")


def checkpoint_statuses(uow: UnitOfWork, actor: Actor, anchors: TrustAnchors,
                        tree: MerkleTree | None = None) -> list[CheckpointStatus]:
    """Every checkpoint, oldest first: log signature, root over the stored events, finality."""
    with uow:
        _require_status(uow, actor)
        records = checkpoint_records(uow.session)
        size = max((r.tree_size for r in records), default=0)
        if tree is None:
            tree = LEAF_CACHE.tree(uow.session.connection(), size)
    report = VerificationReport()
    check_checkpoints(records, tree, anchors, report)
    return report.checkpoints


def checkpoint_status(uow: UnitOfWork, actor: Actor, anchors: TrustAnchors, number: int,
                      tree: MerkleTree | None = None) -> CheckpointStatus:
    """Signature, root and finality of one checkpoint."""
    for status in checkpoint_statuses(uow, actor, anchors, tree):
        if status.number == number:
            return status
    raise NotFound(f"checkpoint {number} does not exist")
