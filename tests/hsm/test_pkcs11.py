"""The PKCS#11 key provider and signing key against a throwaway SoftHSM2 token."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from softhsm import SoftHsm, SoftHsmUnavailable, create, raw_session, unavailable, wipe

try:
    import pkcs11
    from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
    from pkcs11 import exceptions as p11e
except ImportError:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("python-pkcs11 is not installed", allow_module_level=True)

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap

from registry.crypto.pkcs11 import (
    Pkcs11Config,
    Pkcs11KeyProvider,
    Pkcs11SigningKey,
    eddsa_supported,
)
from registry.crypto.providers import KeyProvider
from registry.errors import Conflict, DecryptionFailed, KeyUnavailable

MAIN_TOKEN = "vetreg-test"
AUX_TOKEN = "vetreg-aux"
WRONG_PIN = "97531"


@pytest.fixture(scope="module")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftHsm]:
    """SoftHSM2 with two fresh tokens; `SOFTHSM2_CONF` points at its own token directory."""
    try:
        env = create(tmp_path_factory.mktemp("softhsm"), [MAIN_TOKEN, AUX_TOKEN])
    except SoftHsmUnavailable as exc:
        unavailable(str(exc))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOFTHSM2_CONF", str(env.conf))
        yield env


@pytest.fixture
def hsm(softhsm: SoftHsm) -> Iterator[SoftHsm]:
    """The SoftHSM2 environment, with both tokens emptied after each test."""
    yield softhsm
    for label in softhsm.labels:
        wipe(softhsm, label)


@pytest.fixture
def provider(hsm: SoftHsm) -> Iterator[Pkcs11KeyProvider]:
    """A provider on the main token, holding `vetreg-kek-1`."""
    with Pkcs11KeyProvider(hsm.module, token_label=MAIN_TOKEN, pin=hsm.pin) as prov:
        prov.ensure_kek()
        yield prov


@pytest.fixture
def pin_file(tmp_path: Path, hsm: SoftHsm) -> Path:
    """A file holding the user PIN, as a secrets mount would."""
    path = tmp_path / "pin"
    path.write_text(hsm.pin + "\n", encoding="utf-8")
    path.chmod(0o400)
    return path


def _env(hsm: SoftHsm, **extra: str) -> dict[str, str]:
    env = {"VETREG_PKCS11_MODULE": hsm.module, "VETREG_PKCS11_TOKEN_LABEL": MAIN_TOKEN}
    env.update(extra)
    return env


def _config(hsm: SoftHsm, label: str = MAIN_TOKEN) -> Pkcs11Config:
    return Pkcs11Config(module=hsm.module, token_label=label, pin=hsm.pin)


def _secret_key(session: pkcs11.Session, label: str) -> pkcs11.Key:
    return session.get_key(ObjectClass.SECRET_KEY, KeyType.AES, label=label)


def _wrapping_key(session: pkcs11.Session) -> pkcs11.WrapMixin:
    """A throwaway session AES key used to try to export other keys."""
    key = session.generate_key(KeyType.AES, 256, capabilities=pkcs11.MechanismFlag.WRAP)
    assert isinstance(key, pkcs11.WrapMixin)
    return key


def test_is_a_key_provider(provider: Pkcs11KeyProvider) -> None:
    checked: KeyProvider = provider
    assert checked.active_kek_id() == "vetreg-kek-1"
    assert provider.kek_ids() == ["vetreg-kek-1"]


def test_wrap_unwrap_round_trip(provider: Pkcs11KeyProvider) -> None:
    kek_id = provider.active_kek_id()
    for _ in range(20):
        key = secrets.token_bytes(32)
        wrapped = provider.wrap(kek_id, key)
        assert len(wrapped) == 40
        assert key not in wrapped
        assert provider.unwrap(kek_id, wrapped) == key


def test_wrapped_bytes_are_rfc3394_like_the_file_provider(hsm: SoftHsm) -> None:
    kek_value = secrets.token_bytes(32)
    with raw_session(hsm, AUX_TOKEN) as session:  # a KEK of known value, for this check only
        session.create_object({
            Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.KEY_TYPE: KeyType.AES,
            Attribute.TOKEN: True, Attribute.LABEL: "vetreg-kek-1", Attribute.VALUE: kek_value,
            Attribute.WRAP: True, Attribute.UNWRAP: True,
        })
    key = secrets.token_bytes(32)
    with Pkcs11KeyProvider(hsm.module, token_label=AUX_TOKEN, pin=hsm.pin) as prov:
        wrapped = prov.wrap("vetreg-kek-1", key)
        assert wrapped == aes_key_wrap(kek_value, key)
        assert aes_key_unwrap(kek_value, wrapped) == key
        other = secrets.token_bytes(32)
        assert prov.unwrap("vetreg-kek-1", aes_key_wrap(kek_value, other)) == other


def test_unwrap_under_the_wrong_kek_fails(provider: Pkcs11KeyProvider) -> None:
    wrapped = provider.wrap("vetreg-kek-1", secrets.token_bytes(32))
    provider.new_kek()
    with pytest.raises(DecryptionFailed, match="vetreg-kek-2"):
        provider.unwrap("vetreg-kek-2", wrapped)
    tampered = wrapped[:-1] + bytes([wrapped[-1] ^ 1])
    with pytest.raises(DecryptionFailed):
        provider.unwrap("vetreg-kek-1", tampered)
    with pytest.raises(DecryptionFailed):
        provider.unwrap("vetreg-kek-1", wrapped[:-8] + b"\x00" * 3)


def test_data_key_length_is_checked(provider: Pkcs11KeyProvider) -> None:
    with pytest.raises(ValueError, match="multiple of 8"):
        provider.wrap("vetreg-kek-1", b"\x01" * 30)


def test_kek_is_sensitive_and_not_extractable(hsm: SoftHsm, provider: Pkcs11KeyProvider) -> None:
    with raw_session(hsm, MAIN_TOKEN, login=False) as session:  # shares the provider's login
        kek = _secret_key(session, "vetreg-kek-1")
        assert kek[Attribute.TOKEN] is True
        assert kek[Attribute.SENSITIVE] is True
        assert kek[Attribute.EXTRACTABLE] is False
        assert kek[Attribute.ALWAYS_SENSITIVE] is True
        assert kek[Attribute.NEVER_EXTRACTABLE] is True
        assert kek[Attribute.WRAP] is True and kek[Attribute.UNWRAP] is True
        assert kek[Attribute.ENCRYPT] is False and kek[Attribute.DECRYPT] is False
        assert kek[Attribute.VALUE_LEN] == 32
        with pytest.raises(p11e.AttributeSensitive):
            kek[Attribute.VALUE]
        with pytest.raises(p11e.KeyUnextractable):
            _wrapping_key(session).wrap_key(kek, mechanism=Mechanism.AES_KEY_WRAP_PAD)
        with pytest.raises(p11e.PKCS11Error):
            kek[Attribute.EXTRACTABLE] = True
        assert kek[Attribute.EXTRACTABLE] is False


def test_new_kek_rotates_and_old_data_still_unwraps(provider: Pkcs11KeyProvider) -> None:
    key = secrets.token_bytes(32)
    old = provider.wrap("vetreg-kek-1", key)
    assert provider.new_kek() == "vetreg-kek-2"
    assert provider.active_kek_id() == "vetreg-kek-2"
    assert provider.kek_ids() == ["vetreg-kek-1", "vetreg-kek-2"]
    assert provider.unwrap("vetreg-kek-1", old) == key
    new = provider.wrap("vetreg-kek-2", key)
    assert new != old
    assert provider.unwrap("vetreg-kek-2", new) == key


def test_retire_refuses_the_active_kek_and_destroys_a_retired_one(
    hsm: SoftHsm, provider: Pkcs11KeyProvider
) -> None:
    old = provider.wrap("vetreg-kek-1", secrets.token_bytes(32))
    provider.new_kek()
    with pytest.raises(KeyUnavailable, match="active"):
        provider.retire_kek("vetreg-kek-2")
    provider.retire_kek("vetreg-kek-1")
    assert provider.kek_ids() == ["vetreg-kek-2"]
    with raw_session(hsm, MAIN_TOKEN, login=False) as session, pytest.raises(p11e.NoSuchKey):
        _secret_key(session, "vetreg-kek-1")
    with pytest.raises(KeyUnavailable, match="not in"):
        provider.unwrap("vetreg-kek-1", old)
    with pytest.raises(KeyUnavailable):
        provider.retire_kek("vetreg-kek-1")
    with pytest.raises(KeyUnavailable, match="not a PKCS#11"):
        provider.retire_kek("file-1")
    assert provider.new_kek() == "vetreg-kek-3"


def test_empty_token_has_no_active_kek(hsm: SoftHsm) -> None:
    with Pkcs11KeyProvider(hsm.module, token_label=AUX_TOKEN, pin=hsm.pin) as prov:
        with pytest.raises(KeyUnavailable, match="no key-encryption key"):
            prov.active_kek_id()
        assert prov.ensure_kek() == "vetreg-kek-1"
        assert prov.ensure_kek() == "vetreg-kek-1"


def test_from_env_with_pin(hsm: SoftHsm) -> None:
    with Pkcs11KeyProvider.from_env(_env(hsm, VETREG_PKCS11_PIN=hsm.pin)) as prov:
        kek_id = prov.ensure_kek()
        key = secrets.token_bytes(32)
        assert prov.unwrap(kek_id, prov.wrap(kek_id, key)) == key


def test_from_env_with_pin_file_and_slot(hsm: SoftHsm, pin_file: Path) -> None:
    slot = pkcs11.lib(hsm.module).get_token(token_label=MAIN_TOKEN).slot.slot_id
    env = {
        "VETREG_PKCS11_MODULE": hsm.module,
        "VETREG_PKCS11_SLOT": str(slot),
        "VETREG_PKCS11_PIN_FILE": str(pin_file),
    }
    with Pkcs11KeyProvider.from_env(env) as prov:
        assert prov.ensure_kek() == "vetreg-kek-1"
    with pytest.raises(KeyUnavailable, match="holds token"):
        Pkcs11KeyProvider.from_env({**env, "VETREG_PKCS11_TOKEN_LABEL": AUX_TOKEN})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "VETREG_PKCS11_MODULE"),
        ({"VETREG_PKCS11_MODULE": "/nonexistent/lib.so", "VETREG_PKCS11_PIN": "1"}, "token label"),
        ({"VETREG_PKCS11_MODULE": "/m.so", "VETREG_PKCS11_TOKEN_LABEL": "t"}, "no token PIN"),
        ({"VETREG_PKCS11_MODULE": "/m.so", "VETREG_PKCS11_SLOT": "one"}, "integer slot"),
    ],
)
def test_from_env_reports_missing_settings(env: dict[str, str], message: str) -> None:
    with pytest.raises(KeyUnavailable, match=message):
        Pkcs11Config.from_env(env)


def test_missing_module_and_token_are_key_unavailable(hsm: SoftHsm) -> None:
    with pytest.raises(KeyUnavailable, match="not found"):
        Pkcs11KeyProvider("/nonexistent/libnothing.so", token_label=MAIN_TOKEN, pin=hsm.pin)
    with pytest.raises(KeyUnavailable, match="no token 'no-such-token'"):
        Pkcs11KeyProvider(hsm.module, token_label="no-such-token", pin=hsm.pin)


def test_wrong_pin_is_key_unavailable_without_echoing_it(hsm: SoftHsm) -> None:
    with pytest.raises(KeyUnavailable, match="login") as first:  # a real C_Login
        Pkcs11KeyProvider.from_env(
            _env(hsm, VETREG_PKCS11_TOKEN_LABEL=AUX_TOKEN, VETREG_PKCS11_PIN=WRONG_PIN)
        )
    with Pkcs11KeyProvider(hsm.module, token_label=AUX_TOKEN, pin=hsm.pin) as good:
        assert WRONG_PIN not in repr(good) and hsm.pin not in repr(good)
        with pytest.raises(KeyUnavailable, match="login") as second:  # token already open
            Pkcs11KeyProvider(hsm.module, token_label=AUX_TOKEN, pin=WRONG_PIN)
    for raised in (first, second):
        text = f"{raised.value} {raised.value!r} {raised.value.__cause__!r}"
        assert WRONG_PIN not in text and hsm.pin not in text
        assert raised.value.__cause__ is None
        assert raised.value.__context__ is None or raised.value.__suppress_context__
    assert WRONG_PIN not in repr(Pkcs11Config(module="m", token_label="t", pin=WRONG_PIN))


# python-pkcs11 0.10 reports the failed object search on the dead session from a __del__.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_session_dropped_by_the_token_is_reopened(provider: Pkcs11KeyProvider) -> None:
    key = secrets.token_bytes(32)
    wrapped = provider.wrap("vetreg-kek-1", key)
    conn = provider._conn
    assert conn is not None and conn.session is not None
    conn.session.close()  # as if the HSM had restarted
    assert provider.unwrap("vetreg-kek-1", wrapped) == key


def test_lost_login_is_restored(hsm: SoftHsm, provider: Pkcs11KeyProvider) -> None:
    key = secrets.token_bytes(32)
    wrapped = provider.wrap("vetreg-kek-1", key)
    conn = provider._conn
    assert conn is not None and conn.session is not None
    conn.session.close()  # logs the token out
    conn.session = pkcs11.lib(hsm.module).get_token(token_label=MAIN_TOKEN).open(rw=True)
    assert provider.active_kek_id() == "vetreg-kek-1"
    assert provider.unwrap("vetreg-kek-1", wrapped) == key


def test_concurrent_use_from_threads(provider: Pkcs11KeyProvider) -> None:
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(10):
                key = secrets.token_bytes(32)
                assert provider.unwrap("vetreg-kek-1", provider.wrap("vetreg-kek-1", key)) == key
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_closed_provider_refuses_work(hsm: SoftHsm) -> None:
    prov = Pkcs11KeyProvider(hsm.module, token_label=MAIN_TOKEN, pin=hsm.pin)
    prov.close()
    with pytest.raises(KeyUnavailable, match="closed"):
        prov.kek_ids()


@pytest.fixture
def eddsa(hsm: SoftHsm) -> Pkcs11Config:
    config = _config(hsm)
    if not eddsa_supported(config):
        pytest.skip(f"SoftHSM2 {hsm.version} offers no Ed25519 (CKM_EC_EDWARDS_KEY_PAIR_GEN, "
                    "CKM_EDDSA): it was built without EdDSA support")
    return config


def test_ed25519_signature_from_the_token_verifies(eddsa: Pkcs11Config) -> None:
    from registry.crypto.signing import SigningKey, verify_ed25519

    with Pkcs11SigningKey.generate(eddsa, "vetreg.test/log") as key:
        assert isinstance(key, SigningKey)
        assert key.name == "vetreg.test/log"
        public = key.public_key_bytes()
        assert len(public) == 32
        message = b"vetreg.test/log\n42\nAAAA\n"
        signature = key.sign(message)
        assert len(signature) == 64
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
        assert verify_ed25519(public, message, signature)
        with pytest.raises(InvalidSignature):
            Ed25519PublicKey.from_public_bytes(public).verify(signature, message + b"!")
        assert not verify_ed25519(public, b"vetreg.test/log\n43\nAAAA\n", signature)
        with Pkcs11SigningKey(eddsa, "vetreg.test/log") as again:  # reopened by label
            assert again.public_key_bytes() == public
            assert verify_ed25519(public, b"other", again.sign(b"other"))


def test_ed25519_private_key_is_not_extractable(hsm: SoftHsm, eddsa: Pkcs11Config) -> None:
    with Pkcs11SigningKey.generate(eddsa, "witness", label="vetreg-witness") as key:
        with pytest.raises(Conflict):
            Pkcs11SigningKey.generate(eddsa, "witness", label="vetreg-witness")
        with raw_session(hsm, MAIN_TOKEN, login=False) as session:
            private = session.get_key(ObjectClass.PRIVATE_KEY, label=key.label)
            assert private[Attribute.SENSITIVE] is True
            assert private[Attribute.EXTRACTABLE] is False
            assert private[Attribute.NEVER_EXTRACTABLE] is True
            with pytest.raises(p11e.AttributeSensitive):
                private[Attribute.VALUE]
            with pytest.raises(p11e.KeyUnextractable):
                _wrapping_key(session).wrap_key(private, mechanism=Mechanism.AES_KEY_WRAP_PAD)


def test_signing_key_and_provider_share_the_token(hsm: SoftHsm, eddsa: Pkcs11Config) -> None:
    with Pkcs11SigningKey.generate(eddsa, "checkpoints") as key:
        with Pkcs11KeyProvider.from_env(_env(hsm, VETREG_PKCS11_PIN=hsm.pin)) as prov:
            prov.ensure_kek()
        assert len(key.sign(b"still logged in")) == 64
    with pytest.raises(KeyUnavailable, match="no Ed25519"):
        Pkcs11SigningKey(eddsa, "absent")
