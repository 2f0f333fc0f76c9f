"""C2SP signed notes, tlog checkpoints and tlog-cosignature/v1 witness cosignatures.

Formats followed: c2sp.org/signed-note (Ed25519, signature type 0x01, and the
"<name>+<hex key ID>+<base64(type || public key)>" verifier-key text), c2sp.org/tlog-checkpoint
(origin, tree size, base64 root hash, optional extension lines) and c2sp.org/tlog-cosignature
(Ed25519 cosignature/v1, signature type 0x04, timestamp || signature).
Signatures from unknown keys are kept when a note is parsed and re-serialised, and ignored when
it is verified.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from registry.audit.errors import NoteError, SignatureError
from registry.crypto.signing import SigningKey, verify_ed25519

SIG_ED25519 = 0x01
SIG_COSIGNATURE_V1 = 0x04
KNOWN_SIG_TYPES = (SIG_ED25519, SIG_COSIGNATURE_V1)
MAX_SIGNATURES = 100
ROOT_HASH_SIZE = 32
PUBLIC_KEY_SIZE = 32
MAX_TIMESTAMP = 2**63 - 1

_SIG_PREFIX = "\u2014 "
_COSIG_HEADER = "cosignature/v1\n"
_SIZE_RE = re.compile(r"0|[1-9][0-9]*")
_HEX8_RE = re.compile(r"[0-9a-fA-F]{8}")


def is_valid_key_name(name: str) -> bool:
    """Whether `name` is a legal note key name: non-empty, no Unicode spaces, no '+'."""
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    """The 4-byte key ID: SHA-256(name || 0x0A || signature type || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()[:4]


def _b64decode_canonical(text: str, what: str) -> bytes:
    """Standard base64 that must also be the canonical encoding of its bytes."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise NoteError(f"{what} is not valid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError(f"{what} is not canonical base64")
    return raw


def _check_text_chars(text: str, what: str) -> None:
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise NoteError(f"{what} contains control characters")


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a note: key name, 4-byte key ID and the signature bytes."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        """The signature line, newline included."""
        encoded = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{_SIG_PREFIX}{self.name} {encoded}\n"

    @classmethod
    def parse_line(cls, line: str) -> NoteSignature:
        """Parse one signature line (with or without its final newline)."""
        line = line.removesuffix("\n")
        if not line.startswith(_SIG_PREFIX) or "\n" in line:
            raise NoteError("signature line must start with an em dash and a space")
        name, sep, encoded = line[len(_SIG_PREFIX) :].partition(" ")
        if not sep or not is_valid_key_name(name) or not encoded:
            raise NoteError("malformed signature line")
        raw = _b64decode_canonical(encoded, "signature")
        if len(raw) < 5:
            raise NoteError("signature is too short")
        return cls(name, raw[:4], raw[4:])


@dataclass(frozen=True)
class VerifierKey:
    """A public key for one signature type, as named in a note's signature lines."""

    name: str
    sig_type: int
    public_key: bytes

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise NoteError(f"invalid key name {self.name!r}")
        if self.sig_type not in KNOWN_SIG_TYPES:
            raise NoteError(f"unsupported signature type 0x{self.sig_type:02x}")
        if len(self.public_key) != PUBLIC_KEY_SIZE:
            raise NoteError(f"Ed25519 public key must be {PUBLIC_KEY_SIZE} bytes")

    @property
    def key_id(self) -> bytes:
        """The 4-byte key ID of this key."""
        return key_id(self.name, self.sig_type, self.public_key)

    def to_vkey(self) -> str:
        """The verifier-key text "<name>+<hex key ID>+<base64(type || key)>"."""
        material = base64.b64encode(bytes([self.sig_type]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{material}"

    @classmethod
    def parse(cls, vkey: str) -> VerifierKey:
        """Parse verifier-key text, checking that its key ID matches its key."""
        name, _, rest = vkey.partition("+")
        hex_id, _, material = rest.partition("+")
        if not _HEX8_RE.fullmatch(hex_id) or not material:
            raise NoteError("malformed verifier key")
        raw = _b64decode_canonical(material, "verifier key material")
        if not raw:
            raise NoteError("verifier key has no key material")
        key = cls(name, raw[0], raw[1:])
        if key.key_id != bytes.fromhex(hex_id):
            raise NoteError("verifier key ID does not match its key")
        return key

    @classmethod
    def for_signer(cls, key: SigningKey, sig_type: int = SIG_ED25519) -> VerifierKey:
        """The verifier key matching a signing key, for the given signature type."""
        return cls(key.name, sig_type, key.public_key_bytes())

    def matches(self, sig: NoteSignature) -> bool:
        """Whether a signature line names this key (same name and key ID)."""
        return sig.name == self.name and sig.key_id == self.key_id

    def verify(self, text: str, sig: NoteSignature) -> bool:
        """Whether `sig` is this key's valid signature over the note text."""
        if not self.matches(sig):
            return False
        if self.sig_type == SIG_ED25519:
            return verify_ed25519(self.public_key, text.encode(), sig.signature)
        if len(sig.signature) != 8 + 64:
            return False
        timestamp = int.from_bytes(sig.signature[:8], "big")
        if timestamp > MAX_TIMESTAMP:
            return False
        message = cosignature_message(text, timestamp)
        return verify_ed25519(self.public_key, message, sig.signature[8:])


def _as_verifier(key: VerifierKey | str) -> VerifierKey:
    return key if isinstance(key, VerifierKey) else VerifierKey.parse(key)


def signing_vkey(key: SigningKey) -> str:
    """Verifier-key text for a key's Ed25519 note signatures (type 0x01)."""
    return VerifierKey.for_signer(key, SIG_ED25519).to_vkey()


def cosigning_vkey(key: SigningKey) -> str:
    """Verifier-key text for a key's cosignature/v1 signatures (type 0x04)."""
    return VerifierKey.for_signer(key, SIG_COSIGNATURE_V1).to_vkey()


@dataclass(frozen=True)
class Note:
    """A signed note: text ending in a newline, then its signatures."""

    text: str
    signatures: tuple[NoteSignature, ...] = ()

    def serialize(self) -> str:
        """The note as text: body, blank line, one line per signature."""
        if not self.signatures:
            raise NoteError("a signed note needs at least one signature")
        return self.text + "\n" + "".join(sig.line() for sig in self.signatures)

    @classmethod
    def parse(cls, data: str | bytes) -> Note:
        """Parse a signed note without verifying anything."""
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise NoteError("note is not valid UTF-8") from exc
        _check_text_chars(data, "note")
        split = data.rfind("\n\n")
        if split < 0:
            raise NoteError("note has no blank line before its signatures")
        text, block = data[: split + 1], data[split + 2 :]
        if not block or not block.endswith("\n"):
            raise NoteError("note must end with signature lines")
        lines = block[:-1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
        return cls(text, tuple(NoteSignature.parse_line(line) for line in lines))

    def with_signatures(self, signatures: Iterable[NoteSignature]) -> Note:
        """This note with further signatures appended (exact duplicates are skipped)."""
        combined = list(self.signatures)
        for sig in signatures:
            if sig not in combined:
                combined.append(sig)
        if len(combined) > MAX_SIGNATURES:
            raise NoteError(f"note would have more than {MAX_SIGNATURES} signatures")
        return Note(self.text, tuple(combined))


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head in tlog-checkpoint form: origin, size, root hash, extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise NoteError("checkpoint origin must be one non-empty line")
        if not 0 <= self.size < 2**64:
            raise NoteError("checkpoint size out of range")
        if len(self.root_hash) != ROOT_HASH_SIZE:
            raise NoteError(f"checkpoint root hash must be {ROOT_HASH_SIZE} bytes")
        if any(not ext or "\n" in ext for ext in self.extensions):
            raise NoteError("checkpoint extension lines must be non-empty single lines")
        _check_text_chars(self.origin + "".join(self.extensions), "checkpoint")

    def body(self) -> str:
        """The note text: one line each for origin, size, root hash and extensions."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        """Parse checkpoint note text (not the signatures)."""
        if not body.endswith("\n"):
            raise NoteError("checkpoint body must end with a newline")
        lines = body[:-1].split("\n")
        if len(lines) < 3 or any(not line for line in lines):
            raise NoteError("checkpoint body needs at least three non-empty lines")
        if not _SIZE_RE.fullmatch(lines[1]):
            raise NoteError("checkpoint size must be a decimal without leading zeroes")
        root = _b64decode_canonical(lines[2], "checkpoint root hash")
        return cls(lines[0], int(lines[1]), root, tuple(lines[3:]))


def cosignature_message(text: str, timestamp: int) -> bytes:
    """The bytes an Ed25519 cosignature/v1 signs for a checkpoint body and a time."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError("cosignature timestamp out of range")
    return f"{_COSIG_HEADER}time {timestamp}\n{text}".encode()


def cosignature_timestamp(sig: NoteSignature) -> int:
    """The POSIX time carried by a cosignature/v1 signature (not verified here)."""
    if len(sig.signature) != 8 + 64:
        raise NoteError("not an Ed25519 cosignature/v1 signature")
    return int.from_bytes(sig.signature[:8], "big")


def _check_body(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    _check_text_chars(text, "note text")


def sign_text(text: str, key: SigningKey) -> NoteSignature:
    """An Ed25519 (type 0x01) note signature over `text`."""
    _check_body(text)
    kid = key_id(key.name, SIG_ED25519, key.public_key_bytes())
    return NoteSignature(key.name, kid, key.sign(text.encode()))


def cosign_text(text: str, key: SigningKey, timestamp: int) -> NoteSignature:
    """An Ed25519 cosignature/v1 (type 0x04) over checkpoint text at `timestamp`."""
    _check_body(text)
    Checkpoint.parse(text)
    signature = key.sign(cosignature_message(text, timestamp))
    kid = key_id(key.name, SIG_COSIGNATURE_V1, key.public_key_bytes())
    return NoteSignature(key.name, kid, timestamp.to_bytes(8, "big") + signature)


def sign_checkpoint(checkpoint: Checkpoint, key: SigningKey) -> str:
    """The checkpoint as a signed note carrying the log's Ed25519 signature."""
    body = checkpoint.body()
    return Note(body, (sign_text(body, key),)).serialize()


def cosign_checkpoint(signed: str | bytes, key: SigningKey, timestamp: int | None = None) -> str:
    """A cosignature line over a signed checkpoint's body (the log signature is not checked)."""
    note = Note.parse(signed)
    when = int(time.time()) if timestamp is None else timestamp
    return cosign_text(note.text, key, when).line()


def add_signature_lines(signed: str | bytes, lines: str | Iterable[str]) -> str:
    """The signed note with extra signature lines appended, e.g. witness cosignatures."""
    note = Note.parse(signed)
    if isinstance(lines, str):
        lines = [line for line in lines.split("\n") if line]
    return note.with_signatures(NoteSignature.parse_line(line) for line in lines).serialize()


def open_note(
    signed: str | bytes, verifiers: Iterable[VerifierKey | str]
) -> tuple[Note, list[NoteSignature]]:
    """Parse a note and verify it against known keys, returning it and its verified signatures.

    Signatures from unknown keys are ignored; a known key's failing signature rejects the whole
    note; a note without any verified signature is rejected (SignatureError).
    """
    note = Note.parse(signed)
    known = [_as_verifier(v) for v in verifiers]
    verified: list[NoteSignature] = []
    for sig in note.signatures:
        candidates = {v for v in known if v.matches(sig)}
        if len(candidates) > 1:
            raise NoteError(f"ambiguous key {sig.name}+{sig.key_id.hex()}")
        if not candidates:
            continue
        if not candidates.pop().verify(note.text, sig):
            raise SignatureError(f"invalid signature for key {sig.name}+{sig.key_id.hex()}")
        if sig not in verified:
            verified.append(sig)
    if not verified:
        raise SignatureError("note has no verifiable signature from the expected keys")
    return note, verified


def open_checkpoint(signed: str | bytes, log_vkey: VerifierKey | str) -> tuple[Checkpoint, Note]:
    """Verify the log's Ed25519 signature on a checkpoint and parse its body."""
    key = _as_verifier(log_vkey)
    if key.sig_type != SIG_ED25519:
        raise NoteError("a log key must be an Ed25519 (type 0x01) verifier key")
    note, _ = open_note(signed, [key])
    return Checkpoint.parse(note.text), note


def verify_cosignature(signed: str | bytes, witness_vkey: VerifierKey | str) -> int:
    """Verify one witness's cosignature on a checkpoint and return its timestamp."""
    key = _as_verifier(witness_vkey)
    if key.sig_type != SIG_COSIGNATURE_V1:
        raise NoteError("a witness key must be a cosignature/v1 (type 0x04) verifier key")
    note, verified = open_note(signed, [key])
    Checkpoint.parse(note.text)
    return cosignature_timestamp(verified[0])
