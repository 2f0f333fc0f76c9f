"""A checkpoint witness with file-backed state, and the finality rule for cosigned checkpoints.

The witness follows c2sp.org/tlog-witness: it cosigns a log checkpoint only after checking the
log's signature and a consistency proof from the last checkpoint it cosigned for that origin.
It refuses rollbacks and forks, keeping both signed checkpoints as evidence.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from registry.audit.checkpoint import (
    SIG_COSIGNATURE_V1,
    Checkpoint,
    Note,
    VerifierKey,
    cosign_text,
    cosigning_vkey,
    open_checkpoint,
)
from registry.audit.errors import (
    AuditError,
    EvidenceRefusal,
    ForkDetected,
    NoteError,
    OldSizeMismatch,
    ProofError,
    RollbackRefused,
    UntrustedLogKey,
    WitnessRefusal,
)
from registry.audit.merkle import verify_consistency
from registry.crypto.signing import SigningKey

STATE_FORMAT = "vetreg-witness-state/1"
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class WitnessRecord:
    """What the witness remembers about one log: the last checkpoint it cosigned."""

    origin: str
    size: int
    root_hash: bytes
    checkpoint: str
    log_vkey: str
    cosigned_at: int

    def to_json(self) -> dict[str, Any]:
        """The record as JSON-ready data (root hash in base64)."""
        data = asdict(self)
        data["root_hash"] = base64.b64encode(self.root_hash).decode("ascii")
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WitnessRecord:
        """Read a record written by `to_json`."""
        return cls(
            origin=str(data["origin"]),
            size=int(data["size"]),
            root_hash=base64.b64decode(str(data["root_hash"]), validate=True),
            checkpoint=str(data["checkpoint"]),
            log_vkey=str(data["log_vkey"]),
            cosigned_at=int(data["cosigned_at"]),
        )


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, content: bytes) -> None:
    """Replace `path` with `content` so that readers see the old or the new file, never half."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


