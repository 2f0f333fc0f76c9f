"""Audit log: events chained in the same transaction as every change; Merkle proofs."""
