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

import contextlib
import hmac
import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self, TypeVar

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11 import exceptions as p11e

from registry.errors import Conflict, DecryptionFailed, KeyUnavailable

ENV_MODULE = "VETREG_PKCS11_MODULE"
ENV_LABEL = "VETREG_PKCS11_TOKEN_LABEL"
ENV_SLOT = "VETREG_PKCS11_SLOT"
ENV_PIN = "VETREG_PKCS11_PIN"
ENV_PIN_FILE = "VETREG_PKCS11_PIN_FILE"

KEK_LABEL_PREFIX = "vetreg-kek-"
SIGNING_LABEL_PREFIX = "vetreg-sign-"
WRAP_MECHANISM = Mechanism.AES_KEY_WRAP
_KEK_LABEL = re.compile(re.escape(KEK_LABEL_PREFIX) + r"([1-9][0-9]*)")
# DER of the Ed25519 curve: the RFC 8410 OID 1.3.101.112, or the PrintableString form.
_ED25519_PARAMS = (bytes.fromhex("06032b6570"), b"\x13\x0cedwards25519")
_EDDSA_MECHANISMS = frozenset({Mechanism.EC_EDWARDS_KEY_PAIR_GEN, Mechanism.EDDSA})
_KEK_TEMPLATE: dict[Attribute, Any] = {Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
                                        Attribute.EXTRACTABLE: False, Attribute.MODIFIABLE: False}
# Errors meaning the session is gone (token restarted, removed, logged out): reopen once.
_STALE: tuple[type[p11e.PKCS11Error], ...] = (p11e.SessionHandleInvalid, p11e.SessionClosed,
    p11e.DeviceRemoved, p11e.TokenNotPresent, p11e.UserNotLoggedIn)
_BAD_PIN: tuple[type[p11e.PKCS11Error], ...] = (p11e.PinIncorrect, p11e.PinInvalid,
    p11e.PinLenRange, p11e.PinExpired, p11e.PinLocked, p11e.UserPinNotInitialized)
# What C_UnwrapKey says of a wrapping that fails its integrity check (SoftHSM2: GeneralError).
_BAD_WRAPPING: tuple[type[p11e.PKCS11Error], ...] = (p11e.WrappedKeyInvalid,
    p11e.WrappedKeyLenRange, p11e.EncryptedDataInvalid, p11e.EncryptedDataLenRange,
    p11e.DataInvalid, p11e.DataLenRange, p11e.GeneralError, p11e.FunctionFailed)
# A data key while the token wraps or unwraps it: a session object that can be read back.
_DATA_KEY_TEMPLATE: dict[Attribute, Any] = {
    Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.KEY_TYPE: KeyType.GENERIC_SECRET,
    Attribute.TOKEN: False, Attribute.PRIVATE: True, Attribute.SENSITIVE: False,
    Attribute.EXTRACTABLE: True}
T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Pkcs11Config:
    """Where the token is and how to log in; the PIN never appears in repr."""

    module: str
    token_label: str | None = None
    slot: int | None = None
    pin: str = field(repr=False)

    def __post_init__(self) -> None:
        if self.token_label is None and self.slot is None:
            raise KeyUnavailable("PKCS#11 configuration needs a token label or a slot id")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Pkcs11Config:
        """Read the `VETREG_PKCS11_*` variables (the PIN directly, or from a file)."""
        env = os.environ if environ is None else environ
        module = env.get(ENV_MODULE, "")
        if not module:
            raise KeyUnavailable(f"{ENV_MODULE} must name the PKCS#11 module (a .so file)")
        slot_text = env.get(ENV_SLOT, "").strip()
        try:
            slot = int(slot_text, 0) if slot_text else None
        except ValueError:
            raise KeyUnavailable(f"{ENV_SLOT} must be an integer slot id") from None
        pin, pin_file = env.get(ENV_PIN), env.get(ENV_PIN_FILE)
        if pin is not None and pin_file is not None:
            raise KeyUnavailable(f"set only one of {ENV_PIN} and {ENV_PIN_FILE}")
        if pin_file is not None:
            try:
                pin = Path(pin_file).read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise KeyUnavailable(f"cannot read {ENV_PIN_FILE} {pin_file}: "
                                     f"{exc.strerror}") from None
        if not pin:
            raise KeyUnavailable(f"no token PIN: set {ENV_PIN} or {ENV_PIN_FILE}")
        label = env.get(ENV_LABEL) or None
        return cls(module=module, token_label=label, slot=slot, pin=pin)

    def describe(self) -> str:
        """The token as named in messages."""
        if self.token_label is not None:
            return f"token {self.token_label!r}"
        return f"token in slot {self.slot}"