class Witness:
    """A witness: its own cosigning key, its own state file, an evidence folder beside it."""

    def __init__(
        self,
        state_path: str | os.PathLike[str],
        key: SigningKey,
        *,
        trusted_logs: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state_path = Path(state_path)
        self.key = key
        self.trusted_logs = (
            None
            if trusted_logs is None
            else {origin: VerifierKey.parse(vkey) for origin, vkey in trusted_logs.items()}
        )
        self._clock = clock
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """The witness's key name, as it appears in its cosignature lines."""
        return self.key.name

    @property
    def vkey(self) -> str:
        """The witness's cosignature/v1 verifier key, to give to relying parties."""
        return cosigning_vkey(self.key)

    @property
    def evidence_dir(self) -> Path:
        """Folder where conflicting checkpoints are kept."""
        return self.state_path.parent / f"{self.state_path.stem}.evidence"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock_path = self.state_path.with_name(self.state_path.name + ".lock")
        with self._lock, open(lock_path, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _load(self) -> dict[str, WitnessRecord]:
        try:
            raw = self.state_path.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(raw)
            if data.get("format") != STATE_FORMAT:
                raise ValueError("unknown state format")
            logs = data["logs"]
            return {origin: WitnessRecord.from_json(rec) for origin, rec in logs.items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise AuditError(f"witness state {self.state_path} is unreadable: {exc}") from exc

    def _save(self, records: Mapping[str, WitnessRecord]) -> None:
        data = {
            "format": STATE_FORMAT,
            "witness": self.vkey,
            "logs": {origin: rec.to_json() for origin, rec in sorted(records.items())},
        }
        write_atomically(self.state_path, json.dumps(data, indent=2).encode() + b"\n")

    def latest(self, origin: str) -> WitnessRecord | None:
        """The last checkpoint cosigned for `origin`, if any."""
        with self._locked():
            return self._load().get(origin)

    def _trusted_key(self, origin: str, offered: VerifierKey, record: WitnessRecord | None) -> None:
        if self.trusted_logs is not None:
            expected = self.trusted_logs.get(origin)
            if expected is None:
                raise UntrustedLogKey(f"origin {origin!r} is not a log this witness follows")
            if expected != offered:
                raise UntrustedLogKey(f"log key for {origin!r} is not the configured one")
        elif record is not None and VerifierKey.parse(record.log_vkey) != offered:
            raise UntrustedLogKey(f"log key for {origin!r} differs from the one first seen")

    def cosign(
        self,
        checkpoint_text: str | bytes,
        consistency_proof: Sequence[bytes],
        log_public_vkey: str,
        *,
        old_size: int | None = None,
    ) -> str:
        """Cosign a log checkpoint that extends the last one cosigned; return the signature line.

        Raises SignatureError/NoteError for a badly signed or malformed checkpoint,
        UntrustedLogKey, OldSizeMismatch (when `old_size` is given and differs from the record),
        RollbackRefused or ForkDetected (evidence kept), or WitnessRefusal.
        """
        if isinstance(checkpoint_text, bytes):
            try:
                checkpoint_text = checkpoint_text.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise NoteError("checkpoint is not valid UTF-8") from exc
        offered_key = VerifierKey.parse(log_public_vkey)
        checkpoint, note = open_checkpoint(checkpoint_text, offered_key)
        proof = list(consistency_proof)
        with self._locked():
            records = self._load()
            record = records.get(checkpoint.origin)
            self._trusted_key(checkpoint.origin, offered_key, record)
            recorded_size = 0 if record is None else record.size
            if old_size is not None and old_size != recorded_size:
                raise OldSizeMismatch(
                    f"last cosigned size for {checkpoint.origin!r} is {recorded_size}, "
                    f"not {old_size}",
                    recorded_size,
                )
            if record is None:
                if proof:
                    raise WitnessRefusal("consistency proof must be empty for a first checkpoint")
            else:
                self._check_extends(record, checkpoint, checkpoint_text, proof)
            now = int(self._clock())
            signature = cosign_text(note.text, self.key, now)
            records[checkpoint.origin] = WitnessRecord(
                origin=checkpoint.origin,
                size=checkpoint.size,
                root_hash=checkpoint.root_hash,
                checkpoint=checkpoint_text,
                log_vkey=offered_key.to_vkey(),
                cosigned_at=now,
            )
            self._save(records)
        return signature.line()

    def _check_extends(
        self,
        record: WitnessRecord,
        checkpoint: Checkpoint,
        checkpoint_text: str,
        proof: list[bytes],
    ) -> None:
        if checkpoint.size < record.size:
            self._refuse(
                RollbackRefused,
                f"rollback refused: {checkpoint.origin!r} offered size {checkpoint.size} "
                f"after cosigning size {record.size}",
                record,
                checkpoint,
                checkpoint_text,
                proof,
            )
        if checkpoint.size == record.size:
            if checkpoint.root_hash != record.root_hash:
                self._refuse(
                    ForkDetected,
                    f"fork detected: {checkpoint.origin!r} has two roots for size {record.size}",
                    record,
                    checkpoint,
                    checkpoint_text,
                    proof,
                )
            if proof:
                raise WitnessRefusal("consistency proof must be empty for an unchanged size")
            return
        try:
            verify_consistency(
                record.size, checkpoint.size, record.root_hash, checkpoint.root_hash, proof
            )
        except ProofError as exc:
            self._refuse(
                ForkDetected,
                f"fork suspected: {checkpoint.origin!r} size {checkpoint.size} is not proven "
                f"to extend size {record.size} ({exc})",
                record,
                checkpoint,
                checkpoint_text,
                proof,
            )

    def _refuse(
        self,
        error: type[EvidenceRefusal],
        message: str,
        record: WitnessRecord,
        checkpoint: Checkpoint,
        checkpoint_text: str,
        proof: list[bytes],
    ) -> NoReturn:
        folder = self._keep_evidence(
            error.code, message, record, checkpoint, checkpoint_text, proof
        )
        raise error(message, folder)

    def _keep_evidence(
        self,
        kind: str,
        message: str,
        record: WitnessRecord,
        checkpoint: Checkpoint,
        checkpoint_text: str,
        proof: list[bytes],
    ) -> Path:
        now = datetime.fromtimestamp(self._clock(), UTC)
        safe_origin = _UNSAFE_CHARS.sub("_", checkpoint.origin)[:64]
        stem = f"{now:%Y%m%dT%H%M%SZ}-{kind}-{safe_origin}-{record.size}-{checkpoint.size}"
        self.evidence_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder = self.evidence_dir / stem
        counter = 1
        while True:
            try:
                folder.mkdir(mode=0o700)
                break
            except FileExistsError:
                counter += 1
                folder = self.evidence_dir / f"{stem}.{counter}"
        details = {
            "kind": kind,
            "message": message,
            "detected_at": now.isoformat(),
            "witness": self.vkey,
            "origin": checkpoint.origin,
            "log_vkey": record.log_vkey,
            "cosigned": {
                "size": record.size,
                "root_hash": base64.b64encode(record.root_hash).decode("ascii"),
                "cosigned_at": record.cosigned_at,
            },
            "offered": {
                "size": checkpoint.size,
                "root_hash": base64.b64encode(checkpoint.root_hash).decode("ascii"),
            },
            "consistency_proof": [base64.b64encode(p).decode("ascii") for p in proof],
        }
        write_atomically(folder / "cosigned.checkpoint", record.checkpoint.encode())
        write_atomically(folder / "offered.checkpoint", checkpoint_text.encode())
        write_atomically(folder / "details.json", json.dumps(details, indent=2).encode() + b"\n")
        return folder


def is_final(
    checkpoint_text: str | bytes,
    required_witness_vkeys: Mapping[str, str],
    *,
    log_vkey: str | None = None,
) -> tuple[bool, list[str]]:
    """Whether every required country's witness has validly cosigned the checkpoint.

    Returns (final, missing countries). With `log_vkey`, the log's own signature is checked
    first and a bad one raises SignatureError.
    """
    if not required_witness_vkeys:
        raise ValueError("at least one required witness is needed to decide finality")
    keys: dict[str, VerifierKey] = {}
    for country, vkey in required_witness_vkeys.items():
        key = VerifierKey.parse(vkey)
        if key.sig_type != SIG_COSIGNATURE_V1:
            raise NoteError(f"witness key for {country} is not a cosignature/v1 key")
        keys[country] = key
    if log_vkey is not None:
        _, note = open_checkpoint(checkpoint_text, log_vkey)
    else:
        note = Note.parse(checkpoint_text)
        Checkpoint.parse(note.text)
    missing = [
        country
        for country, key in keys.items()
        if not any(key.verify(note.text, sig) for sig in note.signatures if key.matches(sig))
    ]
    return not missing, missing
