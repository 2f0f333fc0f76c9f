"""Match scoring: levels, gates and the corruptions the matcher must tolerate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st
from identity_helpers import JOSE_CURP, person, with_check_digit

from registry.identity import (
    Match,
    MatchLevel,
    NormalisedIdentity,
    normalise_without_names,
    score,
    score_without_names,
)
from registry.identity.dates import compare_dates

RECORD = person()  # José Luis Hernández López, 1985-03-14, H
GOOD = (MatchLevel.EXACT, MatchLevel.PROBABLE)


def level(q: NormalisedIdentity, c: NormalisedIdentity = RECORD) -> MatchLevel | None:
    return score(q, c).level


def test_identical_records_are_exact() -> None:
    m = score(person(), RECORD)
    assert m.level is MatchLevel.EXACT and m.score >= 0.95


def test_curp_consistent_with_both_sides_is_exact_despite_missing_fields() -> None:
    record = person(curp=JOSE_CURP)
    query = person("José", "Hernández", None, None, None, JOSE_CURP)
    assert level(query, record) is MatchLevel.EXACT


def test_curp_typo_that_passes_the_check_digit_is_never_exact() -> None:
    # Character 9 changed: still a valid CURP, now encoding the 24th, not the 14th.
    typo = JOSE_CURP[:8] + "2" + JOSE_CURP[9:]
    other = person("Juan", "Hernández", "Luna", dt.date(1985, 3, 24), "H", typo)
    query = person(curp=typo)  # José Luis's own fields with the mistyped CURP
    assert score(query, other).level is not MatchLevel.EXACT
    assert level(query, person(curp=JOSE_CURP)) is MatchLevel.PROBABLE


def test_identical_curp_inconsistent_with_the_record_is_not_exact() -> None:
    wrong_owner = person("Pedro", "Ramírez", "Soto", dt.date(1985, 3, 14), "H", JOSE_CURP)
    assert level(person(curp=JOSE_CURP), wrong_owner) is not MatchLevel.EXACT


def test_curp_encoding_another_birth_date_blocks_probable() -> None:
    near = person(birth=dt.date(1985, 3, 24), curp=with_check_digit("HELJ850324HDFRPS0"))
    assert level(near, person(curp=JOSE_CURP)) not in GOOD


@pytest.mark.parametrize(
    "other_birth", [dt.date(1987, 9, 2), dt.date(1970, 11, 30), dt.date(2001, 3, 14)]
)
def test_homonym_with_clearly_different_birth_date_is_not_probable(other_birth: dt.date) -> None:
    m = score(person(birth=other_birth), RECORD)
    assert m.level not in GOOD
    assert "dob_different" in m.reasons


def test_sibling_is_not_probable() -> None:
    sibling = person("Carlos Alberto", birth=dt.date(1990, 7, 21))
    assert level(sibling) not in GOOD


def test_twin_with_another_given_name_is_not_probable() -> None:
    assert level(person("José Antonio")) not in GOOD
    assert level(person("Miguel")) not in GOOD


def test_father_and_son_with_the_same_name_are_not_probable() -> None:
    son = person(maternal="Ramírez", birth=dt.date(2010, 5, 2))
    assert level(son) not in GOOD


@pytest.mark.parametrize(
    "query",
    [
        person("Jose Luis", "Hernandez", None),  # accents and maternal dropped
        person("JOSE LUIS", "HERNANDEZ", "LOPEZ", dt.date(1985, 3, 14), None),
        person("Luis", "Hernández", "López"),  # leading José dropped
        person("José", "Hernández", "López"),  # second name dropped
        person("José L.", "Hernández", "López"),  # second name as initial
        person("J. Luis", "Hernández", "López"),
        person("Pepe", "Hernández", "López"),  # hypocorism
        person("Joe Luis", "Hernandez", "Lopez"),  # anglicised
        person("José Luis", "López", "Hernández"),  # surnames swapped
        person("José Luis", "Hernández-López", None),  # one field
        person("José Luis", "HERNANDEZLOPEZ", None),
        person("Hernández", "José Luis", "López"),  # fields swapped
        person("José Luis Hernández", "López", None),  # paternal as middle name
        person("José Luis", "Hernandes", "López"),  # phonetic spelling
        person("José Luis", "Hernádez", "López"),  # typo
        person(birth=dt.date(1985, 3, 4)),  # one digit
        person(birth=dt.date(1986, 3, 14)),  # year slip
        person(birth=None),  # missing birth date, both surnames
        person(sex=None),
        person(sex="M"),  # wrong sex
    ],
)
def test_common_corruptions_stay_probable_or_better(query: NormalisedIdentity) -> None:
    assert level(query) in GOOD


def test_day_month_swap_is_probable() -> None:
    record = person(birth=dt.date(1985, 3, 4))
    assert level(person(birth=dt.date(1985, 4, 3)), record) in GOOD


def test_particle_surname_variants_match() -> None:
    record = person("Ana", "de la Cruz", "Pérez", sex="M")
    for typed in ("Delacruz", "Cruz", "DE LA CRUZ"):
        assert level(person("Ana", typed, "Perez", sex="M"), record) in GOOD


def test_married_name_suffix_still_matches() -> None:
    record = person("María Elena", "López", "García", dt.date(1970, 2, 2), "M")
    query = person("María Elena", "López", "García de Hernández", dt.date(1970, 2, 2), "M")
    assert level(query, record) in GOOD


def test_missing_birth_date_and_maternal_is_at_most_possible() -> None:
    assert level(person("José Luis", "Hernández", None, None)) not in GOOD


def test_unrelated_person_is_not_a_match() -> None:
    assert level(person("Rosa", "Martínez", "Ortega", dt.date(1962, 8, 30), "M")) is None


def test_reasons_are_codes_without_names() -> None:
    m = score(person("Pepe", "Hernandes", None, dt.date(1985, 4, 3)), RECORD)
    assert all(r.replace("_", "").isalpha() and r.islower() for r in m.reasons)
    assert not any(name in r for r in m.reasons for name in ("jose", "hernan", "lopez", "pepe"))


def test_x_sex_is_neutral() -> None:
    assert score(person(sex="X"), RECORD).score >= score(person(sex=None), RECORD).score


given_names = st.sampled_from(["Juan", "María Guadalupe", "José Luis", "Ana", "Pedro", "Rosa"])
surnames = st.sampled_from(["Hernández", "García", "de la Cruz", "López", "Pérez", "Ek"])
dates = st.dates(dt.date(1950, 1, 1), dt.date(2005, 12, 31))


def _implausible(a: dt.date, b: dt.date) -> bool:
    digits = sum(x != y for x, y in zip(f"{a:%Y%m%d}", f"{b:%Y%m%d}", strict=True))
    swap = a.year == b.year and (a.day, a.month) == (b.month, b.day)
    return abs((a - b).days) > 366 and digits >= 2 and not swap


@given(given_names, surnames, st.none() | surnames, dates, dates, st.sampled_from("HM"))
def test_homonyms_with_implausible_birth_dates_are_never_probable(
    g: str, p: str, m: str | None, a: dt.date, b: dt.date, sex: str
) -> None:
    if _implausible(a, b):
        assert score(person(g, p, m, a, sex), person(g, p, m, b, sex)).level not in GOOD


@given(given_names, surnames, st.none() | surnames, dates, given_names, surnames, dates)
def test_score_is_in_unit_interval_and_consistent_with_level(
    g1: str, p1: str, m1: str | None, d1: dt.date, g2: str, p2: str, d2: dt.date
) -> None:
    m: Match = score(person(g1, p1, m1, d1), person(g2, p2, None, d2))
    assert 0.0 <= m.score <= 1.0
    bands = {
        MatchLevel.EXACT: (0.95, 1.0),
        MatchLevel.PROBABLE: (0.8, 0.95),
        MatchLevel.POSSIBLE: (0.5, 0.8),
        None: (0.0, 0.5),
    }
    low, high = bands[m.level]
    assert low <= m.score <= high


@dataclass(frozen=True)
class Pair:
    """A query and a candidate record (with the candidate's dates and CURP as drawn)."""

    query: NormalisedIdentity
    record: NormalisedIdentity
    query_date: dt.date
    record_date: dt.date
    curp: str | None


NO_CURP: st.SearchStrategy[str | None] = st.none()


@st.composite
def pairs(draw: st.DrawFn, curps: st.SearchStrategy[str | None] = NO_CURP) -> Pair:
    g1, p1, m1, d1 = draw(given_names), draw(surnames), draw(st.none() | surnames), draw(dates)
    g2, p2, d2 = draw(given_names), draw(surnames), draw(dates)
    sex, curp = draw(st.sampled_from(["H", "M", None])), draw(curps)
    return Pair(person(g1, p1, m1, d1, sex, curp), person(g2, p2, None, d2, "H", curp), d1, d2,
                curp)


@given(pairs())
def test_skipping_the_name_comparison_never_changes_a_match(pair: Pair) -> None:
    """Names (or given names) are not compared when no agreement could reach `possible`, or
    beat a reading already scored; the outcome is the same as comparing every reading."""
    import registry.identity.matching as matching

    quick = score(pair.query, pair.record)
    caps = matching.NAME_WEIGHT_CAP, matching.GIVEN_CAP
    try:
        matching.NAME_WEIGHT_CAP = matching.GIVEN_CAP = 1e9  # compares every name of every reading
        full = score(pair.query, pair.record)
    finally:
        matching.NAME_WEIGHT_CAP, matching.GIVEN_CAP = caps
    assert quick.level == full.level
    if quick.level is not None:
        assert quick == full
    else:
        assert quick.score <= 0.499 and full.score <= 0.499


@given(pairs(st.sampled_from([None, JOSE_CURP])))
def test_a_candidate_scored_without_names_scores_as_with_them(pair: Pair) -> None:
    """Screening opens a candidate's names only when `score_without_names` cannot decide."""
    nameless = normalise_without_names(pair.record_date, "H", pair.curp)
    assert nameless == person("", None, None, pair.record_date, "H", pair.curp)
    quick = score_without_names(pair.query, nameless)
    if quick is not None:
        assert quick == score(pair.query, pair.record)
    elif not compare_dates(pair.query_date, pair.record_date).plausible and pair.curp is None:
        pytest.fail("an implausible date leaves no room for names, yet they were asked for")
