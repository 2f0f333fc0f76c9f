"""Merkle hashing and proofs against the published transparency-dev/merkle test vectors."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from registry.audit.errors import ProofError
from registry.audit.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "data" / "merkle_vectors.json").read_text()
)
LEAVES = [bytes.fromhex(x) for x in VECTORS["leaf_inputs_hex"]]
LEAF_HASHES = [leaf_hash(x) for x in LEAVES]
ROOTS = [bytes.fromhex(x) for x in VECTORS["root_hashes"]]
SOME_HASH = bytes.fromhex(VECTORS["some_hash"])
EMPTY_TREE_HASH = bytes.fromhex(VECTORS["empty_tree_hash"])


def _hashes(items: list[str]) -> list[bytes]:
    return [bytes.fromhex(x) for x in items]


def _fails(check: Callable[..., None], *args: Any) -> bool:
    try:
        check(*args)
    except ProofError:
        return True
    return False


def test_source_is_recorded() -> None:
    source = VECTORS["source"]
    assert source["repository"] == "https://github.com/transparency-dev/merkle"
    assert all(len(f["commit"]) == 40 and f["path"] for f in source["files"])


def test_empty_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT == EMPTY_TREE_HASH == ROOTS[0]
    assert root([]) == EMPTY_ROOT


def test_node_hashes_of_complete_subtrees() -> None:
    for level, row in enumerate(VECTORS["node_hashes"]):
        width = 1 << level
        for i, expected in enumerate(_hashes(row)):
            assert root(LEAF_HASHES[i * width : (i + 1) * width]) == expected


def test_roots_for_every_prefix() -> None:
    tree = MerkleTree(LEAF_HASHES)
    for size, expected in enumerate(ROOTS):
        assert root(LEAF_HASHES[:size]) == expected
        assert tree.root(size) == expected


def test_incremental_append_matches_bulk_build() -> None:
    tree = MerkleTree()
    for size, leaf in enumerate(LEAF_HASHES, start=1):
        tree.append(leaf)
        assert tree.root() == ROOTS[size]


def _corrupt_inclusion(
    index: int, size: int, proof: list[bytes], root_hash: bytes, leaf: bytes
) -> list[tuple[int, int, bytes, list[bytes], bytes, str]]:
    """The wrong-input probes of corruptInclusionProof in proof/verify_test.go."""
    probes = [
        (index - 1, size, leaf, proof, root_hash, "index - 1"),
        (index + 1, size, leaf, proof, root_hash, "index + 1"),
        (index ^ 2, size, leaf, proof, root_hash, "index ^ 2"),
        (index, size * 2, leaf, proof, root_hash, "size * 2"),
        (index, size // 2, leaf, proof, root_hash, "size / 2"),
        (index, size, b"WrongLeaf", proof, root_hash, "wrong leaf"),
        (index, size, leaf, proof, EMPTY_TREE_HASH, "empty root"),
        (index, size, leaf, proof, SOME_HASH, "random root"),
        (index, size, leaf, [*proof, b""], root_hash, "trailing garbage"),
        (index, size, leaf, [*proof, root_hash], root_hash, "trailing root"),
        (index, size, leaf, [b"", *proof], root_hash, "preceding garbage"),
        (index, size, leaf, [root_hash, *proof], root_hash, "preceding root"),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 8]) + wrong[i][1:]
        probes.append((index, size, leaf, wrong, root_hash, f"modified proof[{i}] bit 3"))
    if proof:
        probes.append((index, size, leaf, proof[:-1], root_hash, "removed component"))
    if len(proof) > 1:
        probes.append((index, size, leaf, [proof[0], SOME_HASH, *proof[1:]], root_hash, "insert"))
    return probes


@pytest.mark.parametrize(
    "vector", VECTORS["inclusion_proofs"], ids=lambda v: f"{v['index']}:{v['size']}"
)
def test_inclusion_vectors(vector: dict[str, Any]) -> None:
    index, size, expected = vector["index"], vector["size"], _hashes(vector["proof"])
    assert inclusion_proof(index, size, LEAF_HASHES) == expected
    assert MerkleTree(LEAF_HASHES).inclusion_proof(index, size) == expected
    leaf = LEAF_HASHES[index]
    assert root_from_inclusion_proof(index, size, leaf, expected) == ROOTS[size]
    verify_inclusion(index, size, leaf, expected, ROOTS[size])
    wrongly_accepted = [
        desc
        for i, s, lh, p, r, desc in _corrupt_inclusion(index, size, expected, ROOTS[size], leaf)
        if not _fails(verify_inclusion, i, s, lh, p, r)
    ]
    assert wrongly_accepted == []


def test_inclusion_single_entry() -> None:
    only = leaf_hash(b"data")
    verify_inclusion(0, 1, only, [], only)
    for leaf, root_hash in [(only, b""), (b"", only), (b"", b"")]:
        assert _fails(verify_inclusion, 0, 1, leaf, [], root_hash)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1)])
def test_inclusion_rejects_invalid_root_or_leaf(index: int, size: int) -> None:
    assert _fails(verify_inclusion, index, size, SOME_HASH, [], b"")
    assert _fails(verify_inclusion, index, size, b"", [], EMPTY_TREE_HASH)
    assert _fails(verify_inclusion, index, size, SOME_HASH, [], EMPTY_TREE_HASH)


def _corrupt_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> list[tuple[int, int, bytes, bytes, list[bytes], str]]:
    """The wrong-input probes of corruptConsistencyProof in proof/verify_test.go."""
    probes = [
        (size1 - 1, size2, root1, root2, proof, "size1 - 1"),
        (size1 + 1, size2, root1, root2, proof, "size1 + 1"),
        (size1 ^ 2, size2, root1, root2, proof, "size1 ^ 2"),
        (size1, size2 * 2, root1, root2, proof, "size2 * 2"),
        (size1, size2 // 2, root1, root2, proof, "size2 / 2"),
        (size1, size2, b"WrongRoot", root2, proof, "wrong root1"),
        (size1, size2, root1, b"WrongRoot", proof, "wrong root2"),
        (size1, size2, root2, root1, proof, "swapped roots"),
        (size1, size2, root1, root2, [], "empty proof"),
        (size1, size2, root1, root2, [*proof, b""], "trailing garbage"),
        (size1, size2, root1, root2, [*proof, root1], "trailing root1"),
        (size1, size2, root1, root2, [*proof, root2], "trailing root2"),
        (size1, size2, root1, root2, [b"", *proof], "preceding garbage"),
        (size1, size2, root1, root2, [root1, *proof], "preceding root1"),
        (size1, size2, root1, root2, [root2, *proof], "preceding root2"),
        (size1, size2, root1, root2, [proof[0], *proof], "preceding proof[0]"),
        (size1, size2, root1, root2, proof[:-1], "truncated proof"),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 16]) + wrong[i][1:]
        probes.append((size1, size2, root1, root2, wrong, f"modified proof[{i}] bit 4"))
    return probes


@pytest.mark.parametrize(
    "vector", VECTORS["consistency_proofs"], ids=lambda v: f"{v['old_size']}:{v['new_size']}"
)
def test_consistency_vectors(vector: dict[str, Any]) -> None:
    old, new, expected = vector["old_size"], vector["new_size"], _hashes(vector["proof"])
    assert consistency_proof(old, new, LEAF_HASHES) == expected
    assert MerkleTree(LEAF_HASHES).consistency_proof(old, new) == expected
    verify_consistency(old, new, ROOTS[old], ROOTS[new], expected)
    if not expected:
        return
    wrongly_accepted = [
        desc
        for s1, s2, r1, r2, p, desc in _corrupt_consistency(
            old, new, ROOTS[old], ROOTS[new], expected
        )
        if not _fails(verify_consistency, s1, s2, r1, r2, p)
    ]
    assert wrongly_accepted == []


@pytest.mark.parametrize(
    ("size1", "size2", "root1", "root2", "proof", "ok"),
    [
        (0, 0, EMPTY_TREE_HASH, EMPTY_TREE_HASH, [], True),
        (0, 1, EMPTY_TREE_HASH, ROOTS[1], [], True),
        (1, 1, ROOTS[1], ROOTS[1], [], True),
        (1, 1, ROOTS[1], ROOTS[2], [], False),
        (0, 0, EMPTY_TREE_HASH, SOME_HASH, [], False),
        (1, 0, ROOTS[1], EMPTY_TREE_HASH, [], False),
        (2, 1, ROOTS[2], ROOTS[1], [], False),
        (1, 2, ROOTS[1], ROOTS[2], [], False),
        (1, 1, EMPTY_TREE_HASH, SOME_HASH, [], False),
        (0, 0, EMPTY_TREE_HASH, EMPTY_TREE_HASH, [EMPTY_TREE_HASH], False),
        (0, 1, EMPTY_TREE_HASH, EMPTY_TREE_HASH, [EMPTY_TREE_HASH], False),
        (1, 1, EMPTY_TREE_HASH, EMPTY_TREE_HASH, [EMPTY_TREE_HASH], False),
        (0, 1, SOME_HASH, ROOTS[1], [], False),
    ],
)
def test_consistency_edge_cases(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes], ok: bool
) -> None:
    assert _fails(verify_consistency, size1, size2, root1, root2, proof) is not ok


# The subtree vectors of draft-ietf-plants-merkle-tree-certs, as reproduced by
# testonly/vectors_test.go: rolling SHA-256 digests over every valid subtree of a
# 130-leaf tree whose leaf i is the single byte i.

SUB = VECTORS["subtree_vectors"]
SUB_MAX: int = SUB["max_size"]
SUB_LEAVES = [leaf_hash(bytes([i])) for i in range(SUB_MAX)]
SUB_TREE = MerkleTree(SUB_LEAVES)


def _is_subtree_valid(start: int, end: int) -> bool:
    if start >= end:
        return False
    if start == 0:
        return True
    width = 1 << (end - start - 1).bit_length()
    return start % width == 0


@cache
def _range_root(start: int, end: int) -> bytes:
    if end - start == 1:
        return SUB_LEAVES[start]
    split = start + (1 << ((end - start - 1).bit_length() - 1))
    return node_hash(_range_root(start, split), _range_root(split, end))


def _ref_subtree_consistency(
    offset: int, size: int, start: int, end: int, have_root1: bool
) -> list[bytes]:
    """refSubtreeConsistencyProof from testonly/reference_test.go, over leaves [offset, +size)."""
    if start >= end or end == 0 or end > size:
        return []
    if start == 0 and end == size:
        return [] if have_root1 else [_range_root(offset, offset + size)]
    split = 1 << ((size - 1).bit_length() - 1)
    right = _range_root(offset + split, offset + size)
    left = _range_root(offset, offset + split)
    if end <= split:
        return [*_ref_subtree_consistency(offset, split, start, end, have_root1), right]
    if split <= start:
        inner = _ref_subtree_consistency(
            offset + split, size - split, start - split, end - split, have_root1
        )
        return [*inner, left]
    inner = _ref_subtree_consistency(offset + split, size - split, 0, end - split, False)
    return [*inner, left]


def _proof_line(prefix: str, proof: list[bytes]) -> bytes:
    return (prefix + "".join(f" {h.hex()}" for h in proof) + "\n").encode()


def test_subtree_hash_vector() -> None:
    digest = hashlib.sha256()
    for end in range(1, SUB_MAX + 1):
        for start in range(end):
            if _is_subtree_valid(start, end):
                subtree_root = root(SUB_LEAVES[start:end])
                if start == 0:
                    assert subtree_root == SUB_TREE.root(end)
                digest.update(f"[{start}, {end}) {subtree_root.hex()}\n".encode())
    assert digest.hexdigest() == SUB["subtree_hash"]["sha256"]


def test_subtree_inclusion_vector() -> None:
    digest = hashlib.sha256()
    for end in range(1, SUB_MAX + 1):
        for start in range(end):
            if not _is_subtree_valid(start, end):
                continue
            subtree = MerkleTree(SUB_LEAVES[start:end])
            for index in range(start, end):
                proof = subtree.inclusion_proof(index - start)
                digest.update(_proof_line(f"{index} [{start}, {end})", proof))
    assert digest.hexdigest() == SUB["subtree_inclusion"]["sha256"]


def test_subtree_consistency_vector_and_every_prefix_proof() -> None:
    digest = hashlib.sha256()
    for n in range(SUB_MAX + 1):
        for end in range(1, n + 1):
            for start in range(end):
                if not _is_subtree_valid(start, end):
                    continue
                proof = _ref_subtree_consistency(0, n, start, end, True)
                if start == 0:
                    assert SUB_TREE.consistency_proof(end, n) == proof
                digest.update(_proof_line(f"[{start}, {end}) {n}", proof))
    assert digest.hexdigest() == SUB["subtree_consistency"]["sha256"]
