"""Property tests: proofs verify for any tree, and any one-byte change is detected."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.audit.checkpoint import (
    Checkpoint,
    Note,
    NoteSignature,
    add_signature_lines,
    cosign_checkpoint,
    cosigning_vkey,
    open_checkpoint,
    sign_checkpoint,
    signing_vkey,
    verify_cosignature,
)
from registry.audit.errors import AuditError, ProofError
from registry.audit.merkle import MerkleTree, leaf_hash, verify_consistency, verify_inclusion
from registry.crypto.signing import Ed25519Key

PROPS = settings(max_examples=150, deadline=None, database=None)

LOG_KEY = Ed25519Key.from_seed("log.example/vetting", bytes(range(32)))
WITNESS_KEY = Ed25519Key.from_seed("witness.example/mx", bytes(range(32, 64)))

leaf_lists = st.lists(st.binary(min_size=1, max_size=24), min_size=1, max_size=200)


def _flip(value: bytes, position: int, mask: int) -> bytes:
    position %= len(value)
    return value[:position] + bytes([value[position] ^ mask]) + value[position + 1 :]


def _tampered_tree(leaves: list[bytes], which: int, position: int, mask: int) -> MerkleTree:
    changed = list(leaves)
    changed[which] = _flip(changed[which], position, mask)
    return MerkleTree.from_leaf_data(changed)


@PROPS
@given(leaves=leaf_lists, data=st.data())
def test_every_inclusion_proof_verifies_and_detects_tampering(
    leaves: list[bytes], data: st.DataObject
) -> None:
    tree = MerkleTree.from_leaf_data(leaves)
    size = data.draw(st.integers(1, tree.size), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = tree.inclusion_proof(index, size)
    root = tree.root(size)
    verify_inclusion(index, size, leaf_hash(leaves[index]), proof, root)

    position = data.draw(st.integers(0, 10_000), label="position")
    mask = data.draw(st.integers(1, 255), label="mask")
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf_hash(_flip(leaves[index], position, mask)), proof, root)

    other = data.draw(st.integers(0, size - 1), label="other leaf")
    forged = _tampered_tree(leaves[:size], other, position, mask)
    with pytest.raises(ProofError):
        verify_inclusion(index, size, forged.leaf_hash(index), forged.inclusion_proof(index), root)

    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf_hash(leaves[index]), proof, _flip(root, position, mask))

    if proof:
        which = data.draw(st.integers(0, len(proof) - 1), label="proof hash")
        bad = list(proof)
        bad[which] = _flip(bad[which], position, mask)
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaf_hash(leaves[index]), bad, root)


@PROPS
@given(leaves=leaf_lists, data=st.data())
def test_every_consistency_proof_verifies_and_detects_tampering(
    leaves: list[bytes], data: st.DataObject
) -> None:
    tree = MerkleTree.from_leaf_data(leaves)
    new_size = data.draw(st.integers(1, tree.size), label="new size")
    old_size = data.draw(st.integers(1, new_size), label="old size")
    proof = tree.consistency_proof(old_size, new_size)
    old_root, new_root = tree.root(old_size), tree.root(new_size)
    verify_consistency(old_size, new_size, old_root, new_root, proof)

    position = data.draw(st.integers(0, 10_000), label="position")
    mask = data.draw(st.integers(1, 255), label="mask")
    with pytest.raises(ProofError):
        verify_consistency(old_size, new_size, _flip(old_root, position, mask), new_root, proof)
    with pytest.raises(ProofError):
        verify_consistency(old_size, new_size, old_root, _flip(new_root, position, mask), proof)

    rewritten = data.draw(st.integers(0, old_size - 1), label="rewritten leaf")
    forged = _tampered_tree(leaves[:new_size], rewritten, position, mask)
    with pytest.raises(ProofError):
        verify_consistency(
            old_size, new_size, old_root, forged.root(), forged.consistency_proof(old_size)
        )

    if proof:
        which = data.draw(st.integers(0, len(proof) - 1), label="proof hash")
        bad = list(proof)
        bad[which] = _flip(bad[which], position, mask)
        with pytest.raises(ProofError):
            verify_consistency(old_size, new_size, old_root, new_root, bad)


def test_empty_tree_is_consistent_with_everything() -> None:
    tree = MerkleTree.from_leaf_data([b"a", b"b", b"c"])
    for size in range(4):
        assert tree.consistency_proof(0, size) == []
        verify_consistency(0, size, tree.root(0), tree.root(size), [])


line_text = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x2FF, exclude_characters="+"),
    min_size=1,
    max_size=30,
)
checkpoints = st.builds(
    Checkpoint,
    origin=line_text,
    size=st.integers(0, 2**64 - 1),
    root_hash=st.binary(min_size=32, max_size=32),
    extensions=st.lists(line_text, max_size=3).map(tuple),
)


def _flip_note_body(signed: str, position: int, mask: int) -> bytes:
    raw = signed.encode()
    body_length = len(Note.parse(signed).text.encode())
    return _flip(raw[:body_length], position, mask) + raw[body_length:]


def _flip_signature(signed: str, which: int, position: int, mask: int) -> str:
    note = Note.parse(signed)
    sig = note.signatures[which % len(note.signatures)]
    bad = NoteSignature(sig.name, sig.key_id, _flip(sig.signature, position, mask))
    sigs = tuple(bad if s == sig else s for s in note.signatures)
    return Note(note.text, sigs).serialize()


@PROPS
@given(checkpoint=checkpoints, position=st.integers(0, 10_000), mask=st.integers(1, 255))
def test_log_signature_detects_any_one_byte_change(
    checkpoint: Checkpoint, position: int, mask: int
) -> None:
    signed = sign_checkpoint(checkpoint, LOG_KEY)
    parsed, _ = open_checkpoint(signed, signing_vkey(LOG_KEY))
    assert parsed == checkpoint
    with pytest.raises(AuditError):
        open_checkpoint(_flip_note_body(signed, position, mask), signing_vkey(LOG_KEY))
    with pytest.raises(AuditError):
        open_checkpoint(_flip_signature(signed, 0, position, mask), signing_vkey(LOG_KEY))


@PROPS
@given(
    checkpoint=checkpoints,
    timestamp=st.integers(0, 2**63 - 1),
    position=st.integers(0, 10_000),
    mask=st.integers(1, 255),
)
def test_cosignature_detects_any_one_byte_change(
    checkpoint: Checkpoint, timestamp: int, position: int, mask: int
) -> None:
    signed = sign_checkpoint(checkpoint, LOG_KEY)
    cosigned = add_signature_lines(signed, cosign_checkpoint(signed, WITNESS_KEY, timestamp))
    assert verify_cosignature(cosigned, cosigning_vkey(WITNESS_KEY)) == timestamp
    with pytest.raises(AuditError):
        verify_cosignature(_flip_note_body(cosigned, position, mask), cosigning_vkey(WITNESS_KEY))
    with pytest.raises(AuditError):
        verify_cosignature(
            _flip_signature(cosigned, 1, position, mask), cosigning_vkey(WITNESS_KEY)
        )
