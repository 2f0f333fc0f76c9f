"""Full verification of the audit log: hash chain, Merkle roots, signatures and cosignatures.

The same checks run over the database and over an export (offline, without any private key).
Each problem names the first event or checkpoint where the stored history stops adding up.
"""

from __future__ import annotations

import hashlib
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from registry.audit.checkpoint import (
    SIG_COSIGNATURE_V1,
    NoteSignature,
    VerifierKey,
    open_checkpoint,
)
from registry.audit.errors import NoteError, SignatureError
from registry.audit.events import GENESIS_HASH
from registry.audit.merkle import MerkleTree

MAX_PROBLEMS = 50


@dataclass(frozen=True)
class TrustAnchors:
    """What a verifier trusts: the log's origin and public key, the witnesses' keys, the policy."""

    origin: str
    log_vkey: str
    witness_vkeys: Mapping[str, str] = field(default_factory=dict)
    policy: tuple[str, ...] = ("MX", "US")


@dataclass(frozen=True)
class CheckpointRecord:
    """A stored checkpoint: the log-signed note, the columns kept beside it, its cosignatures."""

    number: int
    note: str
    tree_size: int
    root_hash: bytes
    cosignatures: tuple[tuple[str, str], ...] = ()  # (country, cosignature line)


@dataclass(frozen=True)
class Problem:
    """One thing that does not verify: an event (by seq) or a checkpoint (by number)."""

    kind: str  # "event", "checkpoint" or "cosignature"
    position: int
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class CheckpointStatus:
    """A checkpoint's standing: signature checked, cosigners, and finality under the policy."""

    number: int
    tree_size: int
    root_hex: str
    signature_ok: bool
    root_ok: bool
    cosigned_by: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def final(self) -> bool:
        """Final when its log signature and root hold and every required witness cosigned."""
        return self.signature_ok and self.root_ok and not self.missing


@dataclass
class VerificationReport:
    """Outcome of a full verification."""

    events: int = 0
    problems: list[Problem] = field(default_factory=list)
    checkpoints: list[CheckpointStatus] = field(default_factory=list)
    seconds: float = 0.0
    tree: MerkleTree | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    @property
    def latest(self) -> CheckpointStatus | None:
        return self.checkpoints[-1] if self.checkpoints else None

    @property
    def uncovered(self) -> int:
        """Events appended after the latest checkpoint (not yet signed)."""
        return self.events - (self.latest.tree_size if self.latest else 0)

    def add(self, kind: str, position: int, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(kind, position, message))


@dataclass
class Run:
    """What checking a run of consecutive events found, enough to join it to the run before.

    `first` is the first event as (seq, id, prev_hash, whether its content matches its hash),
    kept unjudged when the run was checked without knowing what precedes it (a chunk checked
    apart); `join_runs` judges it against the end of the previous run.
    """

    leaves: list[bytes]
    problems: list[Problem]
    first: tuple[int, str, bytes, bool] | None
    last_seq: int | None
    last_hash: bytes | None


class LinkSource(ABC):
    """Events that check their own order and links, faster than tuple by tuple (a scan)."""

    @abstractmethod
    def check_links(
        self, report: VerificationReport, start: int | None, previous: bytes | None
    ) -> Run:
        """As `check_links` over the events this source holds."""

    @abstractmethod
    def __iter__(self) -> Iterator[tuple[int, str, bytes, bytes, bytes]]:
        """The events as (seq, id, canonical, prev_hash, hash) tuples."""


def check_chain(
    events: Iterable[tuple[int, str, bytes, bytes, bytes]], report: VerificationReport
) -> MerkleTree:
    """Check order, links and content hashes of (seq, id, canonical, prev_hash, hash) tuples.

    Returns the Merkle tree over the events in the order given, whatever problems were found.
    """
    leaves = check_links(events, report, 1, GENESIS_HASH).leaves
    report.events = len(leaves)
    tree = MerkleTree(leaves)
    report.tree = tree
    return tree


def check_links(
    events: Iterable[tuple[int, str, bytes, bytes, bytes]],
    report: VerificationReport,
    start: int | None,
    previous: bytes | None,
) -> Run:
    """Check a run of events expected to begin at seq `start` after the hash `previous`.

    With `start` None nothing is known of what precedes the run: its first event is returned
    unjudged in `Run.first`. Problems go to `report` (and `Run.problems` is its list).
    """
    if isinstance(events, LinkSource):
        return events.check_links(report, start, previous)
    sha = hashlib.sha256
    leaves: list[bytes] = []
    append = leaves.append
    expected = start
    first: tuple[int, str, bytes, bool] | None = None
    seq: int | None = None
    for seq, event_id, canonical, prev_hash, stored in events:
        append(sha(b"\x00" + canonical).digest())
        if (seq != expected or prev_hash != previous
                or sha(prev_hash + canonical).digest() != stored):
            content_ok = sha(prev_hash + canonical).digest() == stored
            if expected is None:
                first = (seq, event_id, prev_hash, content_ok)
            else:
                judge(report, seq, event_id, prev_hash, content_ok, expected, previous)
        expected, previous = seq + 1, stored
    return Run(leaves, report.problems, first, seq, previous)


