"""CURP validation and decoding.

Validation uses python-stdnum (`stdnum.mx.curp`) and accepts the sex marker ``X``
(non-binary, issued since 2023), which stdnum rejects: for such a CURP the structural
checks run on a copy marked ``H`` and the check digit is computed on the real value.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from functools import lru_cache

from stdnum.exceptions import InvalidComponent, ValidationError
from stdnum.mx import curp as stdnum_curp

_SHAPE = re.compile(r"^[A-Z]{4}[0-9]{6}[A-Z]{6}[0-9A-Z][0-9]$")
_CONSONANTS = frozenset("BCDFGHJKLMNPQRSTVWXYZ")
_SEXES = frozenset("HMX")
# Same set as stdnum's list of valid states; NE is "born abroad".
_STATES = frozenset(
    {
        "AS",
        "BC",
        "BS",
        "CC",
        "CH",
        "CL",
        "CM",
        "CS",
        "DF",
        "DG",
        "GR",
        "GT",
        "HG",
        "JC",
        "MC",
        "MN",
        "MS",
        "NE",
        "NL",
        "NT",
        "OC",
        "PL",
        "QR",
        "QT",
        "SL",
        "SP",
        "SR",
        "TC",
        "TL",
        "TS",
        "VZ",
        "YN",
        "ZS",
    }
)


class CurpError(ValueError):
    """A CURP was rejected; the message names the problem and never repeats the value."""


@dataclass(frozen=True, slots=True)
class CurpInfo:
    """What a CURP encodes."""

    initials: str  # paternal initial, its first inner vowel, maternal initial, given initial
    birth_date: datetime.date
    sex: str  # 'H', 'M' or 'X'
    state: str
    consonants: str  # first inner consonant of paternal, maternal and given name


_SEPARATORS = str.maketrans("", "", " -_\t")


def compact(value: str) -> str:
    """Upper-case the value and strip spaces, hyphens and underscores (as stdnum does)."""
    return value.translate(_SEPARATORS).upper().strip()


def _birth_date(value: str) -> datetime.date:
    year = int(value[4:6]) + (1900 if value[16].isdigit() else 2000)
    try:
        return datetime.date(year, int(value[6:8]), int(value[8:10]))
    except ValueError:
        raise CurpError("CURP birth date (characters 5-10) is not a real date") from None


def _check_parts(value: str) -> None:
    if len(value) != 18:
        raise CurpError(f"CURP must have 18 characters, not {len(value)}")
    if not _SHAPE.match(value):
        raise CurpError(
            "CURP format is wrong: expected 4 letters, 6 digits, 6 letters, "
            "a letter or digit, and a digit"
        )
    _birth_date(value)
    if value[10] not in _SEXES:
        raise CurpError("CURP sex marker (character 11) must be H, M or X")
    if value[11:13] not in _STATES:
        raise CurpError("CURP state of birth (characters 12-13) is not a known state code")
    if any(ch not in _CONSONANTS for ch in value[13:16]):
        raise CurpError("CURP characters 14-16 must be consonants")


@lru_cache(maxsize=4096)  # a CURP is checked on input, then again when it is normalised
def validate_curp(value: str) -> str:
    """Return the normalised CURP, or raise CurpError naming the problem."""
    number = compact(value)
    _check_parts(number)
    as_h = number[:10] + "H" + number[11:] if number[10] == "X" else number
    try:
        stdnum_curp.validate(as_h, validate_check_digits=False)
    except InvalidComponent as exc:
        # Date, sex and state were checked above: what is left is the name part.
        raise CurpError("CURP name part (characters 1-4) is a word RENAPO never issues") from exc
    except ValidationError as exc:
        raise CurpError("CURP is not valid") from exc
    if number[17] != stdnum_curp.calc_check_digit(number):
        raise CurpError("CURP check digit (character 18) does not match the other characters")
    return number


def is_valid_curp(value: str) -> bool:
    """True when `validate_curp` accepts the value."""
    try:
        validate_curp(value)
    except CurpError:
        return False
    return True


def decode_curp(value: str) -> CurpInfo:
    """Decode a CURP (validated first) into initials, birth date, sex and state."""
    number = validate_curp(value)
    return CurpInfo(
        initials=number[:4],
        birth_date=_birth_date(number),
        sex=number[10],
        state=number[11:13],
        consonants=number[13:16],
    )
