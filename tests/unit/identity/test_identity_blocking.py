"""Blocking keys: compound only, and shared between a record and its corrupted queries."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from identity_helpers import JOSE_CURP, person

from registry.identity import Identity, NormalisedIdentity, blocking_keys, normalise, query_keys

RECORD = person(curp=JOSE_CURP)
SINGLE_FIELD_INDEXES = {"curp", "curp16"}


def shares_a_key(query: NormalisedIdentity, record: NormalisedIdentity = RECORD) -> bool:
    return bool(set(query_keys(query)) & set(blocking_keys(record)))


def test_record_keys() -> None:
    names = {name for name, _ in blocking_keys(RECORD)}
    assert names == {
        "curp",
        "curp16",
        "dob_sur",
        "dob_given",
        "year_month_given_sur",
        "year_day_given_sur",
        "year_names",
        "day_names",
        "names",
    }
    assert ("curp", (JOSE_CURP,)) in blocking_keys(RECORD)
    assert ("curp16", (JOSE_CURP[:16],)) in blocking_keys(RECORD)


def test_weak_leading_given_name_is_not_paired_with_the_year_and_one_surname() -> None:
    keys = blocking_keys(person("María Guadalupe", "Hernández", "López", sex="M"))
    year_given_sur = [parts for name, parts in keys if name.endswith("_given_sur")]
    assert year_given_sur and all(parts[1] != "MARIA" for parts in year_given_sur)
    assert any(name == "year_names" and parts[1] == "MARIA" for name, parts in keys)


@pytest.mark.parametrize(
    "query",
    [
        person(),  # clean, no CURP
        person("Jose Luis", "Hernandez", None),  # maternal dropped
        person("José Luis", "López", "Hernández"),  # swapped
        person("José Luis", "HernandezLopez", None),  # one field
        person("José Luis", "HERNANDEZLOPEZ", None),
        person("Pepe", "Hernández", "López"),  # nickname
        person("Luis", "Fernández", "Pérez"),  # surnames wrong, given and date right
        person("Hernández", "José Luis", "López"),  # fields swapped
        person("José Luis Hernández", "López", None),  # paternal as middle name
        person(birth=dt.date(1985, 3, 24)),  # date typo, both surnames
        person(birth=dt.date(1986, 3, 14)),  # year slip
        person(birth=dt.date(1975, 3, 14)),  # year typo
        person(birth=dt.date(1988, 3, 14)),  # year typo
        person(birth=None),  # no date
        person("José Luis", "Hernández", None, dt.date(1985, 3, 16)),  # day typo, one surname
        person("José Luis", "Hernández", None, dt.date(1985, 1, 1)),  # placeholder date
        person("José Luis", "Hernández", "López", dt.date(1985, 3, 14), "H", "XXXX"),
        person("Jose Luis", "Hernandes", "Lopes", None, None, JOSE_CURP),  # CURP only exact part
    ],
)
def test_corrupted_queries_share_a_key_with_their_record(query: NormalisedIdentity) -> None:
    assert shares_a_key(query)


def test_a_record_without_a_birth_date_is_found_by_queries_with_one() -> None:
    undated = person(birth=None)
    assert "undated_names" in {name for name, _ in blocking_keys(undated)}
    assert shares_a_key(person(), undated)
    assert shares_a_key(person("Jose Luis", "Hernandez", "Lopez", dt.date(1990, 7, 2)), undated)


def test_namesakes_born_on_unrelated_dates_are_not_candidates() -> None:
    """They could never reach `possible`; a large registry holds thousands of them."""
    assert not shares_a_key(person("José Luis", "Hernández", "López", dt.date(1971, 9, 27)))
    assert not shares_a_key(person("José Luis", "Hernández", "López", dt.date(1979, 11, 29)))
    assert shares_a_key(person("José Luis", "Hernández", "López", None))


def test_day_month_swap_shares_a_key() -> None:
    """The swapped date is probed with a surname: a swap that also lost every surname could
    not reach `possible`, and its other keys met mostly namesakes born on the other day."""
    record = person(birth=dt.date(1985, 3, 4))
    assert shares_a_key(person("José Luis", "Hernández", "López", dt.date(1985, 4, 3)), record)
    assert shares_a_key(person("Pedro", "Hernández", None, dt.date(1985, 4, 3)), record)
    assert not shares_a_key(person("José Luis", "Ramírez", "Soto", dt.date(1985, 4, 3)), record)


def test_unrelated_people_share_no_key() -> None:
    other = person("Rosa", "Martínez", "Ortega", dt.date(1962, 8, 30), "M")
    assert not shares_a_key(other)


name_parts = st.text(alphabet="abcdefghijklmnñopqrstuvwxyzáéíóú -", max_size=20)
identities = st.builds(
    Identity,
    name_parts,
    st.none() | name_parts,
    st.none() | name_parts,
    st.none() | st.dates(dt.date(1940, 1, 1), dt.date(2010, 1, 1)),
    st.sampled_from(["H", "M", "X", None]),
    st.none() | st.just(JOSE_CURP),
)


@given(identities)
def test_no_key_rests_on_one_low_entropy_field(identity: Identity) -> None:
    for name, parts in query_keys(normalise(identity)):
        if name in SINGLE_FIELD_INDEXES:
            assert len(parts) == 1 and len(parts[0]) >= 16
        else:
            assert len(parts) >= 2 and all(parts)


@given(identities)
def test_query_keys_include_the_record_keys(identity: Identity) -> None:
    """Every key a record stores is probed by a query for the same identity, but for the one
    of `names` (every record) and `undated_names` (records without a date) it has no use for."""
    n = normalise(identity)
    probed = set(query_keys(n))
    unused = "undated_names" if any(kind == "names" for kind, _ in probed) else "names"
    assert {k for k in blocking_keys(n) if k[0] != unused} <= probed
