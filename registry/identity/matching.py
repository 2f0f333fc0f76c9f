"""Scoring a screening query against one candidate record.

The weight adds log-likelihood-style terms (Fellegi-Sunter in spirit, set by hand
and tuned on the MX-SCREEN benchmark's dev split); rapidfuzz (OSA distance) and the
Spanish phonetic key decide when two words agree:

- given names (`names.compare_given`): about +4 per agreeing name (less for a
  nickname, phonetic or one-edit agreement; 60 % for a leading MARIA/JOSE), +6.5 at
  most; a contradicting name -4, no agreeing name -6;
- surnames (`surnames.compare_surnames`): paternal +5 / -5, maternal +4.5 / -3;
  swapped, merged, married or dropped surnames are read too, at a small cost;
- birth date (`dates.compare_dates`): exact +8, day/month swap +4, one-digit slip
  or year off by one +3, 1 January placeholder +2, missing 0, anything else -8;
- sex: agree +0.5, differ -2 (X and missing are neutral);
- CURP: identical and consistent with both sides +12, identical otherwise +6, one
  character apart +2, different -4, encoding another birth date than the
  candidate's (while agreeing with the query's own date) -6.

The query is also read with given names and surnames swapped, with its last given
name as paternal surname (a U.S. middle name), and with "HERNANDEZLOPEZ" split
(`readings.readings`); the best reading wins, less a small penalty.

Levels:

- `exact`: identical CURP consistent with the initials, birth date and sex of both
  sides; or every field present and identical (a CURP on one side only disagrees);
- `probable`: weight >= PROBABLE_WEIGHT and all gates pass: birth dates plausible
  (no gap beyond a swap, one-digit slip, year +-1 or placeholder) and no query CURP
  encoding another date; given names agree without contradiction and a surname
  agrees (an identical CURP stands in for either); if only a leading MARIA/JOSE
  agrees, both surnames, or the exact date and sex, must agree too; with no birth
  date, every name as typed must agree;
- `possible`: weight >= POSSIBLE_WEIGHT.

When the date, CURP and sex terms leave no room to reach `possible` even with every
name agreeing (a homonym born on another date, the bulk of candidates in a large
registry), the names are not compared and the score is that bound (below 0.5):
`score_without_names` decides this from the candidate's date, sex and CURP alone, so
screening decrypts a candidate's names only when they can matter.

The score is a logistic map of the weight (0.5 at POSSIBLE_WEIGHT, 0.8 at
PROBABLE_WEIGHT) clamped into its level's band: None [0, 0.5), possible [0.5, 0.8),
probable [0.8, 0.95), exact [0.95, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from registry.identity.curp import CurpInfo
from registry.identity.dates import DateAgreement, compare_dates
from registry.identity.model import NormalisedIdentity
from registry.identity.names import GIVEN_CAP, GivenComparison, compare_given
from registry.identity.readings import readings
from registry.identity.surnames import SURNAMES_CAP, SurnameComparison, compare_surnames

NAME_WEIGHT_CAP = GIVEN_CAP + SURNAMES_CAP
PROBABLE_WEIGHT = 13.0
POSSIBLE_WEIGHT = 9.0
_DATE_WEIGHT = {
    DateAgreement.EXACT: 8.0,
    DateAgreement.SWAPPED: 4.0,
    DateAgreement.ONE_DIGIT: 3.0,
    DateAgreement.YEAR_OFF: 3.0,
    DateAgreement.PLACEHOLDER: 2.0,
    DateAgreement.MISSING: 0.0,
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
    CurpAgreement.CONFIRMED: 12.0,
    CurpAgreement.SAME: 6.0,
    CurpAgreement.ONE_CHAR: 2.0,
    CurpAgreement.DIFFERENT: -4.0,
    CurpAgreement.DIFFERENT_DOB: -6.0,
    CurpAgreement.MISSING: 0.0,
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
    qi, ci = q.curp_info, c.curp_info
    own_date_ok = qi is not None and q.birth_date in (None, qi.birth_date)
    if own_date_ok and ci is not None and qi is not None and qi.birth_date != ci.birth_date:
        # The query's own CURP, consistent with its own date, puts the birth elsewhere.
        return CurpAgreement.DIFFERENT_DOB
    if sum(a != b for a, b in zip(q.curp, c.curp, strict=True)) == 1:
        return CurpAgreement.ONE_CHAR
    return CurpAgreement.DIFFERENT


@dataclass(frozen=True, slots=True)
class _Reading:
    weight: float
    given: GivenComparison
    surnames: SurnameComparison
    reason: str | None


def _best_reading(q: NormalisedIdentity, c: NormalisedIdentity, floor: float) -> _Reading | float:
    """The reading of the query that agrees best with the candidate, or, when no reading's
    names can weigh `floor` or more, the most any of them could weigh.

    Surnames are compared first: a reading whose surnames leave it no chance to beat the best
    so far, or to reach `floor`, even with every given name agreeing, is not compared further.
    """
    best: _Reading | None = None
    bound = -math.inf
    for reading, penalty, reason in readings(q):
        if best is not None and best.weight >= NAME_WEIGHT_CAP - penalty:
            continue  # this reading cannot beat the one already found
        surnames = compare_surnames(reading, c)
        most = surnames.weight + GIVEN_CAP - penalty
        bound = max(bound, most)
        if most < floor or (best is not None and most <= best.weight):
            continue
        given = compare_given(reading.given, c.given)
        weight = given.weight + surnames.weight - penalty
        if best is None or weight > best.weight:
            best = _Reading(weight, given, surnames, reason)
    return bound if best is None else best


def _effective(n: NormalisedIdentity) -> NormalisedIdentity:
    """Fill a missing birth date or sex from a valid CURP."""
    info = n.curp_info
    if info is None or (n.birth_date is not None and n.sex is not None):
        return n
    return NormalisedIdentity(
        n.given,
        n.paternal,
        n.maternal,
        n.extra_surnames,
        n.birth_date or info.birth_date,
        n.sex or info.sex,
        n.curp,
        info,
    )


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
        r.reason is None
        and r.given.all_exact
        and r.surnames.all_exact
        and dob is DateAgreement.EXACT
        and q.sex is not None
        and q.sex == c.sex
        and (q.curp is None) == (c.curp is None)
        and curp in (CurpAgreement.MISSING, CurpAgreement.SAME)
    )


def _probable_gates(r: _Reading, dob: DateAgreement, curp: CurpAgreement, sex_agrees: bool) -> bool:
    """Conditions besides the weight for `probable` (see the module docstring)."""
    if not dob.plausible or curp is CurpAgreement.DIFFERENT_DOB:
        return False
    if curp in (CurpAgreement.CONFIRMED, CurpAgreement.SAME):
        return r.given.agrees or r.surnames.agrees
    if not (r.given.agrees and r.surnames.agrees):
        return False
    if dob is DateAgreement.MISSING:
        # Names alone: every name written out and agreeing, both surnames in place.
        return (
            r.reason is None
            and r.surnames.reason == "surnames_agree"
            and r.given.reason == "given_agrees"
            and r.given.distinctive
        )
    return r.given.distinctive or r.surnames.both or (dob is DateAgreement.EXACT and sex_agrees)


@dataclass(frozen=True, slots=True)
class _Terms:
    """What the birth dates, CURPs and sexes of a pair weigh, before any name is read."""

    dob: DateAgreement
    curp: CurpAgreement
    sex_weight: float
    sex_reason: str | None

    @property
    def rest(self) -> float:
        return _DATE_WEIGHT[self.dob] + _CURP_WEIGHT[self.curp] + self.sex_weight


def _terms(query: NormalisedIdentity, candidate: NormalisedIdentity) -> _Terms:
    q, c = _effective(query), _effective(candidate)
    return _Terms(compare_dates(q.birth_date, c.birth_date), compare_curp(query, candidate),
                  *_sex_weight(q, c))


def _without_names(terms: _Terms) -> Match | None:
    bound = NAME_WEIGHT_CAP + terms.rest
    if bound >= POSSIBLE_WEIGHT or terms.curp is CurpAgreement.CONFIRMED:
        return None
    skipped = ("names_not_compared", terms.dob.value, terms.curp.value)
    reasons = (*skipped, terms.sex_reason) if terms.sex_reason else skipped
    return Match(round(min(_to_score(bound), 0.499), 4), None, reasons)


def score_without_names(query: NormalisedIdentity, candidate: NormalisedIdentity) -> Match | None:
    """The match of a candidate whose names cannot change it, else None.

    Only the candidate's birth date, sex and CURP are read, so a caller may pass it without
    names and decrypt them only when this returns None. Not even agreeing names could lift
    such a candidate to `possible` (nor is it exact: the dates differ); most candidates of a
    large registry are homonyms born on other dates. The score is the bound, below 0.5.
    """
    if query.curp is not None and query.curp == candidate.curp:
        return None  # an identical CURP is checked against both sides' names
    return _without_names(_terms(query, candidate))


def score(query: NormalisedIdentity, candidate: NormalisedIdentity) -> Match:
    """Score a candidate record against a screening query."""
    terms = _terms(query, candidate)
    quick = _without_names(terms)
    if quick is not None:
        return quick
    dob, curp, rest = terms.dob, terms.curp, terms.rest
    sex_w, sex_reason = terms.sex_weight, terms.sex_reason
    # An identical, consistent CURP makes it exact whatever the names weigh.
    floor = -math.inf if curp is CurpAgreement.CONFIRMED else POSSIBLE_WEIGHT - rest
    reading = _best_reading(query, candidate, floor)
    if not isinstance(reading, _Reading):  # no reading's names could reach `possible`
        below = ("names_below_possible", dob.value, curp.value)
        return Match(round(min(_to_score(reading + rest), 0.499), 4), None,
                     (*below, sex_reason) if sex_reason else below)
    weight = reading.weight + rest
    value = _to_score(weight)
    if curp is CurpAgreement.CONFIRMED or _all_fields_exact(query, candidate, reading, dob, curp):
        level: MatchLevel | None = MatchLevel.EXACT
        value = max(value, 0.95)
    elif weight >= PROBABLE_WEIGHT and _probable_gates(reading, dob, curp, sex_w > 0):
        level, value = MatchLevel.PROBABLE, min(value, 0.949)
    elif weight >= POSSIBLE_WEIGHT:
        level, value = MatchLevel.POSSIBLE, min(value, 0.799)
    else:
        level, value = None, min(value, 0.499)
    reasons = (reading.given.reason, reading.surnames.reason, dob.value, curp.value)
    extra = tuple(r for r in (reading.reason, sex_reason) if r is not None)
    return Match(round(value, 4), level, reasons + extra)
