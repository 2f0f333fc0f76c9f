"""Alternative readings of a query's name fields, shared by blocking and scoring."""

from __future__ import annotations

from typing import NamedTuple
from weakref import WeakKeyDictionary

from registry.identity.model import GivenName, NormalisedIdentity
from registry.identity.normalise import given_name, split_concatenated

FIELDS_SWAPPED_PENALTY = 1.5
PATERNAL_IN_GIVEN_PENALTY = 1.0
SPLIT_PENALTY = 0.5


def _with(
    q: NormalisedIdentity,
    given: tuple[GivenName, ...],
    paternal: tuple[str, ...],
    maternal: tuple[str, ...],
) -> NormalisedIdentity:
    return NormalisedIdentity(
        given, paternal, maternal, q.extra_surnames, q.birth_date, q.sex, q.curp, q.curp_info
    )


class Reading(NamedTuple):
    """One way to read the query: the identity, its weight penalty, its reason code."""

    identity: NormalisedIdentity
    penalty: float
    reason: str | None


def _fields_swapped(q: NormalisedIdentity) -> list[Reading]:
    """Given names typed in the surname field and a surname in the given-name field."""
    if not q.paternal or not q.full_given:
        return []
    surname = tuple(g.text for g in q.full_given)
    out = [_with(q, tuple(given_name(t) for t in q.paternal), surname, q.maternal)]
    if q.maternal:
        # Several given names in an otherwise empty surname field were split as surnames.
        names = tuple(given_name(t) for t in q.paternal + q.maternal)
        out.append(_with(q, names, surname, ()))
    return [Reading(r, FIELDS_SWAPPED_PENALTY, "fields_swapped") for r in out]


def _paternal_in_given(q: NormalisedIdentity) -> list[Reading]:
    """ "JUAN HERNANDEZ" / "LOPEZ": the paternal surname typed as a middle name."""
    if len(q.full_given) < 2 or not q.paternal or q.maternal:
        return []
    last = max(i for i, g in enumerate(q.given) if not g.is_initial)
    moved = _with(q, q.given[:last] + q.given[last + 1 :], (q.given[last].text,), q.paternal)
    return [Reading(moved, PATERNAL_IN_GIVEN_PENALTY, "paternal_in_given")]


def _concatenated(q: NormalisedIdentity) -> list[Reading]:
    """ "HERNANDEZLOPEZ" with no maternal surname: split after an inner -EZ."""
    if q.maternal or len(q.paternal) != 1:
        return []
    parts = split_concatenated(q.paternal[0])
    if len(parts) < 2:
        return []
    split = _with(q, q.given, parts[:1], parts[1:])
    return [Reading(split, SPLIT_PENALTY, "surnames_split")]


# Alternative readings of the queries still in use: `score` asks once per candidate.
# Weak keys, so nothing outlives its query.
_ALTERNATIVES: WeakKeyDictionary[NormalisedIdentity, list[Reading]] = WeakKeyDictionary()


def readings(q: NormalisedIdentity) -> list[Reading]:
    """The query as typed, then its alternative readings: given names and surnames
    swapped, last given name as paternal surname, concatenated surnames split."""
    alternatives = _ALTERNATIVES.get(q)
    if alternatives is None:
        alternatives = [*_fields_swapped(q), *_paternal_in_given(q), *_concatenated(q)]
        _ALTERNATIVES[q] = alternatives
    return [Reading(q, 0.0, None), *alternatives]
