"""Field encryption, key files and blind indexes, with real cryptography."""

from __future__ import annotations

import stat
import uuid
from pathlib import Path

import pytest

from registry.crypto import FieldPlace, FileKeyProvider, Keyring, decrypt_field, encrypt_field
from registry.crypto.fields import new_data_key
from registry.errors import DecryptionFailed, KeyUnavailable

PLACE = FieldPlace("officials", "given_names", uuid.uuid4(), 1)


def test_round_trip_and_fresh_nonce() -> None:
    key = new_data_key()
    one = encrypt_field(key, "María".encode(), PLACE)
    two = encrypt_field(key, "María".encode(), PLACE)
    assert one != two
    assert decrypt_field(key, one, PLACE) == "María".encode()


@pytest.mark.parametrize(
    "moved",
    [
        FieldPlace("officials", "given_names", uuid.uuid4(), 1),
        FieldPlace("officials", "paternal_surname", PLACE.record_id, 1),
        FieldPlace("officials", "given_names", PLACE.record_id, 2),
        FieldPlace("evaluations", "given_names", PLACE.record_id, 1),
    ],
    ids=["other row", "other column", "other version", "other table"],
)
def test_ciphertext_bound_to_its_place(moved: FieldPlace) -> None:
    key = new_data_key()
    blob = encrypt_field(key, b"Hernandez", PLACE)
    with pytest.raises(DecryptionFailed, match="does not authenticate"):
        decrypt_field(key, blob, moved)


def test_altered_ciphertext_and_wrong_key_fail() -> None:
    key = new_data_key()
    blob = bytearray(encrypt_field(key, b"Lopez", PLACE))
    blob[-1] ^= 1
    with pytest.raises(DecryptionFailed):
        decrypt_field(key, bytes(blob), PLACE)
    with pytest.raises(DecryptionFailed):
        decrypt_field(new_data_key(), encrypt_field(key, b"x", PLACE), PLACE)


def test_error_message_holds_no_plaintext() -> None:
    key = new_data_key()
    blob = encrypt_field(key, b"Guadalupe", PLACE)
    with pytest.raises(DecryptionFailed) as info:
        decrypt_field(key, blob, FieldPlace("officials", "curp", PLACE.record_id, 1))
    assert "Guadalupe" not in str(info.value)


def test_key_file_created_owner_only_and_refused_when_open(tmp_path: Path) -> None:
    path = tmp_path / "k" / "vetreg.keys"
    provider = FileKeyProvider.create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        FileKeyProvider.create(path)
    path.chmod(0o644)
    with pytest.raises(KeyUnavailable, match="chmod 600"):
        FileKeyProvider(path)
    assert provider.active_kek_id() == "file-1"


def test_kek_rotation_keeps_old_wraps_readable(tmp_path: Path) -> None:
    provider = FileKeyProvider.create(tmp_path / "vetreg.keys")
    keyring = Keyring(provider, {}, {})
    wrapped, key = keyring.new_data_key()
    new_id = provider.new_kek()
    assert new_id == "file-2" and provider.active_kek_id() == "file-2"
    reopened = FileKeyProvider(provider.path)
    assert reopened.unwrap(wrapped.kek_id, wrapped.wrapped) == key
    assert stat.S_IMODE(provider.path.stat().st_mode) == 0o600
    with pytest.raises(KeyUnavailable):
        reopened.retire_kek("file-2")


def test_blind_index_is_keyed_deterministic_and_per_index() -> None:
    provider_secrets = {"blind_index": {1: b"a" * 32, 2: b"b" * 32}, "fingerprint": {1: b"c" * 32}}
    keyring = Keyring(None, provider_secrets, {"blind_index": 1, "fingerprint": 1})  # type: ignore[arg-type]
    a = keyring.blind_index("curp", ["HELM840312MDFRPR05"])
    assert a == keyring.blind_index("curp", ["HELM840312MDFRPR05"])
    assert 0 <= a < 2**32
    assert a != keyring.blind_index("curp16", ["HELM840312MDFRPR05"])
    assert a != keyring.blind_index("curp", ["HELM840312MDFRPR05"], version=2)
    # Length-prefixing: moving a boundary between parts changes the digest.
    assert keyring.blind_index("k", ["AB", "C"]) != keyring.blind_index("k", ["A", "BC"])
