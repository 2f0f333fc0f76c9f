"""Derived keys for blind indexes and query fingerprints, and data-key wrapping.

Blind index rule: HMAC-SHA256 under a per-index key (HKDF from the index root secret),
over the length-prefixed normalised parts, truncated to the first 32 bits. At one million
officials a lookup meets about N/2^32 ≈ 0.0002 unrelated records by collision, which the
matcher discards after decryption. What the table leaks: which records share a blocking
key value (equality), and how many records share it; never the value. Keys are always
compound (never birth date, sex or one surname alone) so that the counts do not reveal the
frequency of a low-entropy field.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from registry.crypto.fields import length_prefixed, new_data_key
from registry.crypto.providers import KeyProvider
from registry.errors import KeyUnavailable

INDEX_PURPOSE = "blind_index"
FINGERPRINT_PURPOSE = "fingerprint"
PURPOSES = (INDEX_PURPOSE, FINGERPRINT_PURPOSE)
INDEX_DIGEST_BITS = 32


def _hkdf(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


@dataclass(frozen=True)
class WrappedKey:
    kek_id: str
    wrapped: bytes


@dataclass
class Keyring:
    """Keys in memory for one process: the provider plus unwrapped root secrets by version."""

    provider: KeyProvider
    secrets: Mapping[str, Mapping[int, bytes]]
    active: Mapping[str, int]
    _derived: dict[tuple[str, int, str], bytes] = field(default_factory=dict, repr=False)
    _macs: dict[tuple[int, str], hmac.HMAC] = field(default_factory=dict, repr=False)
    # (purpose, version, state) of the stored secrets this keyring reflects.
    marker: tuple[tuple[str, int, str], ...] = ()
    # Blocking scheme of each index version's rows (`identity.blocking.BLOCKING_SCHEME`).
    index_schemes: Mapping[int, int] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<Keyring active={dict(self.active)}>"

    def replace(
        self,
        secrets: Mapping[str, Mapping[int, bytes]],
        active: Mapping[str, int],
        marker: tuple[tuple[str, int, str], ...],
        index_schemes: Mapping[int, int],
    ) -> None:
        """Adopt a new set of root secrets (after a rotation), swapping each mapping whole."""
        self.secrets, self.active, self.marker = secrets, active, marker
        self.index_schemes = index_schemes
        self._derived, self._macs = {}, {}  # keys derived from secrets no longer held go too

    @staticmethod
    def new_secret(provider: KeyProvider) -> WrappedKey:
        """A fresh root secret, wrapped under the active KEK, for storage in the database."""
        kek_id = provider.active_kek_id()
        return WrappedKey(kek_id, provider.wrap(kek_id, secrets.token_bytes(32)))

    def new_data_key(self, kek_id: str | None = None) -> tuple[WrappedKey, bytes]:
        """A fresh data key: its wrapped form (to store) and the key itself (to use now),
        under the given KEK or else the provider's active one."""
        key = new_data_key()
        kek_id = kek_id or self.provider.active_kek_id()
        return WrappedKey(kek_id, self.provider.wrap(kek_id, key)), key

    def unwrap(self, wrapped: WrappedKey) -> bytes:
        return self.provider.unwrap(wrapped.kek_id, wrapped.wrapped)

    def _key(self, purpose: str, version: int, name: str) -> bytes:
        cache_key = (purpose, version, name)
        derived = self._derived.get(cache_key)
        if derived is None:
            try:
                secret = self.secrets[purpose][version]
            except KeyError:
                raise KeyUnavailable(f"no {purpose} secret of version {version}") from None
            derived = _hkdf(secret, length_prefixed(b"vetreg", purpose.encode(), name.encode()))
            self._derived[cache_key] = derived
        return derived

    def index_version(self) -> int:
        return self.active[INDEX_PURPOSE]

    def index_versions(self) -> list[int]:
        """Index versions lookups may use: never one still being built by a rotation."""
        building = {v for p, v, state in self.marker if p == INDEX_PURPOSE and state == "building"}
        return sorted(set(self.secrets.get(INDEX_PURPOSE, {})) - building)

    def blind_index(self, kind: str, parts: Iterable[str], version: int | None = None) -> int:
        """Truncated keyed digest of a normalised blocking key (see module docstring)."""
        version = version or self.index_version()
        keyed = self._macs.get((version, kind))
        if keyed is None:  # the keyed state, computed once: each digest then copies it
            keyed = hmac.new(self._key(INDEX_PURPOSE, version, kind), digestmod=hashlib.sha256)
            self._macs[(version, kind)] = keyed
        mac = keyed.copy()
        mac.update(length_prefixed(*(p.encode() for p in parts)))
        return int.from_bytes(mac.digest()[: INDEX_DIGEST_BITS // 8], "big")

    def fingerprint(self, name: str, parts: Iterable[str]) -> str:
        """Keyed fingerprint (hex) of a query, for audit events that must not hold names."""
        key = self._key(FINGERPRINT_PURPOSE, self.active[FINGERPRINT_PURPOSE], name)
        mac = hmac.digest(key, length_prefixed(*(p.encode() for p in parts)), "sha256")
        return mac.hex()[:32]
