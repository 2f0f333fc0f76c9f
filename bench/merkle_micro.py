"""Micro-benchmark of Merkle tree build, proofs and verification for 100k and 1M leaves.

Run: .venv/bin/python bench/merkle_micro.py [sizes...]
"""

from __future__ import annotations

import sys
import time

from registry.audit.merkle import MerkleTree, verify_consistency, verify_inclusion


def _leaf_data(n: int) -> list[bytes]:
    """Leaf payloads of about the size of a canonical audit event digest plus metadata."""
    return [b"event-%012d-" % i + i.to_bytes(8, "big") * 8 for i in range(n)]


def bench(n: int) -> None:
    """Print timings for one tree size."""
    data = _leaf_data(n)
    start = time.perf_counter()
    tree = MerkleTree.from_leaf_data(data)
    build = time.perf_counter() - start

    start = time.perf_counter()
    root = tree.root()
    root_time = time.perf_counter() - start

    probes = [0, n // 3, n // 2, n - 1]
    start = time.perf_counter()
    proofs = [tree.inclusion_proof(i) for i in probes]
    inclusion_time = (time.perf_counter() - start) / len(probes)
    start = time.perf_counter()
    for i, proof in zip(probes, proofs, strict=True):
        verify_inclusion(i, n, tree.leaf_hash(i), proof, root)
    verify_inclusion_time = (time.perf_counter() - start) / len(probes)

    old_sizes = [1, n // 2 + 7, n - 1]
    start = time.perf_counter()
    cons = [tree.consistency_proof(m) for m in old_sizes]
    consistency_time = (time.perf_counter() - start) / len(old_sizes)
    start = time.perf_counter()
    for m, proof in zip(old_sizes, cons, strict=True):
        verify_consistency(m, n, tree.root(m), root, proof)
    verify_consistency_time = (time.perf_counter() - start) / len(old_sizes)

    print(f"leaves={n:>9,}  build={build:7.3f} s  root={root_time * 1e6:7.1f} us")
    print(
        f"  inclusion: {[len(p) for p in proofs]} hashes, "
        f"{inclusion_time * 1e6:.1f} us to build, {verify_inclusion_time * 1e6:.1f} us to verify"
    )
    print(
        f"  consistency from {old_sizes}: {[len(p) for p in cons]} hashes, "
        f"{consistency_time * 1e6:.1f} us to build, "
        f"{verify_consistency_time * 1e6:.1f} us to verify"
    )


def main(argv: list[str]) -> None:
    """Benchmark the sizes given on the command line, or 100k and 1M."""
    sizes = [int(a) for a in argv] or [100_000, 1_000_000]
    for n in sizes:
        bench(n)


if __name__ == "__main__":
    main(sys.argv[1:])
