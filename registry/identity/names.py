"""Comparison of given names and surnames, with weights for the scorer.

Words agree EXACTly, PHONETICally (same Spanish phonetic key), as a TYPO (one edit,
transpositions included, on the letters or on the phonetic key: rapidfuzz OSA
distance) or not at all. Given names also agree through a NICKNAME
(PEPE/JOSE, JOHN/JUAN), and an initial agrees with any name it could abbreviate.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

from rapidfuzz.distance import OSA

from registry.identity.model import GivenName
from registry.identity.phonetic import phonetic_key
from registry.identity.tables import WEAK_GIVEN


class Agreement(IntEnum):
    """How well two words agree, worst first."""

    DIFFERENT = 0
    TYPO = 1
    NICKNAME = 2
    PHONETIC = 3
    EXACT = 4


@lru_cache(maxsize=1 << 18)
def word_agreement(a: str, b: str) -> Agreement:
    """Agreement of two folded words."""
    if a == b:
        return Agreement.EXACT
    ka, kb = phonetic_key(a), phonetic_key(b)
    if ka == kb:
        return Agreement.PHONETIC
    if min(len(a), len(b)) >= 3 and (
        OSA.distance(a, b, score_cutoff=1) <= 1 or OSA.distance(ka, kb, score_cutoff=1) <= 1
    ):
        return Agreement.TYPO
    return Agreement.DIFFERENT


def given_agreement(q: GivenName, c: GivenName) -> Agreement:
    """Agreement of two written-out given names, nicknames included."""
    best = word_agreement(q.text, c.text)
    if best < Agreement.NICKNAME and q.canonical & c.canonical:
        return Agreement.NICKNAME
    return best


def _initial_fits(initial: str, name: GivenName) -> bool:
    return name.text.startswith(initial) or any(n.startswith(initial) for n in name.canonical)


_GIVEN_WEIGHT = {
    Agreement.EXACT: 4.0,
    Agreement.PHONETIC: 3.6,
    Agreement.NICKNAME: 3.2,
    Agreement.TYPO: 2.4,
}
GIVEN_DIFFERENT = -6.0
GIVEN_CONFLICT = -4.0
GIVEN_CAP = 6.5


@dataclass(frozen=True, slots=True)
class GivenComparison:
    """Result of comparing two lists of given names."""

    weight: float
    agrees: bool  # a written-out name agrees and neither side has a name the other contradicts
    all_exact: bool  # the same written-out names in the same order, nothing else
    reason: str
    distinctive: bool = False  # more than a leading MARIA/JOSE agrees


def _pair_full(q: list[GivenName], c: list[GivenName]) -> list[tuple[Agreement, int, int]]:
    """Greedy best-first pairing of written-out names."""
    if len(q) == 1 and len(c) == 1:
        agreement = given_agreement(q[0], c[0])
        return [] if agreement is Agreement.DIFFERENT else [(agreement, 0, 0)]
    scored = [(given_agreement(a, b), -i, -j) for i, a in enumerate(q) for j, b in enumerate(c)]
    scored.sort(reverse=True)
    used_q: set[int] = set()
    used_c: set[int] = set()
    pairs: list[tuple[Agreement, int, int]] = []
    for agreement, mi, mj in scored:
        i, j = -mi, -mj
        if agreement is Agreement.DIFFERENT or i in used_q or j in used_c:
            continue
        used_q.add(i)
        used_c.add(j)
        pairs.append((agreement, i, j))
    return pairs


def _pair_initials(initials: list[GivenName], names: list[GivenName]) -> tuple[int, int]:
    """Match initials against leftover names (or initials); return (matched, unmatched)."""
    left = list(names)
    matched = 0
    for ini in initials:
        hit = next((n for n in left if _initial_fits(ini.text, n)), None)
        if hit is not None:
            left.remove(hit)
            matched += 1
    return matched, len(initials) - matched


@dataclass(frozen=True, slots=True)
class _Alignment:
    """Which written-out names paired up, and what is left on either side."""

    pairs: list[tuple[Agreement, int, int]]
    full: list[GivenName]  # the query's written-out names, indexed by pairs
    initials_hit: int
    initials: bool  # either side has an initial
    q_rest: int  # query names (or initials) with no partner
    c_rest: int
    compound: bool  # either side has more than one written-out name


def _align(q: tuple[GivenName, ...], c: tuple[GivenName, ...]) -> _Alignment:
    qf = [g for g in q if not g.is_initial]
    cf = [g for g in c if not g.is_initial]
    pairs = _pair_full(qf, cf)
    used_q, used_c = {p[1] for p in pairs}, {p[2] for p in pairs}
    q_left = [g for i, g in enumerate(qf) if i not in used_q]
    c_left = [g for j, g in enumerate(cf) if j not in used_c]
    q_ini = [g for g in q if g.is_initial]
    c_ini = [g for g in c if g.is_initial]
    qi_hit, qi_miss = _pair_initials(q_ini, c_left + c_ini)
    ci_hit, ci_miss = _pair_initials(c_ini, q_left)
    return _Alignment(
        pairs, qf, qi_hit + ci_hit, bool(q_ini or c_ini),
        len(q_left) - ci_hit + qi_miss, len(c_left) - qi_hit + ci_miss,
        len(qf) > 1 or len(cf) > 1,
    )  # fmt: skip


def compare_given(q: tuple[GivenName, ...], c: tuple[GivenName, ...]) -> GivenComparison:
    """Compare a query's given names with a candidate's."""
    al = _align(q, c)
    conflict = al.q_rest > 0 and al.c_rest > 0
    if not al.pairs:
        if al.initials_hit and not conflict:
            return GivenComparison(0.8 * al.initials_hit, True, False, "given_initials")
        return GivenComparison(GIVEN_DIFFERENT, False, False, "given_different")
    weak = [al.compound and al.full[i].text in WEAK_GIVEN for _, i, _ in al.pairs]
    weight = sum(
        _GIVEN_WEIGHT[a] * (0.6 if w else 1.0) for (a, _, _), w in zip(al.pairs, weak, strict=True)
    )
    weight += 0.8 * al.initials_hit - 0.3 * (al.q_rest + al.c_rest)
    if conflict:
        weight += GIVEN_CONFLICT
    all_exact = (
        not al.initials
        and al.q_rest == al.c_rest == 0
        and all(a is Agreement.EXACT and i == j for a, i, j in al.pairs)
    )
    reason = "given_conflict" if conflict else _given_reason(al.pairs, al.q_rest + al.c_rest)
    distinctive = not all(weak) or al.initials_hit > 0 or al.q_rest + al.c_rest == 0
    return GivenComparison(min(weight, GIVEN_CAP), not conflict, all_exact, reason, distinctive)


def _given_reason(pairs: list[tuple[Agreement, int, int]], leftovers: int) -> str:
    worst = min(a for a, _, _ in pairs)
    if worst is Agreement.NICKNAME:
        return "given_nickname"
    if worst is Agreement.TYPO:
        return "given_typo"
    return "given_partial" if leftovers else "given_agrees"
