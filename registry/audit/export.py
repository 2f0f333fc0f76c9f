"""Export of the audit log for offline verification by the other country's auditors.

An export folder holds (format "vetreg-audit-export/1"):
  events.jsonl       one line per event: {"event": <canonical event>, "hash": hex, "prev_hash": hex}
                     (the line is itself RFC 8785; the Merkle leaf is SHA-256(0x00 || JCS(event)))
  checkpoints.jsonl  one line per checkpoint: number, tree_size, root (hex), the log-signed note,
                     and the cosignature lines by country
  checkpoints/N.checkpoint  each checkpoint as a signed note with every cosignature appended
  keys.json          origin, log verifier key, witness verifier keys, finality policy
  manifest.json      counts and the SHA-256 of every file above
Verification needs none of the registry's secrets: only this folder and, ideally, keys the
auditor pinned independently (the witness's own key, the log key published by the other side).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from registry.audit.checkpoint import add_signature_lines
from registry.audit.errors import AuditError
from registry.audit.log import encode_canonical
from registry.audit.verify import (
    CheckpointRecord,
    Problem,
    TrustAnchors,
    VerificationReport,
    verify_history,
)

EXPORT_FORMAT = "vetreg-audit-export/1"
EVENTS = "events.jsonl"
CHECKPOINTS = "checkpoints.jsonl"
KEYS = "keys.json"
MANIFEST = "manifest.json"


class ExportError(AuditError):
    """An export folder is missing, unreadable or not in the expected format."""

    code = "export_invalid"


@dataclass(frozen=True)
class ExportSummary:
    """What was written, and where."""

    folder: Path
    events: int
    checkpoints: int


def _prepare(folder: Path) -> None:
    if folder.exists() and any(folder.iterdir()):
        raise ExportError(f"{folder} is not empty; choose a new folder for the export")
    (folder / "checkpoints").mkdir(parents=True, exist_ok=True)


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_export(
    folder: Path,
    events: Iterable[tuple[int, str, bytes, bytes, bytes]],
    records: Iterable[CheckpointRecord],
    anchors: TrustAnchors,
    now: dt.datetime,
) -> ExportSummary:
    """Write the export folder; refuses a folder that already holds files."""
    _prepare(folder)
    count = 0
    with (folder / EVENTS).open("wb") as out:
        for _seq, _id, canonical, prev_hash, stored_hash in events:
            out.write(b'{"event":' + canonical + b',"hash":"' + stored_hash.hex().encode()
                      + b'","prev_hash":"' + prev_hash.hex().encode() + b'"}\n')
            count += 1
    written = 0
    with (folder / CHECKPOINTS).open("w", encoding="utf-8") as out:
        for record in records:
            line = {"number": record.number, "tree_size": record.tree_size,
                    "root": record.root_hash.hex(), "note": record.note,
                    "cosignatures": [{"country": c, "line": s} for c, s in record.cosignatures]}
            out.write(json.dumps(line, sort_keys=True) + "\n")
            cosigned = record.note
            if record.cosignatures:
                cosigned = add_signature_lines(record.note, [s for _, s in record.cosignatures])
            (folder / "checkpoints" / f"{record.number}.checkpoint").write_text(
                cosigned, encoding="utf-8")
            written += 1
    keys = {"origin": anchors.origin, "log_vkey": anchors.log_vkey,
            "witness_vkeys": dict(anchors.witness_vkeys), "policy": list(anchors.policy)}
    (folder / KEYS).write_text(json.dumps(keys, indent=2, sort_keys=True) + "\n")
    files = {name: _hash_file(folder / name) for name in (EVENTS, CHECKPOINTS, KEYS)}
    manifest = {"format": EXPORT_FORMAT, "serialisation": 1, "exported_at": now.isoformat(),
                "events": count, "checkpoints": written, "sha256": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return ExportSummary(folder, count, written)


def _read_json(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportError(f"{path.name} is missing from the export") from None
    except (OSError, ValueError) as exc:
        raise ExportError(f"{path.name} is unreadable: {exc}") from exc
    if not isinstance(data, dict):
        raise ExportError(f"{path.name} must hold a JSON object")
    return data


def export_anchors(folder: Path, overrides: Mapping[str, object] | None = None) -> TrustAnchors:
    """Trust anchors from the export's keys.json, with pinned values (from elsewhere) winning."""
    keys = {**_read_json(folder / KEYS), **{k: v for k, v in (overrides or {}).items() if v}}
    witnesses = keys.get("witness_vkeys") or {}
    policy = keys.get("policy") or ["MX", "US"]
    if not isinstance(witnesses, dict) or not isinstance(policy, list | tuple):
        raise ExportError("keys.json: witness_vkeys must be an object and policy a list")
    return TrustAnchors(str(keys.get("origin", "")), str(keys.get("log_vkey", "")),
                        {str(k): str(v) for k, v in witnesses.items()},
                        tuple(str(c) for c in policy))


ChainTuple = tuple[int, str, bytes, bytes, bytes]


def _export_events(path: Path, problems: list[str]) -> Iterator[ChainTuple]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ExportError(f"{path.name} is unreadable: {exc}") from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            try:
                item = json.loads(line)
                event = item["event"]
                yield (int(event["seq"]), str(event["id"]), encode_canonical(event),
                       bytes.fromhex(item["prev_hash"]), bytes.fromhex(item["hash"]))
            except (ValueError, KeyError, TypeError) as exc:
                problems.append(f"{path.name} line {number} is not a valid event ({exc})")
                return


def _export_records(path: Path) -> list[CheckpointRecord]:
    records = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ExportError(f"{path.name} is unreadable: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        try:
            item = json.loads(line)
            records.append(CheckpointRecord(
                int(item["number"]), str(item["note"]), int(item["tree_size"]),
                bytes.fromhex(item["root"]),
                tuple((str(c["country"]), str(c["line"])) for c in item["cosignatures"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise ExportError(f"{path.name} line {number} is malformed ({exc})") from exc
    return records


def verify_export(folder: Path, anchors: TrustAnchors) -> VerificationReport:
    """Verify an export offline: every event, every checkpoint signature, root and cosignature."""
    manifest = _read_json(folder / MANIFEST)
    if manifest.get("format") != EXPORT_FORMAT:
        raise ExportError(f"not a {EXPORT_FORMAT} export (format {manifest.get('format')!r})")
    records = _export_records(folder / CHECKPOINTS)
    parse_problems: list[str] = []
    report = verify_history(_export_events(folder / EVENTS, parse_problems), records, anchors)
    for message in parse_problems:
        report.problems.insert(0, Problem("event", report.events + 1, message))
    declared = manifest.get("events")
    if isinstance(declared, int) and declared != report.events:
        report.add("event", report.events + 1, f"manifest lists {declared} events but "
                   f"{EVENTS} holds {report.events}")
    return report

