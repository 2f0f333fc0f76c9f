"""Errors raised by the tamper-evident audit log: proofs, signed notes and witnesses."""

from __future__ import annotations

from pathlib import Path

from registry.errors import RegistryError


class AuditError(RegistryError):
    """Base of every audit-log error."""

    code = "audit_error"


class ProofError(AuditError):
    """A Merkle inclusion or consistency proof did not verify, or could not be built."""

    code = "proof_invalid"


class NoteError(AuditError):
    """A signed note, checkpoint body or verifier key is malformed."""

    code = "note_malformed"


class SignatureError(AuditError):
    """A note carries no valid signature from the expected key, or a known key's signature fails."""

    code = "signature_invalid"


class WitnessRefusal(AuditError):
    """The witness refused to cosign a checkpoint."""

    code = "witness_refused"


class UntrustedLogKey(WitnessRefusal):
    """The log key offered for an origin is not the one the witness trusts for it."""

    code = "witness_untrusted_log"


class OldSizeMismatch(WitnessRefusal):
    """The caller's idea of the last cosigned size differs from the witness's record."""

    code = "witness_old_size_mismatch"

    def __init__(self, message: str, latest_size: int) -> None:
        super().__init__(message)
        self.latest_size = latest_size


class EvidenceRefusal(WitnessRefusal):
    """A refusal caused by log misbehaviour; both signed checkpoints were kept as evidence."""

    code = "witness_evidence"

    def __init__(self, message: str, evidence_dir: Path) -> None:
        super().__init__(f"{message} (evidence kept in {evidence_dir})")
        self.evidence_dir = evidence_dir


class RollbackRefused(EvidenceRefusal):
    """The log offered a checkpoint smaller than one the witness already cosigned."""

    code = "witness_rollback"


class ForkDetected(EvidenceRefusal):
    """The log offered a checkpoint that is not an extension of the last one cosigned."""

    code = "witness_fork"


class WitnessUnreachable(AuditError):
    """A witness could not be reached or answered outside the protocol."""

    code = "witness_unreachable"
