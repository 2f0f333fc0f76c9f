"""Comparison of the two surnames, tolerant of dropped, swapped and merged surnames.

Several readings of the query are weighed and the best one kept: straight
(paternal with paternal, maternal with maternal, a married suffix standing in for
the maternal), swapped, the query's only surname being the candidate's maternal
one, and both surnames written as one word.
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.identity.model import NormalisedIdentity
from registry.identity.names import Agreement, word_agreement

_PATERNAL = {
    Agreement.EXACT: 5.0,
    Agreement.PHONETIC: 4.5,
    Agreement.NICKNAME: 4.0,
    Agreement.TYPO: 3.0,
    Agreement.DIFFERENT: -5.0,
}
_MATERNAL = {
    Agreement.EXACT: 4.5,
    Agreement.PHONETIC: 4.0,
    Agreement.NICKNAME: 3.5,
    Agreement.TYPO: 2.5,
    Agreement.DIFFERENT: -3.0,
}
SURNAMES_CAP = 9.5  # both surnames exact: the most any reading can weigh
_SINGLE_SURNAME_BONUS = 1.5
_SWAP_PENALTY = 1.0
_CROSS_PENALTY = 2.0
_MERGE_PENALTY = 0.5


@dataclass(frozen=True, slots=True)
class SurnameComparison:
    """Result of comparing surnames."""

    weight: float
    agrees: bool  # at least one surname agrees
    both: bool  # two surnames agree (or both sides have just one and it agrees)
    all_exact: bool  # every surname present on either side is identical
    reason: str


def field_agreement(a: tuple[str, ...], b: tuple[str, ...]) -> Agreement:
    """Agreement of two surname fields (token tuples, non-empty)."""
    best = word_agreement("".join(a), "".join(b))
    if best < Agreement.PHONETIC and (len(a) > 1 or len(b) > 1):
        tokens = max(word_agreement(x, y) for x in a for y in b)
        best = max(best, min(tokens, Agreement.TYPO))
    return best


def _straight(q: NormalisedIdentity, c: NormalisedIdentity) -> SurnameComparison:
    pp = field_agreement(q.paternal, c.paternal)
    weight = _PATERNAL[pp]
    both = False
    if q.maternal and c.maternal:
        mm = field_agreement(q.maternal, c.maternal)
        if mm is Agreement.DIFFERENT:
            mm = _married(q, c)
        weight += _MATERNAL[mm]
        both = pp > Agreement.DIFFERENT and mm > Agreement.DIFFERENT
        reason = "surnames_agree" if both else "maternal_differs" if pp else "paternal_differs"
    elif (extra := _suffix_as_maternal(q, c)) is not None:
        weight += _MATERNAL[extra]
        both = pp > Agreement.DIFFERENT
        reason = "surnames_agree" if pp else "paternal_differs"
    else:
        both = pp > Agreement.DIFFERENT and not q.maternal and not c.maternal
        if both:
            weight += _SINGLE_SURNAME_BONUS  # the only surname either side has agrees
        reason = "paternal_agrees" if pp else "paternal_differs"
    exact = pp is Agreement.EXACT and q.maternal == c.maternal
    return SurnameComparison(weight, pp > Agreement.DIFFERENT, both, exact, reason)


def _suffix_as_maternal(q: NormalisedIdentity, c: NormalisedIdentity) -> Agreement | None:
    """ "HERNANDEZ DE LA CRUZ" in one field: the "de" part may be the maternal surname."""
    if not q.maternal and q.extra_surnames and c.maternal:
        a = field_agreement(q.extra_surnames, c.maternal)
    elif not c.maternal and c.extra_surnames and q.maternal:
        a = field_agreement(q.maternal, c.extra_surnames)
    else:
        return None
    return a if a > Agreement.DIFFERENT else None


def _married(q: NormalisedIdentity, c: NormalisedIdentity) -> Agreement:
    """A married suffix on one side may hold the other side's maternal surname."""
    best = Agreement.DIFFERENT
    if c.extra_surnames:
        best = max(best, field_agreement(q.maternal, c.extra_surnames))
    if q.extra_surnames:
        best = max(best, field_agreement(q.extra_surnames, c.maternal))
    return min(best, Agreement.TYPO)


def _swapped(q: NormalisedIdentity, c: NormalisedIdentity) -> SurnameComparison | None:
    if not (q.maternal and c.maternal):
        return None
    a = field_agreement(q.paternal, c.maternal)
    b = field_agreement(q.maternal, c.paternal)
    weight = _PATERNAL[b] + _MATERNAL[a] - _SWAP_PENALTY
    # A swap explains the surnames only when both agree; one alone is a coincidence.
    both = a > Agreement.DIFFERENT and b > Agreement.DIFFERENT
    return SurnameComparison(weight, both, both, False, "surnames_swapped")


def _cross(q: NormalisedIdentity, c: NormalisedIdentity) -> SurnameComparison | None:
    """The query's only surname is the candidate's maternal one (or the reverse)."""
    if not q.maternal and c.maternal:
        a = field_agreement(q.paternal, c.maternal)
    elif q.maternal and not c.maternal:
        a = field_agreement(q.maternal, c.paternal)
    else:
        return None
    if a is Agreement.DIFFERENT:
        return None
    return SurnameComparison(_PATERNAL[a] - _CROSS_PENALTY, True, False, False, "maternal_only")


def _merged(q: NormalisedIdentity, c: NormalisedIdentity) -> SurnameComparison | None:
    """Both surnames written as one word on one side."""
    if bool(q.maternal) == bool(c.maternal):
        return None
    a = word_agreement.__wrapped__(  # both surnames together: kept out of the cache
        "".join(q.paternal + q.maternal), "".join(c.paternal + c.maternal)
    )
    if a is Agreement.DIFFERENT:
        return None
    weight = _PATERNAL[a] + _MATERNAL[a] - _MERGE_PENALTY
    return SurnameComparison(weight, True, True, False, "surnames_merged")


def compare_surnames(q: NormalisedIdentity, c: NormalisedIdentity) -> SurnameComparison:
    """Best reading of the query's surnames against the candidate's."""
    if not q.paternal or not c.paternal:
        return SurnameComparison(0.0, False, False, False, "surname_missing")
    readings = [_straight(q, c), _swapped(q, c), _cross(q, c), _merged(q, c)]
    return max((r for r in readings if r is not None), key=lambda r: r.weight)
