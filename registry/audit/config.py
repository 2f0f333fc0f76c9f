"""Audit-log configuration from `VETREG_*` variables, and the deployment's log signing key.

VETREG_DEPLOYMENT       deployment name used in the default origin (default "local")
VETREG_AUDIT_ORIGIN     checkpoint origin line (default "vetreg.<deployment>/audit")
VETREG_LOG_KEY_FILE     Ed25519 log key file (default <instance>/audit-log.key, created 0600)
VETREG_LOG_VKEY         the log's public verifier key, for verifiers without the key file
VETREG_LOG_KEY_LABEL    PKCS#11 label of the log key when VETREG_KEY_PROVIDER=pkcs11
VETREG_WITNESS_KEYS     "MX=<vkey>,US=<vkey>": each country's witness cosignature key
VETREG_WITNESS_URLS     "MX=http://...,US=http://...": where each witness listens
VETREG_WITNESS_POLICY   countries whose cosignature makes a checkpoint final (default "MX,US")
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from registry.audit.checkpoint import SIG_COSIGNATURE_V1, VerifierKey, signing_vkey
from registry.audit.errors import NoteError
from registry.audit.verify import TrustAnchors
from registry.config import Settings
from registry.crypto.signing import Ed25519FileKey, SigningKey
from registry.errors import KeyUnavailable, ValidationFailed

COUNTRIES = ("MX", "US")


def _pairs(text: str, variable: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in text.replace(";", ",").split(","):
        if not item.strip():
            continue
        country, sep, value = item.strip().partition("=")
        country = country.strip().upper()
        if not sep or country not in COUNTRIES or not value.strip():
            raise ValidationFailed.single(variable, f"expected COUNTRY=VALUE pairs, got {item!r}")
        pairs[country] = value.strip()
    return pairs


def parse_policy(text: str) -> tuple[str, ...]:
    """Countries required for finality, e.g. "MX,US" (both) or "MX"."""
    countries = tuple(dict.fromkeys(c.strip().upper() for c in text.split(",") if c.strip()))
    bad = [c for c in countries if c not in COUNTRIES]
    if not countries or bad:
        raise ValidationFailed.single(
            "VETREG_WITNESS_POLICY", f"list countries among {', '.join(COUNTRIES)}, e.g. MX,US")
    return countries


@dataclass(frozen=True)
class AuditSettings:
    """Where the log key is, what the checkpoints are called, who witnesses them."""

    origin: str
    log_key_file: Path
    key_provider: str = "file"
    log_key_label: str | None = None
    witness_vkeys: Mapping[str, str] = field(default_factory=dict)
    witness_urls: Mapping[str, str] = field(default_factory=dict)
    policy: tuple[str, ...] = COUNTRIES

    def __post_init__(self) -> None:
        for country, vkey in self.witness_vkeys.items():
            try:
                key = VerifierKey.parse(vkey)
            except NoteError as exc:
                raise ValidationFailed.single(
                    "VETREG_WITNESS_KEYS", f"{country}: not a verifier key ({exc})") from exc
            if key.sig_type != SIG_COSIGNATURE_V1:
                raise ValidationFailed.single(
                    "VETREG_WITNESS_KEYS", f"{country}: not a cosignature/v1 witness key")

    @classmethod
    def from_env(
        cls, settings: Settings, environ: Mapping[str, str] | None = None
    ) -> AuditSettings:
        env = os.environ if environ is None else environ
        deployment = env.get("VETREG_DEPLOYMENT", "local").strip() or "local"
        origin = env.get("VETREG_AUDIT_ORIGIN", f"vetreg.{deployment}/audit").strip()
        key_file = Path(env.get("VETREG_LOG_KEY_FILE", settings.instance_dir / "audit-log.key"))
        return cls(
            origin=origin,
            log_key_file=key_file,
            key_provider=settings.key_provider,
            log_key_label=env.get("VETREG_LOG_KEY_LABEL") or None,
            witness_vkeys=_pairs(env.get("VETREG_WITNESS_KEYS", ""), "VETREG_WITNESS_KEYS"),
            witness_urls=_pairs(env.get("VETREG_WITNESS_URLS", ""), "VETREG_WITNESS_URLS"),
            policy=parse_policy(env.get("VETREG_WITNESS_POLICY", ",".join(COUNTRIES))),
        )

    def load_log_key(self, *, create: bool = False) -> SigningKey:
        """The log signing key: the PKCS#11 token's, or the key file (created 0600 if asked)."""
        if self.key_provider == "pkcs11":
            from registry.crypto.pkcs11 import Pkcs11SigningKey

            return Pkcs11SigningKey.from_env(self.origin, label=self.log_key_label)
        path = self.log_key_file
        if not path.exists():
            if not create:
                raise KeyUnavailable(
                    f"no audit log key at {path}; run 'vetreg audit checkpoint' or 'vetreg init'")
            path.parent.mkdir(parents=True, exist_ok=True)
            key = Ed25519FileKey.generate(path, self.origin)
            # Published beside it, for processes that verify but must not hold the private key.
            self.vkey_file.write_text(signing_vkey(key) + "\n")
            return key
        try:
            return Ed25519FileKey.load(path)
        except (OSError, ValueError) as exc:
            raise KeyUnavailable(f"audit log key {path} is unreadable: {exc}") from exc

    @property
    def vkey_file(self) -> Path:
        """Where the log's public verifier key is published (beside the key file)."""
        return self.log_key_file.with_suffix(".vkey")

    def log_vkey(self) -> str:
        """The log's verifier key: VETREG_LOG_VKEY, the published .vkey file, or the key itself."""
        pinned = os.environ.get("VETREG_LOG_VKEY", "").strip()
        if pinned:
            return pinned
        if self.key_provider != "pkcs11" and self.vkey_file.exists():
            return self.vkey_file.read_text().strip()
        return signing_vkey(self.load_log_key())

    def public_anchors(self) -> TrustAnchors:
        """Trust anchors without touching the private key when its public half is published."""
        return TrustAnchors(self.origin, self.log_vkey(), dict(self.witness_vkeys), self.policy)

    def anchors(self, log_key: SigningKey) -> TrustAnchors:
        """The trust anchors a server-side verification uses."""
        return TrustAnchors(self.origin, signing_vkey(log_key), dict(self.witness_vkeys),
                            self.policy)
