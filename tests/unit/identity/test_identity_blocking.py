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
        person(birth=None),  # no date
        person("José Luis", "Hernández", None, dt.date(1985, 3, 16)),  # day typo, one surname
        person("José Luis", "Hernández", None, dt.date(1985, 1, 1)),  # placeholder date
        person("José Luis", "Hernández", "López", dt.date(1985, 3, 14), "H", "XXXX"),
        person("Jose Luis", "Hernandes", "Lopes", None, None, JOSE_CURP),  # CURP only exact part
    ],
)
def test_corrupted_queries_share_a_key_with_their_record(query: NormalisedIdentity) -> None:
    assert shares_a_key(query)


def test_day_month_swap_shares_a_key() -> None:
    record = person(birth=dt.date(1985, 3, 4))
    assert shares_a_key(person("Pedro", "Ramírez", "Soto", dt.date(1985, 4, 3)), record) is False
    assert shares_a_key(person("José Luis", "Ramírez", "Soto", dt.date(1985, 4, 3)), record)


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
    n = normalise(identity)
    assert set(blocking_keys(n)) <= set(query_keys(n))
