"""Signed notes, checkpoints and cosignatures, checked against published examples.

Vectors: golang.org/x/mod sumdb/note (note.go docs and note_test.go, the PeterNeumann and
EnochRoot keys), the C2SP tlog-checkpoint and tlog-cosignature specs (example checkpoint and
witness line), and transparency-dev/formats note/note_cosigv1_test.go (cosignature vkeys and a
timestamped signature).
"""

from __future__ import annotations

import base64

import pytest

from registry.audit.checkpoint import (
    SIG_COSIGNATURE_V1,
    SIG_ED25519,
    Checkpoint,
    Note,
    NoteSignature,
    VerifierKey,
    add_signature_lines,
    cosign_checkpoint,
    cosignature_message,
    cosignature_timestamp,
    cosigning_vkey,
    key_id,
    open_checkpoint,
    open_note,
    sign_checkpoint,
    sign_text,
    signing_vkey,
    verify_cosignature,
)
from registry.audit.errors import NoteError, SignatureError
from registry.crypto.signing import Ed25519Key

PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg"
    "KvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOT"
    "GwnWLox33WWd1RvMc+QQ=\n"
)

SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_LOG_LINE = (
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5"
    "/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)
SPEC_WITNESS_LINE = (
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJs"
    "X3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)


def _peter() -> Ed25519Key:
    seed = base64.b64decode(PETER_SKEY.split("+", 4)[4])
    assert seed[0] == SIG_ED25519
    return Ed25519Key.from_seed("PeterNeumann", seed[1:])


def test_note_key_id_and_vkey_match_published_example() -> None:
    peter = _peter()
    assert key_id("PeterNeumann", SIG_ED25519, peter.public_key_bytes()).hex() == "c74f20a3"
    assert signing_vkey(peter) == PETER_VKEY
    assert VerifierKey.parse(PETER_VKEY) == VerifierKey.for_signer(peter)
    assert VerifierKey.parse(ENOCH_VKEY).key_id.hex() == "af0cfe78"


def test_signature_matches_published_signed_note() -> None:
    signature = sign_text(TEXT, _peter())
    assert Note(TEXT, (signature,)).serialize() == TEXT + "\n" + PETER_SIG


def test_open_verifies_known_keys_and_keeps_unknown_ones() -> None:
    message = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    note, verified = open_note(message, [PETER_VKEY])
    assert note.text == TEXT
    assert [s.name for s in verified] == ["PeterNeumann"]
    assert [s.name for s in note.signatures] == ["PeterNeumann", "EnochRoot"]
    assert note.serialize() == message
    _, both = open_note(message, [PETER_VKEY, ENOCH_VKEY])
    assert [s.name for s in both] == ["PeterNeumann", "EnochRoot"]
    with pytest.raises(SignatureError):
        open_note(message, [])


def test_open_rejects_a_known_key_with_a_bad_signature() -> None:
    with pytest.raises(SignatureError):
        open_note(TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:], [PETER_VKEY])


def test_the_same_key_listed_twice_is_not_ambiguous() -> None:
    duplicate = VerifierKey.parse(ENOCH_VKEY)
    _, verified = open_note(TEXT + "\n" + ENOCH_SIG, [duplicate, PETER_VKEY, ENOCH_VKEY])
    assert [s.name for s in verified] == ["EnochRoot"]


@pytest.mark.parametrize(
    "message",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNX",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG * 101,
    ],
)
def test_malformed_notes_are_rejected(message: str) -> None:
    with pytest.raises(NoteError):
        open_note(message, [PETER_VKEY])


def test_invalid_utf8_is_rejected() -> None:
    with pytest.raises(NoteError):
        Note.parse(b"\xff" + (TEXT + "\n" + PETER_SIG).encode())


def test_verifier_key_manglings_are_rejected() -> None:
    raw = PETER_VKEY.encode()
    for i in range(len(raw) + 1):
        for j in range(i + 1, len(raw) + 1):
            if (i, j) != (0, len(raw)):
                with pytest.raises(NoteError):
                    VerifierKey.parse(raw[i:j].decode())
    for i in range(len(raw)):
        mangled = raw[:i] + bytes([raw[i] + 1]) + raw[i + 1 :]
        with pytest.raises(NoteError):
            VerifierKey.parse(mangled.decode())
    for bad in [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ]:
        with pytest.raises(NoteError):
            VerifierKey.parse(bad)


