"""Builders shared by the identity tests."""

from __future__ import annotations

import datetime as dt
import unicodedata

from stdnum.mx.curp import calc_check_digit

from registry.identity import Identity, NormalisedIdentity, normalise


def person(
    given: str = "José Luis",
    paternal: str | None = "Hernández",
    maternal: str | None = "López",
    birth: dt.date | None = dt.date(1985, 3, 14),
    sex: str | None = "H",
    curp: str | None = None,
) -> NormalisedIdentity:
    """A normalised identity with sensible defaults."""
    return normalise(Identity(given, paternal, maternal, birth, sex, curp))


def with_check_digit(first17: str) -> str:
    """A 17-character CURP prefix completed with stdnum's check digit."""
    return first17 + calc_check_digit(first17)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# José Luis Hernández López, born 1985-03-14 in Mexico City.
JOSE_CURP = with_check_digit("HELJ850314HDFRPS0")
