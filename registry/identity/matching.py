"""Scoring a screening query against one candidate record.

The score adds log-likelihood-style weights (Fellegi-Sunter in spirit, set by hand
and tuned on the MX-SCREEN benchmark's dev split):

- given names (`names.compare_given`): about +4 per agreeing name, +6.5 at most;
  a contradicting name costs 4, no agreeing name 6;
- surnames (`surnames.compare_surnames`): paternal +5 / -5, maternal +4.5 / -3,
  less for phonetic or one-edit agreement; swapped, merged or dropped surnames
  are read too, at a small cost;
- birth date (`dates.compare_dates`): exact +8, day/month swap +4, one-digit slip
  or year off by one +3, placeholder 1 January +2, missing 0, anything else -8;
- sex: agree +0.5, differ -2;
- CURP: identical and consistent with both sides' initials and birth date +12,
  identical otherwise +6, one character apart +2, different -4 (-6 and no
  `probable` when the CURPs encode different birth dates).

The query is also read with given names and surnames swapped, and with its last
given name taken as the paternal surname (a U.S. middle name); the best reading wins.

Levels: `exact` when the CURP is identical and consistent with both records, or
every field is present and identical; `probable` when the weight reaches
`PROBABLE_WEIGHT` and the pair passes the gates (no implausible birth-date gap,
given names agree without contradiction, a surname or the CURP agrees, and without
a birth date both surnames agree); `possible` from `POSSIBLE_WEIGHT`. The score is
a logistic map of the weight, clamped into the band of its level:
possible [0.5, 0.8), probable [0.8, 0.95), exact [0.95, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum

from registry.identity.curp import CurpInfo
from registry.identity.dates import DateAgreement, compare_dates
from registry.identity.model import NormalisedIdentity
from registry.identity.names import GivenComparison, compare_given
from registry.identity.readings import readings
from registry.identity.surnames import SurnameComparison, compare_surnames

PROBABLE_WEIGHT = 13.0
POSSIBLE_WEIGHT = 8.0
_DATE_WEIGHT = {
    DateAgreement.EXACT: 8.0, DateAgreement.SWAPPED: 4.0, DateAgreement.ONE_DIGIT: 3.0,
    DateAgreement.YEAR_OFF: 3.0, DateAgreement.PLACEHOLDER: 2.0, DateAgreement.MISSING: 0.0,
    DateAgreement.DIFFERENT: -8.0,
}


class MatchLevel(StrEnum):
    """How sure a hit is."""

    EXACT = "exact"
    PROBABLE = "probable"
    POSSIBLE = "possible"


@dataclass(frozen=True, slots=True)
class Match:
    """Score in [0, 1], level (None: not a match) and short reason codes (no names)."""

    score: float
    level: MatchLevel | None
    reasons: tuple[str, ...]


class CurpAgreement(StrEnum):
    """How two CURPs relate."""

    CONFIRMED = "curp_confirmed"
    SAME = "curp_same_inconsistent"
    ONE_CHAR = "curp_one_char"
    DIFFERENT = "curp_different"
    DIFFERENT_DOB = "curp_different_birth_date"
    MISSING = "curp_missing"


_CURP_WEIGHT = {
    CurpAgreement.CONFIRMED: 12.0, CurpAgreement.SAME: 6.0, CurpAgreement.ONE_CHAR: 2.0,
    CurpAgreement.DIFFERENT: -4.0, CurpAgreement.DIFFERENT_DOB: -6.0, CurpAgreement.MISSING: 0.0,
}


def consistent(info: CurpInfo, n: NormalisedIdentity) -> bool:
    """Whether a CURP's initials, birth date and sex fit an identity's fields."""
    if n.birth_date is not None and n.birth_date != info.birth_date:
        return False
    if n.sex is not None and info.sex != "X" and n.sex != "X" and n.sex != info.sex:
        return False
    pat, mat, given = info.initials[0], info.initials[2], info.initials[3]
    if n.paternal and pat != "X" and n.paternal[0][0] != pat:
        return False
    if n.maternal and mat != "X" and n.maternal[0][0] != mat:
        return False
    return not (
        n.given
        and given != "X"
        and not any(g.text[0] == given or any(x[0] == given for x in g.canonical) for g in n.given)
    )


def compare_curp(q: NormalisedIdentity, c: NormalisedIdentity) -> CurpAgreement:
    """Compare CURPs, checking an identical one against both sides' fields."""
    if not q.curp or not c.curp or len(q.curp) != 18 or len(c.curp) != 18:
        return CurpAgreement.MISSING
    if q.curp == c.curp:
        info = c.curp_info
        ok = info is not None and consistent(info, q) and consistent(info, c)
        return CurpAgreement.CONFIRMED if ok else CurpAgreement.SAME
    if sum(a != b for a, b in zip(q.curp, c.curp, strict=True)) == 1:
        return CurpAgreement.ONE_CHAR
    if q.curp_info and c.curp_info and q.curp_info.birth_date != c.curp_info.birth_date:
        return CurpAgreement.DIFFERENT_DOB
    return CurpAgreement.DIFFERENT


