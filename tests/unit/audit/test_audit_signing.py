"""The Ed25519 signing facade: file keys, in-memory keys, verification."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from registry.crypto.signing import Ed25519FileKey, Ed25519Key, SigningKey, verify_ed25519

# RFC 8032 §7.1, TEST 1 and TEST 2.
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]


@pytest.mark.parametrize(("seed", "public", "message", "signature"), RFC8032)
def test_rfc8032_vectors(seed: str, public: str, message: str, signature: str) -> None:
    key = Ed25519Key.from_seed("rfc8032", bytes.fromhex(seed))
    assert key.public_key_bytes().hex() == public
    assert key.sign(bytes.fromhex(message)).hex() == signature
    assert verify_ed25519(bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature))


def test_verify_rejects_tampering_and_malformed_input() -> None:
    key = Ed25519Key.generate_in_memory("k")
    sig = key.sign(b"message")
    public = key.public_key_bytes()
    assert verify_ed25519(public, b"message", sig)
    assert not verify_ed25519(public, b"messagE", sig)
    assert not verify_ed25519(public, b"message", bytes([sig[0] ^ 1]) + sig[1:])
    assert not verify_ed25519(public[:31], b"message", sig)
    assert not verify_ed25519(public, b"message", sig[:63])


def test_keys_implement_the_protocol() -> None:
    assert isinstance(Ed25519Key.generate_in_memory("k"), SigningKey)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "tab\there"])
def test_invalid_key_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        Ed25519Key.generate_in_memory(name)


def test_file_key_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "log.pem"
    key = Ed25519FileKey.generate(path, "registry.example/audit")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"-----BEGIN PRIVATE KEY-----" in path.read_bytes()
    loaded = Ed25519FileKey.load(path)
    assert loaded.name == "registry.example/audit"
    assert loaded.public_key_bytes() == key.public_key_bytes()
    assert verify_ed25519(key.public_key_bytes(), b"m", loaded.sign(b"m"))
    assert Ed25519FileKey.load(path, name="renamed").name == "renamed"


def test_file_key_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "log.pem"
    Ed25519FileKey.generate(path, "one")
    with pytest.raises(FileExistsError):
        Ed25519FileKey.generate(path, "two")


def test_file_key_refuses_other_key_types(tmp_path: Path) -> None:
    path = tmp_path / "ec.pem"
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(pem)
    with pytest.raises(ValueError):
        Ed25519FileKey.load(path, name="ec")
    (tmp_path / "empty.pem").write_bytes(b"nothing here")
    with pytest.raises(ValueError):
        Ed25519FileKey.load(tmp_path / "empty.pem", name="x")


def test_file_key_without_recorded_name_needs_one(tmp_path: Path) -> None:
    path = tmp_path / "bare.pem"
    source = tmp_path / "src.pem"
    Ed25519FileKey.generate(source, "named")
    raw = source.read_bytes()
    path.write_bytes(raw[raw.index(b"-----BEGIN") :])
    with pytest.raises(ValueError):
        Ed25519FileKey.load(path)
    assert Ed25519FileKey.load(path, name="given").name == "given"