class _Missing(KeyUnavailable):
    """An object was not found: retried once on a fresh login before it is believed."""


class _Connection:
    """The process's one logged-in session to one token, shared and reference-counted."""

    def __init__(self, config: Pkcs11Config, token: pkcs11.Token, key: tuple[str, int]) -> None:
        self.config = config
        self.token = token
        self.key = key
        self.refs = 0
        self.pid = os.getpid()
        self.lock = _module_lock(key[0])
        self.session: pkcs11.Session | None = None

    def open(self) -> pkcs11.Session:
        if self.session is None:
            name = self.config.describe()
            try:
                self.session = self.token.open(rw=True, user_pin=self.config.pin)
            except _BAD_PIN as exc:
                raise KeyUnavailable(f"login to {name} refused: wrong, expired or locked PIN "
                                     f"({type(exc).__name__})") from None
            except p11e.UserAlreadyLoggedIn:
                raise KeyUnavailable(f"{name} is already logged in by other code in this "
                                     "process; use one configuration per token") from None
            except p11e.PKCS11Error as exc:
                raise KeyUnavailable(f"cannot open {name}: {type(exc).__name__}") from None
        return self.session

    def drop(self) -> None:
        session, self.session = self.session, None
        if session is not None:
            with contextlib.suppress(p11e.PKCS11Error):
                session.close()

    def run(self, what: str, op: Callable[[pkcs11.Session], T], *, retry: bool = True) -> T:
        """Run `op` on the shared session, reopening it once if the token dropped it."""
        name = self.config.describe()
        with self.lock:
            if os.getpid() != self.pid:
                raise KeyUnavailable(f"{name} was opened before a fork; open it in this process")
            for attempt in (1, 2):
                try:
                    return op(self.open())
                except _Missing:
                    self.drop()  # private objects vanish from view if the login was lost
                    if attempt == 2:
                        raise
                except _STALE as exc:
                    self.drop()
                    if attempt == 2 or not retry:
                        raise KeyUnavailable(f"{what} failed: {name} is unavailable "
                                             f"({type(exc).__name__})") from None
                except p11e.PKCS11Error as exc:
                    raise KeyUnavailable(f"{what} failed on {name}: "
                                         f"{type(exc).__name__}") from None
        raise AssertionError("unreachable")


_registry: dict[tuple[str, int], _Connection] = {}
_registry_lock = threading.Lock()
_module_locks: dict[str, threading.RLock] = {}
_module_locks_lock = threading.Lock()


def _module_lock(module: str) -> threading.RLock:
    with _module_locks_lock:
        return _module_locks.setdefault(os.path.realpath(module), threading.RLock())


def _find_token(config: Pkcs11Config) -> pkcs11.Token:
    if not Path(config.module).is_file():
        raise KeyUnavailable(f"PKCS#11 module {config.module} not found")
    with _module_lock(config.module):
        return _find_token_locked(config)


