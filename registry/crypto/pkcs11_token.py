"""The PKCS#11 token session shared by the key provider and the signing keys of one process.

One logged-in session per token serves the whole process (PKCS#11 login state is per process).
python-pkcs11 initialises modules for single-threaded use, so calls into one module are
serialised. Open providers and keys after forking.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self, TypeVar

import pkcs11
from pkcs11 import exceptions as p11e

from registry.errors import KeyUnavailable

ENV_MODULE = "VETREG_PKCS11_MODULE"
ENV_LABEL = "VETREG_PKCS11_TOKEN_LABEL"
ENV_SLOT = "VETREG_PKCS11_SLOT"
ENV_PIN = "VETREG_PKCS11_PIN"
ENV_PIN_FILE = "VETREG_PKCS11_PIN_FILE"

# Errors meaning the session is gone (token restarted, removed, logged out): reopen once.
_STALE: tuple[type[p11e.PKCS11Error], ...] = (
    p11e.SessionHandleInvalid,
    p11e.SessionClosed,
    p11e.DeviceRemoved,
    p11e.TokenNotPresent,
    p11e.UserNotLoggedIn,
)
_BAD_PIN: tuple[type[p11e.PKCS11Error], ...] = (
    p11e.PinIncorrect,
    p11e.PinInvalid,
    p11e.PinLenRange,
    p11e.PinExpired,
    p11e.PinLocked,
    p11e.UserPinNotInitialized,
)
# What C_UnwrapKey says of a wrapping that fails its integrity check (SoftHSM2: GeneralError).
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
                raise KeyUnavailable(
                    f"cannot read {ENV_PIN_FILE} {pin_file}: {exc.strerror}"
                ) from None
        if not pin:
            raise KeyUnavailable(f"no token PIN: set {ENV_PIN} or {ENV_PIN_FILE}")
        label = env.get(ENV_LABEL) or None
        return cls(module=module, token_label=label, slot=slot, pin=pin)

    def describe(self) -> str:
        """The token as named in messages."""
        if self.token_label is not None:
            return f"token {self.token_label!r}"
        return f"token in slot {self.slot}"


class ObjectMissing(KeyUnavailable):
    """An object was not found: retried once on a fresh login before it is believed."""


class _Connection:
    """The process's one logged-in session to one token, shared and reference-counted."""

    def __init__(self, config: Pkcs11Config, token: pkcs11.Token, key: tuple[str, int]) -> None:
        self.config = config
        self.token = token
        self.key = key
        self.refs = 0
        self.pid = os.getpid()
        self.lock = module_lock(key[0])
        self.session: pkcs11.Session | None = None

    def open(self) -> pkcs11.Session:
        if self.session is None:
            name = self.config.describe()
            try:
                self.session = self.token.open(rw=True, user_pin=self.config.pin)
            except _BAD_PIN as exc:
                raise KeyUnavailable(
                    f"login to {name} refused: wrong, expired or locked PIN ({type(exc).__name__})"
                ) from None
            except p11e.UserAlreadyLoggedIn:
                raise KeyUnavailable(
                    f"{name} is already logged in by other code in this "
                    "process; use one configuration per token"
                ) from None
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
                except ObjectMissing:
                    self.drop()  # private objects vanish from view if the login was lost
                    if attempt == 2:
                        raise
                except _STALE as exc:
                    self.drop()
                    if attempt == 2 or not retry:
                        raise KeyUnavailable(
                            f"{what} failed: {name} is unavailable ({type(exc).__name__})"
                        ) from None
                except p11e.PKCS11Error as exc:
                    raise KeyUnavailable(f"{what} failed on {name}: {type(exc).__name__}") from None
        raise AssertionError("unreachable")


_registry: dict[tuple[str, int], _Connection] = {}
_registry_lock = threading.Lock()
_module_locks: dict[str, threading.RLock] = {}
_module_locks_lock = threading.Lock()


def module_lock(module: str) -> threading.RLock:
    with _module_locks_lock:
        return _module_locks.setdefault(os.path.realpath(module), threading.RLock())


def find_token(config: Pkcs11Config) -> pkcs11.Token:
    if not Path(config.module).is_file():
        raise KeyUnavailable(f"PKCS#11 module {config.module} not found")
    with module_lock(config.module):
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
                raise KeyUnavailable(
                    f"slot {config.slot} holds token {token.label!r}, not {config.token_label!r}"
                )
            return token
        return lib.get_token(token_label=config.token_label)
    except p11e.NoSuchToken:
        raise KeyUnavailable(f"no {config.describe()} in {config.module}") from None
    except p11e.MultipleTokensReturned:
        raise KeyUnavailable(
            f"several tokens are labelled {config.token_label!r}; set {ENV_SLOT}"
        ) from None
    except p11e.PKCS11Error as exc:
        raise KeyUnavailable(
            f"cannot use PKCS#11 module {config.module}: {type(exc).__name__}"
        ) from None


def _acquire(config: Pkcs11Config) -> _Connection:
    token = find_token(config)
    key = (os.path.realpath(config.module), token.slot.slot_id)
    with _registry_lock:
        conn = _registry.get(key)
        if conn is not None and conn.pid != os.getpid():
            raise KeyUnavailable(
                f"{config.describe()} was opened before a fork; open it in this process"
            )
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


def destroy_quietly(obj: pkcs11.Object) -> None:
    with contextlib.suppress(p11e.PKCS11Error):  # it also goes when the session closes
        obj.destroy()


class TokenUser:
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
