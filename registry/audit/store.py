"""Stored checkpoints and cosignatures, and a leaf cache for serving proofs quickly."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from registry.audit.checkpoint import add_signature_lines
from registry.audit.log import canonical_from_row, leaf_for, select_row
from registry.audit.merkle import MerkleTree
from registry.audit.scan import scan
from registry.audit.verify import CheckpointRecord
from registry.models.audit_log import AuditCheckpoint, AuditCosignature


def checkpoint_records(session: Session) -> list[CheckpointRecord]:
    """Every stored checkpoint, oldest first, with its cosignature lines."""
    cosigs: dict[int, list[tuple[str, str]]] = {}
    for row in session.execute(
        select(AuditCosignature.checkpoint_number, AuditCosignature.country,
               AuditCosignature.signature_line).order_by(AuditCosignature.id)
    ):
        cosigs.setdefault(row[0], []).append((row[1], row[2]))
    return [
        CheckpointRecord(cp.number, cp.note, cp.tree_size, cp.root_hash,
                         tuple(cosigs.get(cp.number, ())))
        for cp in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.number))
    ]


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.scalars(
        select(AuditCheckpoint).order_by(AuditCheckpoint.number.desc()).limit(1)
    ).first()


def next_checkpoint_number(session: Session) -> int:
    return int(session.scalar(select(func.max(AuditCheckpoint.number))) or 0) + 1


def last_cosigned_size(session: Session, witness_vkey: str) -> int:
    """The largest checkpoint size this witness has cosigned for us (0 for none)."""
    size = session.scalar(
        select(func.max(AuditCheckpoint.tree_size))
        .join(AuditCosignature, AuditCosignature.checkpoint_number == AuditCheckpoint.number)
        .where(AuditCosignature.witness_vkey == witness_vkey)
    )
    return int(size or 0)


def cosigned_note(session: Session, checkpoint: AuditCheckpoint) -> str:
    """The checkpoint note with every stored cosignature line appended."""
    lines = session.scalars(
        select(AuditCosignature.signature_line)
        .where(AuditCosignature.checkpoint_number == checkpoint.number)
        .order_by(AuditCosignature.id)
    ).all()
    return add_signature_lines(checkpoint.note, list(lines)) if lines else checkpoint.note


def add_cosignature(session: Session, checkpoint: AuditCheckpoint, country: str, vkey: str,
                    line: str, cosigned_at: int, now: dt.datetime) -> AuditCosignature:
    row = AuditCosignature(checkpoint_number=checkpoint.number, country=country,
                           witness_vkey=vkey, signature_line=line.strip(),
                           cosigned_at=cosigned_at, received_at=now)
    session.add(row)
    return row


@dataclass
class _Cached:
    tree: MerkleTree


class LeafCache:
    """Leaf hashes kept between requests, extended with new events and checked on each use.

    Used only to serve proofs: a proof from a stale or wrong tree fails against the signed root,
    and `verify` always recomputes everything from the database.
    """

    def __init__(self) -> None:
        self._trees: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def tree(self, connection: Connection, size: int) -> MerkleTree:
        """A tree holding at least the first `size` events."""
        key = str(connection.engine.url)
        with self._lock:
            cached = self._trees.get(key)
            if cached is None or not self._still_valid(connection, cached.tree):
                cached = _Cached(MerkleTree())
                self._trees[key] = cached
            tree = cached.tree
            if tree.size < size:
                tree.extend(scan(connection, start=tree.size + 1).leaf_hashes())
            return tree

    @staticmethod
    def _still_valid(connection: Connection, tree: MerkleTree) -> bool:
        if tree.size == 0:
            return True
        row = select_row(connection, tree.size)
        return row is not None and leaf_for(canonical_from_row(row)) == tree.leaf_hash(
            tree.size - 1)


LEAF_CACHE = LeafCache()
