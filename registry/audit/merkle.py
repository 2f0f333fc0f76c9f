"""RFC 9162 (Certificate Transparency v2) Merkle tree hashing, proofs and their verification.

Leaves are hashed as SHA-256(0x00 || data) and interior nodes as SHA-256(0x01 || left || right);
a tree of n > 1 leaves splits at the largest power of two smaller than n (RFC 9162 §2.1.1).
`MerkleTree` keeps every complete subtree, so after an O(n) build the root of any prefix and
any inclusion or consistency proof cost O(log n) hashes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence

from registry.audit.errors import ProofError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """Hash of one leaf's data: SHA-256(0x00 || data)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")


class MerkleTree:
    """An append-only Merkle tree over leaf hashes that keeps every complete subtree."""

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        leaves = list(leaf_hashes)
        if leaves and set(map(len, leaves)) != {HASH_SIZE}:
            raise ValueError(f"every leaf hash must be {HASH_SIZE} bytes")
        levels: list[list[bytes]] = [leaves]
        sha = hashlib.sha256
        prefix = _NODE_PREFIX
        current = leaves
        while len(current) >= 2:
            current = [
                sha(prefix + left + right).digest()
                for left, right in zip(current[0::2], current[1::2], strict=False)
            ]
            levels.append(current)
        self._levels = levels

    @classmethod
    def from_leaf_data(cls, items: Iterable[bytes]) -> MerkleTree:
        """Build a tree from raw leaf data, hashing each item as a leaf."""
        sha = hashlib.sha256
        return cls([sha(_LEAF_PREFIX + item).digest() for item in items])

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0])

    def leaf_hash(self, index: int) -> bytes:
        """The stored hash of leaf `index`."""
        if not 0 <= index < self.size:
            raise IndexError(f"leaf index {index} out of range for size {self.size}")
        return self._levels[0][index]

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash at the end, updating the complete subtrees it closes."""
        if len(leaf) != HASH_SIZE:
            raise ValueError(f"every leaf hash must be {HASH_SIZE} bytes")
        levels = self._levels
        levels[0].append(leaf)
        level = 0
        while len(levels[level]) % 2 == 0:
            row = levels[level]
            parent = node_hash(row[-2], row[-1])
            if level + 1 == len(levels):
                levels.append([])
            levels[level + 1].append(parent)
            level += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Add several leaf hashes at the end (rebuilding, when that is quicker)."""
        added = list(leaves)
        if len(added) > self.size:
            self._levels = MerkleTree(self._levels[0] + added)._levels
            return
        for leaf in added:
            self.append(leaf)

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self.size:
            raise ValueError(f"tree size {size} out of range (tree holds {self.size} leaves)")

    def _range_hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range whose start is aligned as in the RFC's recursion."""
        if start == end:
            return EMPTY_ROOT
        peaks: list[bytes] = []
        pos = start
        remaining = end - start
        while remaining:
            level = remaining.bit_length() - 1
            peaks.append(self._levels[level][pos >> level])
            pos += 1 << level
            remaining -= 1 << level
        result = peaks[-1]
        for peak in reversed(peaks[:-1]):
            result = node_hash(peak, result)
        return result

    def root(self, size: int | None = None) -> bytes:
        """The root hash of the first `size` leaves (all of them by default)."""
        size = self.size if size is None else size
        self._check_size(size)
        return self._range_hash(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[0:size]) from RFC 9162 §2.1.3.1, nearest sibling first."""
        size = self.size if size is None else size
        self._check_size(size)
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} out of range for tree size {size}")
        proof: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            mid = start + _split(end - start)
            if index < mid:
                proof.append(self._range_hash(mid, end))
                end = mid
            else:
                proof.append(self._range_hash(start, mid))
                start = mid
        proof.reverse()
        return proof

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """PROOF(old_size, D[0:new_size]) from RFC 9162 §2.1.4.1; empty when old_size is 0."""
        new_size = self.size if new_size is None else new_size
        self._check_size(new_size)
        if not 0 <= old_size <= new_size:
            raise ValueError(f"old size {old_size} must be between 0 and new size {new_size}")
        if old_size in (0, new_size):
            return []
        proof: list[bytes] = []
        start, end, m, complete = 0, new_size, old_size, True
        while m != end - start:
            mid = start + _split(end - start)
            if m <= mid - start:
                proof.append(self._range_hash(mid, end))
                end = mid
            else:
                proof.append(self._range_hash(start, mid))
                m -= mid - start
                start = mid
                complete = False
        if not complete:
            proof.append(self._range_hash(start, end))
        proof.reverse()
        return proof


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over the given leaf hashes (EMPTY_ROOT for none)."""
    return MerkleTree(leaf_hashes).root()


def inclusion_proof(index: int, size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Inclusion proof for leaf `index` in the tree of the first `size` leaf hashes."""
    if size > len(leaf_hashes):
        raise ValueError(f"tree size {size} exceeds the {len(leaf_hashes)} leaf hashes given")
    return MerkleTree(leaf_hashes[:size]).inclusion_proof(index, size)


def consistency_proof(old_size: int, new_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Consistency proof between the trees of the first `old_size` and `new_size` leaf hashes."""
    if new_size > len(leaf_hashes):
        raise ValueError(f"tree size {new_size} exceeds the {len(leaf_hashes)} leaf hashes given")
    return MerkleTree(leaf_hashes[:new_size]).consistency_proof(old_size, new_size)


def root_from_inclusion_proof(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]
) -> bytes:
    """The root implied by an inclusion proof (RFC 9162 §2.1.3.2 steps 1-4)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} out of range for tree size {size}")
    _check_hash(leaf_hash, "leaf hash")
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        _check_hash(p, "proof hash")
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that `leaf_hash` is at `index` in the tree of `size` leaves with root `root`.

    Raises ProofError when it is not proven; returns None when it is.
    """
    _check_hash(root, "root hash")
    calculated = root_from_inclusion_proof(index, size, leaf_hash, proof)
    if not hmac.compare_digest(calculated, root):
        raise ProofError("inclusion proof does not lead to the expected root")


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> None:
    """Check that the tree (new_size, new_root) extends the tree (old_size, old_root).

    Follows RFC 9162 §2.1.4.2; the empty tree (size 0, root EMPTY_ROOT) is consistent with any
    later tree given an empty proof, and equal sizes need equal roots and an empty proof.
    Raises ProofError.
    """
    _check_hash(old_root, "old root hash")
    _check_hash(new_root, "new root hash")
    if old_size < 0 or new_size < old_size:
        raise ProofError(f"old size {old_size} is larger than new size {new_size}")
    if old_size == 0 and not hmac.compare_digest(old_root, EMPTY_ROOT):
        raise ProofError("the root of an empty tree must be SHA-256 of the empty string")
    if old_size == new_size:
        if proof:
            raise ProofError("consistency proof between equal sizes must be empty")
        if not hmac.compare_digest(old_root, new_root):
            raise ProofError("roots differ for the same tree size")
        return
    if old_size == 0:
        if proof:
            raise ProofError("consistency proof from an empty tree must be empty")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    for p in proof:
        _check_hash(p, "proof hash")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than expected")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than expected")
    if not hmac.compare_digest(fr, old_root):
        raise ProofError("consistency proof does not lead to the old root")
    if not hmac.compare_digest(sr, new_root):
        raise ProofError("consistency proof does not lead to the new root")
