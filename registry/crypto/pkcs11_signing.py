"""Ed25519 signing keys generated and kept in a PKCS#11 token; only signatures leave it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11 import exceptions as p11e

from registry.crypto.pkcs11_token import (
    ObjectMissing,
    Pkcs11Config,
    TokenUser,
    find_token,
    module_lock,
)
from registry.errors import Conflict, KeyUnavailable

SIGNING_LABEL_PREFIX = "vetreg-sign-"
# DER of the Ed25519 curve: the RFC 8410 OID 1.3.101.112, or the PrintableString form.
_ED25519_PARAMS = (bytes.fromhex("06032b6570"), b"\x13\x0cedwards25519")
_EDDSA_MECHANISMS = frozenset({Mechanism.EC_EDWARDS_KEY_PAIR_GEN, Mechanism.EDDSA})


def _raw_public_key(point: bytes) -> bytes:
    if len(point) == 34 and point[:2] == b"\x04\x20":
        return point[2:]  # DER OCTET STRING, as PKCS#11 v2.40 tokens return it
    if len(point) == 32:
        return point
    raise KeyUnavailable("the token's Ed25519 public key has an unexpected encoding")


class Pkcs11SigningKey(TokenUser):
    """An Ed25519 key pair generated in the token (CKM_EDDSA); only signatures leave it."""

    def __init__(self, config: Pkcs11Config, name: str, label: str | None = None) -> None:
        """Open the existing key pair labelled `label` (default `vetreg-sign-<name>`)."""
        if not name or "+" in name or any(ch.isspace() for ch in name):
            raise ValueError("key name must be non-empty, without spaces or '+'")
        super().__init__(config)
        self._name = name
        self.label = label or f"{SIGNING_LABEL_PREFIX}{name}"
        try:
            self._public = self._run(f"reading signing key {self.label!r}", self._read_public)
        except BaseException:
            self.close()
            raise

    @classmethod
    def generate(cls, config: Pkcs11Config, name: str, label: str | None = None) -> Self:
        """Generate a new key pair in the token; refuses if the label is taken."""
        key_label = label or f"{SIGNING_LABEL_PREFIX}{name}"
        with TokenUser(config) as user:
            user._run(
                f"generating signing key {key_label!r}",
                lambda s: _generate_ed25519(s, config, key_label),
                retry=False,
            )
        return cls(config, name, key_label)

    @classmethod
    def from_env(
        cls, name: str, environ: Mapping[str, str] | None = None, label: str | None = None
    ) -> Self:
        """The existing key pair, on the token named by the `VETREG_PKCS11_*` variables."""
        return cls(Pkcs11Config.from_env(environ), name, label)

    @property
    def name(self) -> str:
        """The key name used in signed-note signature lines."""
        return self._name

    def public_key_bytes(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        return self._public

    def sign(self, message: bytes) -> bytes:
        """A 64-byte Ed25519 signature over `message`, computed by the token."""

        def op(session: pkcs11.Session) -> bytes:
            private = self._find(session, ObjectClass.PRIVATE_KEY)
            return bytes(private.sign(bytes(message), mechanism=Mechanism.EDDSA))

        return self._run(f"signing with {self.label!r}", op)

    def _find(self, session: pkcs11.Session, object_class: ObjectClass) -> Any:
        objs = list(
            session.get_objects(
                {
                    Attribute.CLASS: object_class,
                    Attribute.LABEL: self.label,
                    Attribute.KEY_TYPE: KeyType.EC_EDWARDS,
                }
            )
        )
        if len(objs) != 1:
            found, error = ("no", ObjectMissing) if not objs else ("several", KeyUnavailable)
            raise error(
                f"{self.config.describe()} holds {found} Ed25519 "
                f"{object_class.name.lower()} keys labelled {self.label!r}"
            )
        return objs[0]

    def _read_public(self, session: pkcs11.Session) -> bytes:
        self._find(session, ObjectClass.PRIVATE_KEY)
        public = self._find(session, ObjectClass.PUBLIC_KEY)
        if bytes(public[Attribute.EC_PARAMS]) not in _ED25519_PARAMS:
            raise KeyUnavailable(f"signing key {self.label!r} is not on curve Ed25519")
        return _raw_public_key(bytes(public[Attribute.EC_POINT]))

    def __repr__(self) -> str:
        return f"Pkcs11SigningKey(name={self._name!r}, public={self._public.hex()})"


def eddsa_supported(config: Pkcs11Config) -> bool:
    """Whether the token offers Ed25519 key generation and signing."""
    slot = find_token(config).slot
    try:
        with module_lock(config.module):
            return set(slot.get_mechanisms()) >= _EDDSA_MECHANISMS
    except p11e.PKCS11Error:
        return False


def _generate_ed25519(session: pkcs11.Session, config: Pkcs11Config, label: str) -> None:
    if not set(session.token.slot.get_mechanisms()) >= _EDDSA_MECHANISMS:
        raise KeyUnavailable(f"{config.describe()} does not support Ed25519 (CKM_EDDSA)")
    if list(session.get_objects({Attribute.LABEL: label})):
        raise Conflict(f"{config.describe()} already holds objects labelled {label!r}")
    session.generate_keypair(
        KeyType.EC_EDWARDS,
        store=True,
        label=label,
        id=label.encode(),
        capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY,
        public_template={Attribute.EC_PARAMS: _ED25519_PARAMS[0]},
        private_template={
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
            Attribute.MODIFIABLE: False,
        },
    )