def _find_token_locked(config: Pkcs11Config) -> pkcs11.Token:
    try:
        lib = pkcs11.lib(config.module)
        if config.slot is not None:
            slots = [s for s in lib.get_slots(token_present=True) if s.slot_id == config.slot]
            if not slots:
                raise KeyUnavailable(f"no token present in PKCS#11 slot {config.slot}")
            token = slots[0].get_token()
            if config.token_label is not None and token.label != config.token_label:
                raise KeyUnavailable(f"slot {config.slot} holds token {token.label!r}, "
                                     f"not {config.token_label!r}")
            return token
        return lib.get_token(token_label=config.token_label)
    except p11e.NoSuchToken:
        raise KeyUnavailable(f"no {config.describe()} in {config.module}") from None
    except p11e.MultipleTokensReturned:
        raise KeyUnavailable(f"several tokens are labelled {config.token_label!r}; "
                             f"set {ENV_SLOT}") from None
    except p11e.PKCS11Error as exc:
        raise KeyUnavailable(f"cannot use PKCS#11 module {config.module}: "
                             f"{type(exc).__name__}") from None


def _acquire(config: Pkcs11Config) -> _Connection:
    token = _find_token(config)
    key = (os.path.realpath(config.module), token.slot.slot_id)
    with _registry_lock:
        conn = _registry.get(key)
        if conn is not None and conn.pid != os.getpid():
            raise KeyUnavailable(f"{config.describe()} was opened before a fork; "
                                 "open it in this process")
        if conn is None:
            conn = _Connection(config, token, key)
            with conn.lock:
                conn.open()
            _registry[key] = conn
        elif not hmac.compare_digest(conn.config.pin.encode(), config.pin.encode()):
            raise KeyUnavailable(f"login to {config.describe()} refused: wrong PIN")
        conn.refs += 1
        return conn


def _release(conn: _Connection) -> None:
    with _registry_lock:
        conn.refs -= 1
        if conn.refs <= 0 and _registry.get(conn.key) is conn:
            del _registry[conn.key]
            with conn.lock:
                conn.drop()


def _destroy_quietly(obj: pkcs11.Object) -> None:
    with contextlib.suppress(p11e.PKCS11Error):  # it also goes when the session closes
        obj.destroy()


def _kek_number(kek_id: str) -> int:
    match = _KEK_LABEL.fullmatch(kek_id)
    if match is None:
        raise KeyUnavailable(f"{kek_id!r} is not a PKCS#11 key-encryption key id")
    return int(match.group(1))