@dataclass(frozen=True, slots=True)
class _Reading:
    weight: float
    given: GivenComparison
    surnames: SurnameComparison
    reason: str | None


def _best_reading(q: NormalisedIdentity, c: NormalisedIdentity) -> _Reading:
    best: _Reading | None = None
    for reading, penalty, reason in readings(q):
        given = compare_given(reading.given, c.given)
        surnames = compare_surnames(reading, c)
        weight = given.weight + surnames.weight - penalty
        if best is None or weight > best.weight:
            best = _Reading(weight, given, surnames, reason)
    assert best is not None
    return best


def _effective(n: NormalisedIdentity) -> NormalisedIdentity:
    """Fill a missing birth date or sex from a valid CURP."""
    info = n.curp_info
    if info is None or (n.birth_date is not None and n.sex is not None):
        return n
    return replace(n, birth_date=n.birth_date or info.birth_date, sex=n.sex or info.sex)


def _sex_weight(q: NormalisedIdentity, c: NormalisedIdentity) -> tuple[float, str | None]:
    if q.sex is None or c.sex is None or "X" in (q.sex, c.sex):
        return 0.0, None
    return (0.5, None) if q.sex == c.sex else (-2.0, "sex_differs")


def _to_score(weight: float) -> float:
    slope = math.log(4.0) / (PROBABLE_WEIGHT - POSSIBLE_WEIGHT)
    return 1.0 / (1.0 + math.exp(-slope * (weight - POSSIBLE_WEIGHT)))


def _all_fields_exact(
    q: NormalisedIdentity,
    c: NormalisedIdentity,
    r: _Reading,
    dob: DateAgreement,
    curp: CurpAgreement,
) -> bool:
    return (
        r.reason is None and r.given.all_exact and r.surnames.all_exact
        and dob is DateAgreement.EXACT and q.sex is not None and q.sex == c.sex
        and curp in (CurpAgreement.MISSING, CurpAgreement.SAME)
    )


def _probable_gates(r: _Reading, dob: DateAgreement, curp: CurpAgreement) -> bool:
    curp_same = curp in (CurpAgreement.CONFIRMED, CurpAgreement.SAME)
    return (
        dob.plausible
        and curp is not CurpAgreement.DIFFERENT_DOB
        and r.given.agrees
        and (r.surnames.agrees or curp_same)
        and (dob is not DateAgreement.MISSING or r.surnames.both or curp_same)
    )


def score(query: NormalisedIdentity, candidate: NormalisedIdentity) -> Match:
    """Score a candidate record against a screening query."""
    q, c = _effective(query), _effective(candidate)
    reading = _best_reading(q, c)
    dob = compare_dates(q.birth_date, c.birth_date)
    curp = compare_curp(query, candidate)
    sex_w, sex_reason = _sex_weight(q, c)
    weight = reading.weight + _DATE_WEIGHT[dob] + _CURP_WEIGHT[curp] + sex_w
    value = _to_score(weight)
    if curp is CurpAgreement.CONFIRMED or _all_fields_exact(query, candidate, reading, dob, curp):
        level: MatchLevel | None = MatchLevel.EXACT
        value = max(value, 0.95)
    elif weight >= PROBABLE_WEIGHT and _probable_gates(reading, dob, curp):
        level, value = MatchLevel.PROBABLE, min(value, 0.949)
    elif weight >= POSSIBLE_WEIGHT:
        level, value = MatchLevel.POSSIBLE, min(value, 0.799)
    else:
        level, value = None, min(value, 0.499)
    reasons = (reading.given.reason, reading.surnames.reason, dob.value, curp.value)
    extra = tuple(r for r in (reading.reason, sex_reason) if r is not None)
    return Match(round(value, 4), level, reasons + extra)