def test_cosignature_vkeys_from_transparency_dev_formats() -> None:
    remora = VerifierKey.parse(
        "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
    )
    assert remora.sig_type == SIG_COSIGNATURE_V1
    plain = VerifierKey.parse("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6")
    assert plain.sig_type == SIG_ED25519
    with pytest.raises(NoteError):
        VerifierKey.parse("rekor.sigstore.dev+12345678+AwEB")


def test_cosignature_timestamps_from_published_signatures() -> None:
    formats_sig = (
        "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOwor"
        "DcFiEBYJXORmnFBOBA=="
    )
    sig = NoteSignature.parse_line(f"— witness {formats_sig}")
    assert cosignature_timestamp(sig) == 1727964367
    assert cosignature_timestamp(NoteSignature.parse_line(SPEC_WITNESS_LINE)) == 1679315147


def test_cosignature_message_matches_spec_example() -> None:
    expected = "cosignature/v1\ntime 1679315147\n" + SPEC_BODY
    assert cosignature_message(SPEC_BODY, 1679315147) == expected.encode()


def test_spec_checkpoint_parses_and_round_trips() -> None:
    text = SPEC_BODY + "\n" + SPEC_LOG_LINE + SPEC_WITNESS_LINE
    note = Note.parse(text)
    checkpoint = Checkpoint.parse(note.text)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.body() == SPEC_BODY
    assert note.serialize() == text
    assert [s.name for s in note.signatures] == [
        "example.com/behind-the-sofa",
        "witness.example.com/w1",
    ]


def test_checkpoint_round_trip_with_extensions() -> None:
    log = Ed25519Key.generate_in_memory("registry.example/audit")
    checkpoint = Checkpoint("registry.example/audit", 42, bytes(range(32)), ("ext one", "two"))
    signed = sign_checkpoint(checkpoint, log)
    assert signed.startswith(checkpoint.body() + "\n— registry.example/audit ")
    parsed, note = open_checkpoint(signed, signing_vkey(log))
    assert parsed == checkpoint
    assert note.serialize() == signed
    assert Checkpoint.parse(checkpoint.body()) == checkpoint


@pytest.mark.parametrize(
    "body",
    [
        "origin\n007\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "origin\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "origin\n7\n",
        "origin\n7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
        "origin\n7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",
        "origin\n7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx\n",
        "\n7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "origin\n7\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",
        "origin\n18446744073709551616\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
    ],
)
def test_malformed_checkpoint_bodies_are_rejected(body: str) -> None:
    with pytest.raises(NoteError):
        Checkpoint.parse(body)


def test_cosign_round_trip_and_key_type_separation() -> None:
    log = Ed25519Key.generate_in_memory("registry.example/audit")
    witness = Ed25519Key.generate_in_memory("witness.example/us")
    signed = sign_checkpoint(Checkpoint("registry.example/audit", 3, bytes(32)), log)
    line = cosign_checkpoint(signed, witness, timestamp=1_700_000_000)
    cosigned = add_signature_lines(signed, line)
    assert cosigned == signed + line
    assert add_signature_lines(cosigned, line) == cosigned
    assert verify_cosignature(cosigned, cosigning_vkey(witness)) == 1_700_000_000
    assert cosigning_vkey(witness) != signing_vkey(witness)
    open_checkpoint(cosigned, signing_vkey(log))
    with pytest.raises(SignatureError):
        open_note(cosigned, [signing_vkey(witness)])
    with pytest.raises(NoteError):
        verify_cosignature(cosigned, signing_vkey(witness))
    with pytest.raises(NoteError):
        open_checkpoint(cosigned, cosigning_vkey(log))
    with pytest.raises(SignatureError):
        open_checkpoint(cosigned, signing_vkey(witness))


def test_cosigning_requires_a_checkpoint_body() -> None:
    witness = Ed25519Key.generate_in_memory("witness.example/us")
    with pytest.raises(NoteError):
        cosign_checkpoint(TEXT + "\n" + PETER_SIG, witness)