class _TokenUser:
    """Holds a reference to the shared connection; closing releases it."""

    def __init__(self, config: Pkcs11Config) -> None:
        self.config = config
        self._conn: _Connection | None = _acquire(config)

    def _run(self, what: str, op: Callable[[pkcs11.Session], T], *, retry: bool = True) -> T:
        if self._conn is None:
            raise KeyUnavailable(f"{type(self).__name__} for {self.config.describe()} is closed")
        return self._conn.run(what, op, retry=retry)

    def close(self) -> None:
        """Release the token session (logged out when its last user closes)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            _release(conn)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Pkcs11KeyProvider(_TokenUser):
    """KEKs generated and kept inside a PKCS#11 token; data keys are wrapped by the token."""

    def __init__(self, module: str, *, token_label: str | None = None, slot: int | None = None,
                 pin: str) -> None:
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
        query: dict[Attribute, Any] = {Attribute.CLASS: ObjectClass.SECRET_KEY,
                                       Attribute.KEY_TYPE: KeyType.AES}
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
            raise _Missing(f"key-encryption key {kek_id!r} is not in "
                           f"{self.config.describe()} (retired, or never created there)")
        if len(objs) > 1:
            raise KeyUnavailable(f"{self.config.describe()} holds several keys labelled {kek_id!r}")
        return objs[0]

    def kek_ids(self) -> list[str]:
        """The KEKs in the token, oldest first."""

        def op(session: pkcs11.Session) -> list[int]:
            numbers = sorted(self._keks(session))
            if not numbers:
                raise _Missing("no key-encryption key")
            return numbers

        try:
            numbers = self._run("listing key-encryption keys", op)
        except _Missing:
            return []
        return [f"{KEK_LABEL_PREFIX}{n}" for n in numbers]

    def active_kek_id(self) -> str:
        """The highest-numbered KEK in the token (retired ones are destroyed)."""
        ids = self.kek_ids()
        if not ids:
            raise KeyUnavailable(f"{self.config.describe()} holds no key-encryption key; "
                                 "create one with new_kek()")
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
                _destroy_quietly(temp)

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
                    ObjectClass.SECRET_KEY, KeyType.GENERIC_SECRET, bytes(wrapped),
                    mechanism=WRAP_MECHANISM, store=False, capabilities=0,
                    template=_DATA_KEY_TEMPLATE,
                )
            except _BAD_WRAPPING:
                raise DecryptionFailed(f"data key does not unwrap under {kek_id!r}") from None
            try:
                return bytes(temp[Attribute.VALUE])
            finally:
                _destroy_quietly(temp)

        return self._run(f"unwrapping a data key under {kek_id!r}", op)

    def new_kek(self) -> str:
        """Generate the next KEK in the token; it becomes the active one."""

        def op(session: pkcs11.Session) -> str:
            label = f"{KEK_LABEL_PREFIX}{max(self._keks(session), default=0) + 1}"
            key = session.generate_key(
                KeyType.AES, 256, label=label, id=label.encode(), store=True,
                capabilities=MechanismFlag.WRAP | MechanismFlag.UNWRAP, template=_KEK_TEMPLATE,
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
                raise _Missing(f"key-encryption key {kek_id!r} is not in "
                               f"{self.config.describe()}")
            for obj in objs:
                obj.destroy()

        self._run(f"retiring {kek_id!r}", op, retry=False)


def _raw_public_key(point: bytes) -> bytes:
    if len(point) == 34 and point[:2] == b"\x04\x20":
        return point[2:]  # DER OCTET STRING, as PKCS#11 v2.40 tokens return it
    if len(point) == 32:
        return point
    raise KeyUnavailable("the token's Ed25519 public key has an unexpected encoding")


class Pkcs11SigningKey(_TokenUser):
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
        with _TokenUser(config) as user:
            user._run(f"generating signing key {key_label!r}",
                      lambda s: _generate_ed25519(s, config, key_label), retry=False)
        return cls(config, name, key_label)

    @classmethod
    def from_env(cls, name: str, environ: Mapping[str, str] | None = None,
                 label: str | None = None) -> Self:
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
        objs = list(session.get_objects({Attribute.CLASS: object_class, Attribute.LABEL: self.label,
                                         Attribute.KEY_TYPE: KeyType.EC_EDWARDS}))
        if len(objs) != 1:
            found, error = ("no", _Missing) if not objs else ("several", KeyUnavailable)
            raise error(f"{self.config.describe()} holds {found} Ed25519 "
                        f"{object_class.name.lower()} keys labelled {self.label!r}")
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
    slot = _find_token(config).slot
    try:
        with _module_lock(config.module):
            return set(slot.get_mechanisms()) >= _EDDSA_MECHANISMS
    except p11e.PKCS11Error:
        return False


def _generate_ed25519(session: pkcs11.Session, config: Pkcs11Config, label: str) -> None:
    if not set(session.token.slot.get_mechanisms()) >= _EDDSA_MECHANISMS:
        raise KeyUnavailable(f"{config.describe()} does not support Ed25519 (CKM_EDDSA)")
    if list(session.get_objects({Attribute.LABEL: label})):
        raise Conflict(f"{config.describe()} already holds objects labelled {label!r}")
    session.generate_keypair(
        KeyType.EC_EDWARDS, store=True, label=label, id=label.encode(),
        capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY,
        public_template={Attribute.EC_PARAMS: _ED25519_PARAMS[0]},
        private_template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False,
                          Attribute.MODIFIABLE: False},
    )
