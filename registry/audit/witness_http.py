"""The witness over HTTP (c2sp.org/tlog-witness `add-checkpoint`), server and client.

Request body: "old <size>\n", one base64 consistency-proof hash per line, a blank line, then the
signed checkpoint. Answers: 200 with cosignature lines; 409 with the witness's latest size
(text/x.tlog.size) when the caller's old size is wrong; 403 for a bad or untrusted log signature;
404 for an origin the witness does not follow; 422 when the proof fails (fork; evidence kept);
400 for anything malformed or a rollback (evidence kept).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol

from registry.audit.checkpoint import Checkpoint, Note
from registry.audit.errors import (
    AuditError,
    ForkDetected,
    NoteError,
    OldSizeMismatch,
    RollbackRefused,
    SignatureError,
    UntrustedLogKey,
    WitnessRefusal,
    WitnessUnreachable,
)
from registry.audit.witness import Witness

MAX_BODY = 64 * 1024
SIZE_TYPE = "text/x.tlog.size"
PATH = "/add-checkpoint"


class WitnessClient(Protocol):
    """Something that cosigns checkpoints: a remote witness, or one in this process (tests)."""

    def add_checkpoint(self, old_size: int, proof: Sequence[bytes], checkpoint: str) -> str:
        """Cosignature line(s) for `checkpoint`; raises OldSizeMismatch or WitnessRefusal."""
        ...


def encode_request(old_size: int, proof: Sequence[bytes], checkpoint: str) -> bytes:
    lines = [f"old {old_size}", *(base64.b64encode(p).decode("ascii") for p in proof)]
    return ("\n".join(lines) + "\n\n" + checkpoint).encode("utf-8")


def decode_request(body: bytes) -> tuple[int, list[bytes], str]:
    """Parse an add-checkpoint body; raises NoteError when malformed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NoteError("request is not UTF-8") from exc
    head, sep, checkpoint = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or not lines[0].startswith("old "):
        raise NoteError("request must start with 'old <size>' and a blank line before the note")
    size_text = lines[0][4:]
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise NoteError("old size must be a decimal number")
    try:
        proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
    except binascii.Error as exc:
        raise NoteError("proof lines must be base64") from exc
    return int(size_text), proof, checkpoint


class LocalWitness:
    """A witness object used directly, for tests and single-host setups."""

    def __init__(self, witness: Witness, log_vkeys: Mapping[str, str]) -> None:
        self.witness = witness
        self.log_vkeys = dict(log_vkeys)

    def add_checkpoint(self, old_size: int, proof: Sequence[bytes], checkpoint: str) -> str:
        origin = Checkpoint.parse(Note.parse(checkpoint).text).origin
        vkey = self.log_vkeys.get(origin)
        if vkey is None:
            raise UntrustedLogKey(f"origin {origin!r} is not a log this witness follows")
        return self.witness.cosign(checkpoint, proof, vkey, old_size=old_size)


class HttpWitness:
    """A remote witness reached over HTTP."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise WitnessUnreachable(f"witness URL must be http(s): {url!r}")
        self.url = url.rstrip("/")
        self.timeout = timeout

    def add_checkpoint(self, old_size: int, proof: Sequence[bytes], checkpoint: str) -> str:
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            self.url + PATH, data=encode_request(old_size, proof, checkpoint), method="POST",
            headers={"Content-Type": "text/plain; charset=utf-8"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return str(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace").strip()
            if exc.code == HTTPStatus.CONFLICT and exc.headers.get("Content-Type") == SIZE_TYPE:
                raise OldSizeMismatch(f"witness has cosigned up to size {body}",
                                      int(body)) from exc
            raise WitnessRefusal(f"witness refused ({exc.code}): {body}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise WitnessUnreachable(f"witness at {self.url} unreachable: {exc}") from exc


def _status_for(exc: AuditError) -> HTTPStatus:
    if isinstance(exc, OldSizeMismatch):
        return HTTPStatus.CONFLICT
    if isinstance(exc, UntrustedLogKey):
        return HTTPStatus.NOT_FOUND if "not a log" in str(exc) else HTTPStatus.FORBIDDEN
    if isinstance(exc, SignatureError):
        return HTTPStatus.FORBIDDEN
    if isinstance(exc, ForkDetected):
        return HTTPStatus.UNPROCESSABLE_ENTITY
    if isinstance(exc, RollbackRefused):
        return HTTPStatus.BAD_REQUEST
    return HTTPStatus.BAD_REQUEST


def make_server(witness: Witness, log_vkeys: Mapping[str, str], host: str = "127.0.0.1",
                port: int = 0, log: Callable[[str], None] | None = None) -> ThreadingHTTPServer:
    """An HTTP server for the witness (call `serve_forever()`); port 0 picks a free port."""
    local = LocalWitness(witness, log_vkeys)
    say = log or (lambda _message: None)

    class Handler(BaseHTTPRequestHandler):
        server_version = "vetreg-witness/1"

        def _send(self, status: HTTPStatus, body: str, content_type: str = "text/plain") -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path != "/":
                self._send(HTTPStatus.NOT_FOUND, "not found\n")
                return
            info = {"witness": witness.vkey, "logs": sorted(log_vkeys)}
            self._send(HTTPStatus.OK, json.dumps(info) + "\n", "application/json")

        def do_POST(self) -> None:
            if self.path != PATH:
                self._send(HTTPStatus.NOT_FOUND, "not found\n")
                return
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_BODY:
                self._send(HTTPStatus.BAD_REQUEST, "request body missing or too large\n")
                return
            try:
                old_size, proof, checkpoint = decode_request(self.rfile.read(length))
                line = local.add_checkpoint(old_size, proof, checkpoint)
            except OldSizeMismatch as exc:
                self._send(HTTPStatus.CONFLICT, f"{exc.latest_size}\n", SIZE_TYPE)
                return
            except AuditError as exc:
                self._send(_status_for(exc), f"{exc}\n")
                return
            self._send(HTTPStatus.OK, line)

        def log_message(self, format: str, *args: object) -> None:
            say(f"{self.address_string()} {format % args}")

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    """Run a server in a daemon thread (tests and embedded use)."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
