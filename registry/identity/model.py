"""Value objects: the identity as typed, and its normalised form."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from registry.identity.curp import CurpInfo


@dataclass(frozen=True, repr=False)
class Identity:
    """An identity as typed by an officer or read from a CSV row.

    `sex` accepts 'H' (hombre, male), 'M' (mujer, female) and 'X', as in the CURP;
    also 'F' and the words HOMBRE/MUJER/MALE/FEMALE/MASCULINO/FEMENINO (any case).
    A bare 'M' always means female. Anything else is treated as unknown.
    """

    given_names: str
    paternal_surname: str | None
    maternal_surname: str | None
    birth_date: datetime.date | None
    sex: str | None
    curp: str | None

    def __repr__(self) -> str:
        return "Identity(<personal data withheld>)"


@dataclass(frozen=True, slots=True)
class GivenName:
    """One given-name token: its folded text and the canonical names it may stand for."""

    text: str
    canonical: frozenset[str]

    @property
    def is_initial(self) -> bool:
        """A single letter ("J." in "José J."), which only constrains the first letter."""
        return len(self.text) == 1


@dataclass(frozen=True, repr=False)
class NormalisedIdentity:
    """Folded, tokenised identity that blocking and scoring work on.

    Surname tuples hold tokens with particles removed ("DE LA CRUZ" -> ("CRUZ",));
    `extra_surnames` holds a married-name suffix ("GARCIA DE HERNANDEZ" -> HERNANDEZ).
    `curp_info` is set only when `curp` passed validation.
    """

    given: tuple[GivenName, ...]
    paternal: tuple[str, ...]
    maternal: tuple[str, ...]
    extra_surnames: tuple[str, ...] = ()
    birth_date: datetime.date | None = None
    sex: str | None = None
    curp: str | None = None
    curp_info: CurpInfo | None = field(default=None)

    def __repr__(self) -> str:
        return "NormalisedIdentity(<personal data withheld>)"

    @property
    def full_given(self) -> tuple[GivenName, ...]:
        """Given names that are written out, not initials."""
        return tuple(g for g in self.given if not g.is_initial)
