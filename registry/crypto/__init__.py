"""The only package that touches cryptographic primitives; callers see a small facade."""

from registry.crypto.fields import (
    FieldPlace,
    decrypt_field,
    decrypt_fields,
    encrypt_field,
    length_prefixed,
)
from registry.crypto.keyring import (
    FINGERPRINT_PURPOSE,
    INDEX_PURPOSE,
    PURPOSES,
    Keyring,
    WrappedKey,
)
from registry.crypto.providers import FileKeyProvider, KeyProvider

__all__ = [
    "FINGERPRINT_PURPOSE",
    "INDEX_PURPOSE",
    "PURPOSES",
    "FieldPlace",
    "FileKeyProvider",
    "KeyProvider",
    "Keyring",
    "WrappedKey",
    "decrypt_field",
    "decrypt_fields",
    "encrypt_field",
    "length_prefixed",
]
