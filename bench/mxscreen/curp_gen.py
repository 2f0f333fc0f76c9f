"""CURP derivation by the RENAPO rules (independent of the matcher under test).

Positions 1-4: paternal initial, its first inner vowel, maternal initial, given
initial (María/José skipped in compound names); particles ignored; Ñ -> X; X for a
missing surname or a missing inner letter; offensive words get X in position 2.
Then YYMMDD, sex, state, first inner consonants of paternal, maternal and given
name, a homoclave (digit for births to 1999, letter from 2000) and the check digit
computed by stdnum.
"""

from __future__ import annotations

import datetime
import random
import unicodedata
from functools import lru_cache

from stdnum.mx.curp import calc_check_digit

PARTICLES = frozenset(
    """
    DA DAS DE DEL DER DI DIE DD EL LA LOS LAS LE LES MAC MC VAN VON Y
    """.split()  # noqa: SIM905
)
SKIPPED_GIVEN = frozenset({"MARIA", "MA", "M", "JOSE", "J"})
OFFENSIVE = frozenset(
    """
    BACA BAKA BUEI BUEY CACA CACO CAGA CAGO CAKA CAKO COGE COGI COJA COJE COJI COJO COLA
    CULO FALO FETO GETA GUEI GUEY JETA JOTO KACA KACO KAGA KAGO KAKA KAKO KOGE KOGI KOJA
    KOJE KOJI KOJO KOLA KULO LILO LOCA LOCO LOKA LOKO MAME MAMO MEAR MEAS MEON MIAR MION
    MOCO MOKO MULA MULO NACA NACO PEDA PEDO PENE PIPI PITO POPO PUTA PUTO QULO RATA ROBA
    ROBE ROBO RUIN SENO TETA VACA VAGA VAGO VAKA VUEI VUEY WUEI WUEY
    """.split()  # noqa: SIM905
)
_VOWELS = frozenset("AEIOU")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _words(name: str | None) -> list[str]:
    """Upper-case words, accents removed but Ñ kept (as a marker turned into X later)."""
    if not name:
        return []
    out = []
    for ch in name.upper().replace("Ñ", "\x00"):
        base = unicodedata.normalize("NFKD", ch)[0]
        out.append(base if base.isalpha() or base == "\x00" else " ")
    return ["".join(w).replace("\x00", "Ñ") for w in "".join(out).split()]


@lru_cache(maxsize=1 << 14)
def _main_word(name: str | None, given: bool = False) -> str:
    words = [w for w in _words(name) if w not in PARTICLES]
    if given and len(words) > 1 and words[0] in SKIPPED_GIVEN:
        words = words[1:]
    return words[0] if words else ""


def _letter(ch: str) -> str:
    return "X" if ch in ("", "Ñ") else ch


def _inner(word: str, want_vowel: bool) -> str:
    for ch in word[1:]:
        if (ch in _VOWELS) == want_vowel:
            return _letter(ch)
    return "X"


def curp_stem(
    given: str,
    paternal: str | None,
    maternal: str | None,
    birth_date: datetime.date,
    sex: str,
    state: str,
) -> str:
    """The first 16 characters of the CURP."""
    pat, mat, giv = _main_word(paternal), _main_word(maternal), _main_word(given, given=True)
    initials = _letter(pat[:1]) + _inner(pat, True) + _letter(mat[:1]) + _letter(giv[:1])
    if initials in OFFENSIVE:
        initials = initials[0] + "X" + initials[2:]
    consonants = _inner(pat, False) + _inner(mat, False) + _inner(giv, False)
    return f"{initials}{birth_date:%y%m%d}{sex}{state}{consonants}"


def homoclave(birth_date: datetime.date, rng: random.Random) -> str:
    """Character 17: a digit for births up to 1999, a letter from 2000."""
    return rng.choice("0123456789" if birth_date.year < 2000 else _LETTERS)


def with_check_digit(first17: str) -> str:
    """Append the check digit."""
    return first17 + calc_check_digit(first17)


def derive_curp(
    given: str,
    paternal: str | None,
    maternal: str | None,
    birth_date: datetime.date,
    sex: str,
    state: str,
    rng: random.Random,
) -> str:
    """A full CURP with a random homoclave."""
    stem = curp_stem(given, paternal, maternal, birth_date, sex, state)
    return with_check_digit(stem + homoclave(birth_date, rng))
