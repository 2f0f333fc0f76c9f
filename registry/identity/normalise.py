"""Normalisation of Mexican and U.S. names, sex and CURP.

Both the stored record and the screening query go through `normalise`, so every
rule applies identically on both sides:

- accents, case and punctuation are folded (`text.fold`); Ñ becomes N;
- particles (de, del, de la, de los, las, y; and mc, mac, van, von in surnames) are
  dropped, glued particle surnames are unglued ("DELACRUZ" -> "CRUZ"), so
  "de la Cruz", "Delacruz" and "Cruz" normalise alike;
- given-name abbreviations are expanded ("MA." -> MARIA, "FCO." -> FRANCISCO) and
  every given name carries the canonical names it may stand for (PEPE -> JOSE,
  BETO -> ALBERTO, ROBERTO, ...; JOHN -> JUAN);
- a married-name suffix ("GARCIA DE HERNANDEZ") is kept apart from the surname;
- both surnames typed in one field ("Hernández-López", "HernandezLopez") are split
  when the maternal field is empty ("HERNANDEZLOPEZ" is left to `readings`);
- a given-name tail parsed into the surname field ("DE LOS ANGELES HERNANDEZ")
  goes back to the given names.
"""

from __future__ import annotations

import datetime
from functools import lru_cache

from registry.identity.curp import CurpError, CurpInfo, compact, decode_curp
from registry.identity.model import GivenName, Identity, NormalisedIdentity
from registry.identity.tables import (
    GIVEN_ABBREVIATIONS,
    GIVEN_PARTICLES,
    GIVEN_TAILS,
    GLUED_PARTICLE_PREFIXES,
    NICKNAMES,
    PARTICLE_SURNAME_BASES,
    SUFFIXES,
    SURNAME_PARTICLES,
)
from registry.identity.text import tokens

_SEX_WORDS = {
    "H": "H",
    "HOMBRE": "H",
    "MALE": "H",
    "MASCULINO": "H",
    "MAN": "H",
    "M": "M",
    "F": "M",
    "MUJER": "M",
    "FEMALE": "M",
    "FEMENINO": "M",
    "WOMAN": "M",
    "X": "X",
    "NB": "X",
    "NO BINARIO": "X",
}
_MARRIED_MARKERS = frozenset({"DE", "VDA", "VIUDA"})


def normalise_sex(value: str | None) -> str | None:
    """'H', 'M' or 'X' for a recognised marker or word, None otherwise."""
    if value is None:
        return None
    return _SEX_WORDS.get(" ".join(value.upper().replace(".", " ").split()))


@lru_cache(maxsize=1 << 15)
def given_name(token: str) -> GivenName:
    """A folded given-name token with its abbreviation expanded and its canonical names."""
    text = GIVEN_ABBREVIATIONS.get(token, token)
    return GivenName(text, frozenset({text}) | NICKNAMES.get(text, frozenset()))


def _given(raw: tuple[str, ...]) -> tuple[GivenName, ...]:
    kept = (t for t in raw if t not in GIVEN_PARTICLES and t not in SUFFIXES)
    return tuple(given_name(t) for t in kept)


@lru_cache(maxsize=1 << 15)
def unglue(token: str) -> str:
    """Strip a particle glued to a known base ("DELACRUZ" -> "CRUZ", "DELGADO" unchanged)."""
    for prefix in GLUED_PARTICLE_PREFIXES:
        if token.startswith(prefix) and token[len(prefix) :] in PARTICLE_SURNAME_BASES:
            return token[len(prefix) :]
    return token


def _trailing_particle(token: str, following: str) -> str:
    """Strip a particle glued to the previous word: "MENDEZDELA" before "CRUZ" -> "MENDEZ"."""
    if following in PARTICLE_SURNAME_BASES:
        for suffix in GLUED_PARTICLE_PREFIXES:
            if token.endswith(suffix) and len(token) - len(suffix) >= 3:
                return token[: -len(suffix)]
    return token


def _surname_words(raw: tuple[str, ...]) -> tuple[str, ...]:
    words = [t for t in raw if t not in SURNAME_PARTICLES and t not in SUFFIXES]
    following = [*words[1:], ""][: len(words)]
    words = [_trailing_particle(t, n) for t, n in zip(words, following, strict=True)]
    return tuple(unglue(t) for t in words)


def _split_married(raw: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split "GARCIA DE HERNANDEZ" into (GARCIA,) and (HERNANDEZ,)."""
    for i in range(1, len(raw)):
        if raw[i] in _MARRIED_MARKERS and any(t not in SURNAME_PARTICLES for t in raw[:i]):
            return _surname_words(raw[:i]), _surname_words(raw[i:])
    return _surname_words(raw), ()


def _given_tail(raw: tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
    """("DE", "LOS", "ANGELES", "HERNANDEZ") -> ("ANGELES", ("HERNANDEZ",))."""
    if not raw or raw[0] not in GIVEN_PARTICLES:
        return None
    rest = [t for t in raw if t not in GIVEN_PARTICLES]
    if len(rest) >= 2 and rest[0] in GIVEN_TAILS:
        return rest[0], tuple(rest[1:])
    return None


def split_concatenated(token: str) -> tuple[str, ...]:
    """Split two surnames written as one word after an inner -EZ ("HERNANDEZLOPEZ")."""
    at = token.find("EZ", 2)
    while at != -1:
        if at + 2 >= 4 and len(token) - at - 2 >= 3:
            return token[: at + 2], token[at + 2 :]
        at = token.find("EZ", at + 1)
    return (token,)


def _surnames(
    paternal: tuple[str, ...], maternal: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    pat, extra_p = _split_married(paternal)
    mat, extra_m = _split_married(maternal)
    if not mat and not extra_p and len(pat) >= 2:
        pat, mat = pat[:1], pat[1:]
    return pat, mat, extra_p + extra_m


def _curp(value: str | None) -> tuple[str | None, CurpInfo | None]:
    if not value or not value.strip():
        return None, None
    number = compact(value)
    try:
        return number, decode_curp(number)
    except CurpError:
        return number, None


def normalise(identity: Identity) -> NormalisedIdentity:
    """Normalise an identity for blocking and scoring (never raises on odd input)."""
    given_raw = tokens(identity.given_names)
    paternal_raw = tokens(identity.paternal_surname)
    tail = _given_tail(paternal_raw)
    if tail is not None and given_raw:
        given_raw, paternal_raw = (*given_raw, tail[0]), tail[1]
    pat, mat, extra = _surnames(paternal_raw, tokens(identity.maternal_surname))
    curp, info = _curp(identity.curp)
    return NormalisedIdentity(
        given=_given(given_raw),
        paternal=pat,
        maternal=mat,
        extra_surnames=extra,
        birth_date=identity.birth_date,
        sex=normalise_sex(identity.sex),
        curp=curp,
        curp_info=info,
    )


def normalise_without_names(
    birth_date: datetime.date | None, sex: str | None, curp: str | None
) -> NormalisedIdentity:
    """An identity of which only the birth date, sex and CURP are known (see
    `matching.score_without_names`): what `normalise` makes of them, without names."""
    number, info = _curp(curp)
    return NormalisedIdentity(
        given=(), paternal=(), maternal=(), birth_date=birth_date, sex=normalise_sex(sex),
        curp=number, curp_info=info,
    )  # fmt: skip
