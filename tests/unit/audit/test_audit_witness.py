"""The witness: cosigns consistent growth, refuses rollback and forks, keeps evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.audit.checkpoint import (
    Checkpoint,
    Note,
    NoteSignature,
    add_signature_lines,
    signing_vkey,
    verify_cosignature,
)
from registry.audit.checkpoint import (
    sign_checkpoint as sign,
)
from registry.audit.errors import (
    AuditError,
    ForkDetected,
    NoteError,
    OldSizeMismatch,
    RollbackRefused,
    SignatureError,
    UntrustedLogKey,
    WitnessRefusal,
)
from registry.audit.merkle import MerkleTree
from registry.audit.witness import Witness, is_final
from registry.crypto.signing import Ed25519Key

ORIGIN = "registry.example/audit"
LOG = Ed25519Key.from_seed(ORIGIN, bytes(range(1, 33)))
LOG_VKEY = signing_vkey(LOG)
MX = Ed25519Key.from_seed("witness.mx.example/w1", bytes(range(2, 34)))
US = Ed25519Key.from_seed("witness.us.example/w1", bytes(range(3, 35)))


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _tree(n: int, tag: bytes = b"event") -> MerkleTree:
    return MerkleTree.from_leaf_data(tag + i.to_bytes(4, "big") for i in range(n))


def _checkpoint(tree: MerkleTree, size: int, key: Ed25519Key = LOG) -> str:
    return sign(Checkpoint(ORIGIN, size, tree.root(size)), key)


@pytest.fixture
def witness(tmp_path: Path) -> Witness:
    return Witness(tmp_path / "mx-witness.json", MX, clock=Clock())


def _evidence(witness: Witness) -> list[Path]:
    if not witness.evidence_dir.exists():
        return []
    return sorted(witness.evidence_dir.iterdir())


def test_cosigns_first_checkpoint_and_consistent_extension(witness: Witness) -> None:
    tree = _tree(20)
    first = _checkpoint(tree, 7)
    line = witness.cosign(first, [], LOG_VKEY)
    assert verify_cosignature(add_signature_lines(first, line), witness.vkey) == 1_700_000_000
    record = witness.latest(ORIGIN)
    assert record is not None
    assert (record.size, record.root_hash, record.checkpoint) == (7, tree.root(7), first)

    second = _checkpoint(tree, 20)
    line = witness.cosign(second, tree.consistency_proof(7, 20), LOG_VKEY, old_size=7)
    verify_cosignature(add_signature_lines(second, line), witness.vkey)
    record = witness.latest(ORIGIN)
    assert record is not None and record.size == 20
    assert _evidence(witness) == []
    leftovers = [p.name for p in witness.state_path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_state_survives_a_new_witness_instance(witness: Witness) -> None:
    tree = _tree(10)
    witness.cosign(_checkpoint(tree, 10), [], LOG_VKEY)
    again = Witness(witness.state_path, MX)
    record = again.latest(ORIGIN)
    assert record is not None and record.size == 10
    state = json.loads(witness.state_path.read_text())
    assert state["witness"] == witness.vkey
    assert state["logs"][ORIGIN]["size"] == 10


def test_same_checkpoint_is_cosigned_again(witness: Witness) -> None:
    tree = _tree(5)
    witness.cosign(_checkpoint(tree, 5), [], LOG_VKEY)
    witness.cosign(_checkpoint(tree, 5), [], LOG_VKEY)
    with pytest.raises(WitnessRefusal):
        witness.cosign(_checkpoint(tree, 5), [tree.root(5)], LOG_VKEY)


def test_refuses_rollback_and_keeps_both_checkpoints(witness: Witness) -> None:
    tree = _tree(10)
    newer = _checkpoint(tree, 10)
    witness.cosign(newer, [], LOG_VKEY)
    older = _checkpoint(tree, 4)
    with pytest.raises(RollbackRefused) as caught:
        witness.cosign(older, [], LOG_VKEY)
    folder = caught.value.evidence_dir
    assert _evidence(witness) == [folder]
    assert (folder / "cosigned.checkpoint").read_text() == newer
    assert (folder / "offered.checkpoint").read_text() == older
    details = json.loads((folder / "details.json").read_text())
    assert details["kind"] == "witness_rollback"
    assert (details["cosigned"]["size"], details["offered"]["size"]) == (10, 4)
    record = witness.latest(ORIGIN)
    assert record is not None and record.size == 10


def test_refuses_fork_at_same_size_and_keeps_both_checkpoints(witness: Witness) -> None:
    honest = _checkpoint(_tree(10), 10)
    witness.cosign(honest, [], LOG_VKEY)
    forked = _checkpoint(_tree(10, b"rewritten"), 10)
    with pytest.raises(ForkDetected) as caught:
        witness.cosign(forked, [], LOG_VKEY)
    folder = caught.value.evidence_dir
    assert (folder / "cosigned.checkpoint").read_text() == honest
    assert (folder / "offered.checkpoint").read_text() == forked
    record = witness.latest(ORIGIN)
    assert record is not None and record.checkpoint == honest


def test_refuses_extension_without_valid_consistency_proof(witness: Witness) -> None:
    honest = _tree(10)
    witness.cosign(_checkpoint(honest, 8), [], LOG_VKEY)
    forked = MerkleTree(
        [*(_tree(8, b"rewritten").leaf_hash(i) for i in range(8)), honest.leaf_hash(8)]
    )
    offered = _checkpoint(forked, 9)
    with pytest.raises(ForkDetected) as caught:
        witness.cosign(offered, forked.consistency_proof(8, 9), LOG_VKEY)
    assert (caught.value.evidence_dir / "offered.checkpoint").read_text() == offered
    with pytest.raises(ForkDetected):
        witness.cosign(_checkpoint(honest, 10), [], LOG_VKEY)
    assert len(_evidence(witness)) == 2
    witness.cosign(_checkpoint(honest, 10), honest.consistency_proof(8, 10), LOG_VKEY)


def test_refuses_badly_signed_or_malformed_checkpoints(witness: Witness) -> None:
    tree = _tree(3)
    impostor = Ed25519Key.generate_in_memory(ORIGIN)
    with pytest.raises(SignatureError):
        witness.cosign(_checkpoint(tree, 3, impostor), [], LOG_VKEY)
    with pytest.raises(NoteError):
        witness.cosign("not a note", [], LOG_VKEY)
    assert witness.latest(ORIGIN) is None


def test_pins_the_log_key_first_seen(witness: Witness) -> None:
    tree = _tree(3)
    witness.cosign(_checkpoint(tree, 2), [], LOG_VKEY)
    other = Ed25519Key.generate_in_memory(ORIGIN)
    with pytest.raises(UntrustedLogKey):
        witness.cosign(_checkpoint(tree, 3, other), [], signing_vkey(other))


def test_configured_logs_only(tmp_path: Path) -> None:
    witness = Witness(tmp_path / "w.json", MX, trusted_logs={ORIGIN: LOG_VKEY})
    stranger = Ed25519Key.generate_in_memory("elsewhere.example/log")
    tree = _tree(2)
    with pytest.raises(UntrustedLogKey):
        witness.cosign(
            sign(Checkpoint(stranger.name, 2, tree.root()), stranger), [], signing_vkey(stranger)
        )
    impostor = Ed25519Key.generate_in_memory(ORIGIN)
    with pytest.raises(UntrustedLogKey):
        witness.cosign(_checkpoint(tree, 2, impostor), [], signing_vkey(impostor))
    witness.cosign(_checkpoint(tree, 2), [], LOG_VKEY)


def test_old_size_must_match_the_record(witness: Witness) -> None:
    tree = _tree(9)
    witness.cosign(_checkpoint(tree, 4), [], LOG_VKEY, old_size=0)
    with pytest.raises(OldSizeMismatch) as caught:
        witness.cosign(_checkpoint(tree, 9), tree.consistency_proof(3, 9), LOG_VKEY, old_size=3)
    assert caught.value.latest_size == 4
    with pytest.raises(WitnessRefusal):
        Witness(witness.state_path.with_name("fresh.json"), MX).cosign(
            _checkpoint(tree, 9), tree.consistency_proof(4, 9), LOG_VKEY
        )


def test_unreadable_state_is_an_error_not_a_reset(witness: Witness) -> None:
    witness.state_path.write_text("{not json")
    with pytest.raises(AuditError):
        witness.cosign(_checkpoint(_tree(1), 1), [], LOG_VKEY)
    assert witness.state_path.read_text() == "{not json"


def test_finality_needs_every_country(tmp_path: Path) -> None:
    mx = Witness(tmp_path / "mx.json", MX)
    us = Witness(tmp_path / "us.json", US)
    required = {"MX": mx.vkey, "US": us.vkey}
    tree = _tree(6)
    signed = _checkpoint(tree, 6)

    with_mx = add_signature_lines(signed, mx.cosign(signed, [], LOG_VKEY))
    assert is_final(with_mx, required) == (False, ["US"])
    assert is_final(signed, required) == (False, ["MX", "US"])

    both = add_signature_lines(with_mx, us.cosign(signed, [], LOG_VKEY))
    assert is_final(both, required) == (True, [])
    assert is_final(both, required, log_vkey=LOG_VKEY) == (True, [])

    note = Note.parse(both)
    us_sig = note.signatures[-1]
    broken = NoteSignature(
        us_sig.name, us_sig.key_id, us_sig.signature[:-1] + bytes([us_sig.signature[-1] ^ 1])
    )
    damaged = Note(note.text, (*note.signatures[:-1], broken)).serialize()
    assert is_final(damaged, required) == (False, ["US"])

    impostor = Ed25519Key.generate_in_memory(ORIGIN)
    with pytest.raises(SignatureError):
        is_final(both, required, log_vkey=signing_vkey(impostor))
    with pytest.raises(NoteError):
        is_final(both, {"MX": signing_vkey(MX)})
    with pytest.raises(ValueError):
        is_final(both, {})
