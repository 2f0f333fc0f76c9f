"""KEKs and signing keys held in a PKCS#11 token (an HSM; SoftHSM2 for testing).

Wrapped-key format: RFC 3394 AES key wrap (CKM_AES_KEY_WRAP, default IV A6A6A6A6A6A6A6A6) of the
raw data key under an AES-256 KEK, 8 bytes longer than the key (40 for a 32-byte key): the format
`FileKeyProvider` writes. The token does every wrap and unwrap. Tokens such as SoftHSM2 offer
CKM_AES_KEY_WRAP to C_WrapKey/C_UnwrapKey only, so a data key enters as a short-lived session
object (never stored), is wrapped (or unwrapped and read), and the object is destroyed. KEKs are
generated in the token, sensitive, non-extractable, unmodifiable, for wrap/unwrap only, and
labelled `vetreg-kek-N`. One logged-in session per token serves the whole process (PKCS#11 login
state is per process). python-pkcs11 initialises modules for single-threaded use, so calls into
one module are serialised. Open providers and keys after forking.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Self

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11 import exceptions as p11e

from registry.crypto.pkcs11_signing import (
    SIGNING_LABEL_PREFIX,
    Pkcs11SigningKey,
    eddsa_supported,
)
from registry.crypto.pkcs11_token import (
    ENV_LABEL,
    ENV_MODULE,
    ENV_PIN,
    ENV_PIN_FILE,
    ENV_SLOT,
    ObjectMissing,
    Pkcs11Config,
    TokenUser,
    destroy_quietly,
)
from registry.errors import Conflict, DecryptionFailed, KeyUnavailable

__all__ = [
    "ENV_LABEL",
    "ENV_MODULE",
    "ENV_PIN",
    "ENV_PIN_FILE",
    "ENV_SLOT",
    "KEK_LABEL_PREFIX",
    "SIGNING_LABEL_PREFIX",
    "Pkcs11Config",
    "Pkcs11KeyProvider",
    "Pkcs11SigningKey",
    "eddsa_supported",
]

KEK_LABEL_PREFIX = "vetreg-kek-"
WRAP_MECHANISM = Mechanism.AES_KEY_WRAP
_KEK_LABEL = re.compile(re.escape(KEK_LABEL_PREFIX) + r"([1-9][0-9]*)")
_KEK_TEMPLATE: dict[Attribute, Any] = {
    Attribute.PRIVATE: True,
    Attribute.SENSITIVE: True,
    Attribute.EXTRACTABLE: False,
    Attribute.MODIFIABLE: False,
}
_BAD_WRAPPING: tuple[type[p11e.PKCS11Error], ...] = (
    p11e.WrappedKeyInvalid,
    p11e.WrappedKeyLenRange,
    p11e.EncryptedDataInvalid,
    p11e.EncryptedDataLenRange,
    p11e.DataInvalid,
    p11e.DataLenRange,
    p11e.GeneralError,
    p11e.FunctionFailed,
)
# A data key while the token wraps or unwraps it: a session object that can be read back.
_DATA_KEY_TEMPLATE: dict[Attribute, Any] = {
    Attribute.CLASS: ObjectClass.SECRET_KEY,
    Attribute.KEY_TYPE: KeyType.GENERIC_SECRET,
    Attribute.TOKEN: False,
    Attribute.PRIVATE: True,
    Attribute.SENSITIVE: False,
    Attribute.EXTRACTABLE: True,
}


def _kek_number(kek_id: str) -> int:
    match = _KEK_LABEL.fullmatch(kek_id)
    if match is None:
        raise KeyUnavailable(f"{kek_id!r} is not a PKCS#11 key-encryption key id")
    return int(match.group(1))


class Pkcs11KeyProvider(TokenUser):
    """KEKs generated and kept inside a PKCS#11 token; data keys are wrapped by the token."""

    def __init__(
        self, module: str, *, token_label: str | None = None, slot: int | None = None, pin: str
    ) -> None:
        super().__init__(Pkcs11Config(module=module, token_label=token_label, slot=slot, pin=pin))

    @classmethod
    def from_config(cls, config: Pkcs11Config) -> Self:
        """A provider for an already-read configuration."""
        return cls(config.module, token_label=config.token_label, slot=config.slot, pin=config.pin)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """A provider configured by the `VETREG_PKCS11_*` variables."""
        return cls.from_config(Pkcs11Config.from_env(environ))

    def __repr__(self) -> str:
        return f"<Pkcs11KeyProvider {self.config.describe()} module={self.config.module}>"

    @staticmethod
    def _keks(session: pkcs11.Session, label: str | None = None) -> dict[int, list[Any]]:
        query: dict[Attribute, Any] = {
            Attribute.CLASS: ObjectClass.SECRET_KEY,
            Attribute.KEY_TYPE: KeyType.AES,
        }
        if label is not None:
            query[Attribute.LABEL] = label
        found: dict[int, list[Any]] = {}
        for obj in list(session.get_objects(query)):
            match = _KEK_LABEL.fullmatch(obj[Attribute.LABEL])
            if match is not None:
                found.setdefault(int(match.group(1)), []).append(obj)
        return found

    def _kek(self, session: pkcs11.Session, kek_id: str) -> Any:
        objs = self._keks(session, kek_id).get(_kek_number(kek_id), [])
        if not objs:
            raise ObjectMissing(
                f"key-encryption key {kek_id!r} is not in "
                f"{self.config.describe()} (retired, or never created there)"
            )
        if len(objs) > 1:
            raise KeyUnavailable(f"{self.config.describe()} holds several keys labelled {kek_id!r}")
        return objs[0]

    def kek_ids(self) -> list[str]:
        """The KEKs in the token, oldest first."""

        def op(session: pkcs11.Session) -> list[int]:
            numbers = sorted(self._keks(session))
            if not numbers:
                raise ObjectMissing("no key-encryption key")
            return numbers

        try:
            numbers = self._run("listing key-encryption keys", op)
        except ObjectMissing:
            return []
        return [f"{KEK_LABEL_PREFIX}{n}" for n in numbers]

    def active_kek_id(self) -> str:
        """The highest-numbered KEK in the token (retired ones are destroyed)."""
        ids = self.kek_ids()
        if not ids:
            raise KeyUnavailable(
                f"{self.config.describe()} holds no key-encryption key; create one with new_kek()"
            )
        return ids[-1]

    def ensure_kek(self) -> str:
        """The active KEK id, generating `vetreg-kek-1` first if the token holds none."""
        ids = self.kek_ids()
        return ids[-1] if ids else self.new_kek()

    def wrap(self, kek_id: str, key: bytes) -> bytes:
        """RFC 3394 wrap of `key` (16 bytes or more, a multiple of 8) under the KEK."""
        if len(key) < 16 or len(key) % 8:
            raise ValueError("a data key must be at least 16 bytes and a multiple of 8")
        _kek_number(kek_id)

        def op(session: pkcs11.Session) -> bytes:
            kek = self._kek(session, kek_id)
            temp = session.create_object({**_DATA_KEY_TEMPLATE, Attribute.VALUE: bytes(key)})
            try:
                return bytes(kek.wrap_key(temp, mechanism=WRAP_MECHANISM))
            finally:
                destroy_quietly(temp)

        return self._run(f"wrapping a data key under {kek_id!r}", op)

    def unwrap(self, kek_id: str, wrapped: bytes) -> bytes:
        """The data key from its RFC 3394 wrapping; DecryptionFailed if it does not unwrap."""
        _kek_number(kek_id)
        if len(wrapped) < 24 or len(wrapped) % 8:
            raise DecryptionFailed(f"data key does not unwrap under {kek_id!r} (bad length)")

        def op(session: pkcs11.Session) -> bytes:
            kek = self._kek(session, kek_id)
            try:
                temp = kek.unwrap_key(
                    ObjectClass.SECRET_KEY,
                    KeyType.GENERIC_SECRET,
                    bytes(wrapped),
                    mechanism=WRAP_MECHANISM,
                    store=False,
                    capabilities=0,
                    template=_DATA_KEY_TEMPLATE,
                )
            except _BAD_WRAPPING:
                raise DecryptionFailed(f"data key does not unwrap under {kek_id!r}") from None
            try:
                return bytes(temp[Attribute.VALUE])
            finally:
                destroy_quietly(temp)

        return self._run(f"unwrapping a data key under {kek_id!r}", op)

    def new_kek(self) -> str:
        """Generate the next KEK in the token; it becomes the active one."""

        def op(session: pkcs11.Session) -> str:
            label = f"{KEK_LABEL_PREFIX}{max(self._keks(session), default=0) + 1}"
            key = session.generate_key(
                KeyType.AES,
                256,
                label=label,
                id=label.encode(),
                store=True,
                capabilities=MechanismFlag.WRAP | MechanismFlag.UNWRAP,
                template=_KEK_TEMPLATE,
            )
            if len(self._keks(session, label).get(_kek_number(label), [])) > 1:
                key.destroy()
                raise Conflict(f"another process created {label!r} at the same time; retry")
            return label

        return self._run("generating a key-encryption key", op, retry=False)

    def retire_kek(self, kek_id: str) -> None:
        """Destroy a non-active KEK: data keys still wrapped under it become unrecoverable."""
        _kek_number(kek_id)

        def op(session: pkcs11.Session) -> None:
            keks = self._keks(session)
            if keks and kek_id == f"{KEK_LABEL_PREFIX}{max(keks)}":
                raise KeyUnavailable("the active key-encryption key cannot be retired")
            objs = keks.get(_kek_number(kek_id), [])
            if not objs:
                raise ObjectMissing(
                    f"key-encryption key {kek_id!r} is not in {self.config.describe()}"
                )
            for obj in objs:
                obj.destroy()

        self._run(f"retiring {kek_id!r}", op, retry=False)
