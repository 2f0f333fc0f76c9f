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
    if min(len(a), len(b)) >= 4 and (
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
_GIVEN_CAP = 6.5


@dataclass(frozen=True, slots=True)
class GivenComparison:
    """Result of comparing two lists of given names."""

    weight: float
    agrees: bool  # a written-out name agrees and neither side has a name the other contradicts
    all_exact: bool  # the same written-out names on both sides, nothing else
    reason: str


def _pair_full(q: list[GivenName], c: list[GivenName]) -> list[tuple[Agreement, int, int]]:
    """Greedy best-first pairing of written-out names."""
    scored = [
        (given_agreement(a, b), -i, -j) for i, a in enumerate(q) for j, b in enumerate(c)
    ]
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


def compare_given(q: tuple[GivenName, ...], c: tuple[GivenName, ...]) -> GivenComparison:
    """Compare a query's given names with a candidate's."""
    qf = [g for g in q if not g.is_initial]
    cf = [g for g in c if not g.is_initial]
    pairs = _pair_full(qf, cf)
    q_left = [g for i, g in enumerate(qf) if i not in {p[1] for p in pairs}]
    c_left = [g for j, g in enumerate(cf) if j not in {p[2] for p in pairs}]
    q_ini = [g for g in q if g.is_initial]
    c_ini = [g for g in c if g.is_initial]
    qi_hit, qi_miss = _pair_initials(q_ini, c_left + c_ini)
    ci_hit, ci_miss = _pair_initials(c_ini, q_left)
    q_rest = len(q_left) - ci_hit + qi_miss
    c_rest = len(c_left) - qi_hit + ci_miss
    conflict = q_rest > 0 and c_rest > 0
    if not pairs:
        return GivenComparison(GIVEN_DIFFERENT, False, False, "given_different")
    weight = sum(
        _GIVEN_WEIGHT[a] * (0.6 if qf[i].text in WEAK_GIVEN else 1.0) for a, i, _ in pairs
    )
    weight += 0.8 * (qi_hit + ci_hit) - 0.3 * (q_rest + c_rest)
    if conflict:
        weight += GIVEN_CONFLICT
    all_exact = (
        not q_ini and not c_ini and len(qf) == len(cf) == len(pairs)
        and all(a is Agreement.EXACT for a, _, _ in pairs)
    )
    reason = "given_conflict" if conflict else _given_reason(pairs, q_rest + c_rest)
    return GivenComparison(min(weight, _GIVEN_CAP), not conflict, all_exact, reason)


def _given_reason(pairs: list[tuple[Agreement, int, int]], leftovers: int) -> str:
    worst = min(a for a, _, _ in pairs)
    if worst is Agreement.NICKNAME:
        return "given_nickname"
    if worst is Agreement.TYPO:
        return "given_typo"
    return "given_partial" if leftovers else "given_agrees"