def judge(
    report: VerificationReport, seq: int, event_id: str, prev_hash: bytes, content_ok: bool,
    expected: int, previous: bytes | None,
) -> None:
    """Report the first thing wrong with an event found where seq `expected` belongs, after
    the event whose hash is `previous` (None if unknown); nothing if it checks out."""
    if seq != expected:
        if seq > expected:
            gone = f"event {expected}" if seq == expected + 1 else f"events {expected}-{seq - 1}"
            report.add("event", expected, f"{gone} missing: the log jumps from seq "
                       f"{expected - 1} to {seq} (removed)")
        else:
            report.add("event", seq, f"event {seq} (id {event_id}) is out of order: found "
                       f"where seq {expected} belongs (reordered or duplicated)")
    elif previous is not None and prev_hash != previous:
        report.add("event", seq, f"event {seq} (id {event_id}) does not follow event "
                   f"{seq - 1}: its link to the previous event is broken (reordered, "
                   "removed or inserted)")
    elif not content_ok:
        report.add("event", seq, f"event {seq} (id {event_id}) was altered: its content "
                   "no longer matches its hash")


def join_runs(runs: Iterable[Run], report: VerificationReport) -> list[bytes]:
    """Join runs checked apart, in order from seq 1, into `report`, as one check would have
    found them; returns every leaf hash."""
    leaves: list[bytes] = []
    expected = 1
    previous: bytes | None = GENESIS_HASH
    for run in runs:
        if run.first is not None:
            seq, event_id, prev_hash, content_ok = run.first
            judge(report, seq, event_id, prev_hash, content_ok, expected, previous)
        for problem in run.problems:
            report.add(problem.kind, problem.position, problem.message)
        leaves += run.leaves
        if run.last_seq is not None:
            expected, previous = run.last_seq + 1, run.last_hash
    return leaves


def _cosigners(
    record: CheckpointRecord, text: str, anchors: TrustAnchors, report: VerificationReport
) -> tuple[str, ...]:
    signed: list[str] = []
    for country, line in record.cosignatures:
        vkey = anchors.witness_vkeys.get(country)
        if vkey is None:
            report.add("cosignature", record.number, f"checkpoint {record.number}: cosignature "
                       f"from {country}, whose witness key is not configured")
            continue
        key = VerifierKey.parse(vkey)
        try:
            sig = NoteSignature.parse_line(line)
        except NoteError as exc:
            report.add("cosignature", record.number,
                       f"checkpoint {record.number}: {country} cosignature malformed ({exc})")
            continue
        if key.sig_type != SIG_COSIGNATURE_V1 or not key.verify(text, sig):
            report.add("cosignature", record.number, f"checkpoint {record.number}: {country} "
                       "cosignature does not verify with that witness's key")
            continue
        if country not in signed:
            signed.append(country)
    return tuple(signed)


def check_checkpoints(
    records: Sequence[CheckpointRecord],
    tree: MerkleTree,
    anchors: TrustAnchors,
    report: VerificationReport,
) -> None:
    """Check every checkpoint against the trusted keys and the recomputed tree."""
    last_good: CheckpointRecord | None = None
    last_size = 0
    for record in records:
        number, size = record.number, record.tree_size
        signature_ok = root_ok = False
        text = ""
        try:
            checkpoint, note = open_checkpoint(record.note, anchors.log_vkey)
            text = note.text
            signature_ok = True
            if checkpoint.origin != anchors.origin:
                signature_ok = False
                report.add("checkpoint", number, f"checkpoint {number} names origin "
                           f"{checkpoint.origin!r}, not {anchors.origin!r}")
            elif (checkpoint.size, checkpoint.root_hash) != (size, record.root_hash):
                signature_ok = False
                report.add("checkpoint", number, f"checkpoint {number}: stored size/root differ "
                           "from the signed note")
        except (NoteError, SignatureError) as exc:
            report.add("checkpoint", number,
                       f"checkpoint {number}: log signature does not verify ({exc})")
        if size < last_size:
            report.add("checkpoint", number, f"checkpoint {number} has size {size}, smaller "
                       f"than the {last_size} of an earlier checkpoint (rollback)")
        if size > tree.size:
            report.add("checkpoint", number, f"checkpoint {number} covers {size} events but "
                       f"the log holds {tree.size}: events {tree.size + 1}-{size} are missing "
                       "(log truncated)")
        elif tree.root(size) != record.root_hash:
            since = (f"after checkpoint {last_good.number} (size {last_good.tree_size})"
                     if last_good else "from the first event")
            report.add("checkpoint", number, f"checkpoint {number} (size {size}): the events "
                       f"no longer produce its signed root; an event up to seq {size} {since} "
                       "was altered, removed or reordered")
        else:
            root_ok = True
        if signature_ok and root_ok:
            last_good = record
        last_size = max(last_size, size)
        cosigned = _cosigners(record, text, anchors, report) if text else ()
        missing = tuple(c for c in anchors.policy if c not in cosigned)
        report.checkpoints.append(CheckpointStatus(
            number, size, record.root_hash.hex(), signature_ok, root_ok, cosigned, missing))


def verify_history(
    events: Iterable[tuple[int, str, bytes, bytes, bytes]],
    records: Sequence[CheckpointRecord],
    anchors: TrustAnchors,
) -> VerificationReport:
    """Verify a whole history: the event chain, then every checkpoint over the rebuilt tree."""
    started = time.perf_counter()
    report = VerificationReport()
    tree = check_chain(events, report)
    check_checkpoints(records, tree, anchors, report)
    report.seconds = time.perf_counter() - started
    return report
