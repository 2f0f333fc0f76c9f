"""Alternative readings of a query's name fields, shared by blocking and scoring."""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

from registry.identity.model import NormalisedIdentity
from registry.identity.normalise import given_name

FIELDS_SWAPPED_PENALTY = 1.5
PATERNAL_IN_GIVEN_PENALTY = 1.0


class Reading(NamedTuple):
    """One way to read the query: the identity, its weight penalty, its reason code."""

    identity: NormalisedIdentity
    penalty: float
    reason: str | None


def readings(q: NormalisedIdentity) -> list[Reading]:
    """The query as typed, with given names and surnames swapped, and with its last
    written-out given name read as the paternal surname when the maternal is missing."""
    out = [Reading(q, 0.0, None)]
    if q.paternal and q.given:
        swapped = replace(
            q,
            given=tuple(given_name(t) for t in q.paternal),
            paternal=tuple(g.text for g in q.full_given),
        )
        if swapped.paternal:
            out.append(Reading(swapped, FIELDS_SWAPPED_PENALTY, "fields_swapped"))
    last = max((i for i, g in enumerate(q.given) if not g.is_initial), default=-1)
    if len(q.full_given) >= 2 and q.paternal and not q.maternal:
        moved = replace(
            q, given=q.given[:last] + q.given[last + 1 :], paternal=(q.given[last].text,),
            maternal=q.paternal,
        )
        out.append(Reading(moved, PATERNAL_IN_GIVEN_PENALTY, "paternal_in_given"))
    return out
