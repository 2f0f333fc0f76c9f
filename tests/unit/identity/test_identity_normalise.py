"""Name normalisation: accents, particles, compound names, nicknames, sex."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from identity_helpers import JOSE_CURP, person, strip_accents

from registry.identity import Identity, normalise, normalise_sex


def given_texts(*args: str) -> tuple[str, ...]:
    return tuple(g.text for g in person(*args).given)


def test_accents_case_and_punctuation_fold_alike() -> None:
    a = person("JOSÉ  LUIS", "HERNÁNDEZ", "LÓPEZ")
    b = person("jose luis", "hernandez", "lopez")
    c = person("José-Luis", "Hernández.", " López ")
    assert (a.given, a.paternal, a.maternal) == (b.given, b.paternal, b.maternal)
    assert (a.given, a.paternal, a.maternal) == (c.given, c.paternal, c.maternal)


def test_enye_folds_to_n() -> None:
    assert person(paternal="Muñoz").paternal == person(paternal="MUNOZ").paternal == ("MUNOZ",)


@pytest.mark.parametrize("typed", ["de la Cruz", "Delacruz", "DE LA CRUZ", "Cruz", "DeLaCruz"])
def test_particle_surnames_normalise_identically(typed: str) -> None:
    assert person(paternal=typed).paternal == ("CRUZ",)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("del Río", ("RIO",)),
        ("Delrio", ("RIO",)),
        ("de León", ("LEON",)),
        ("de los Santos", ("SANTOS",)),
        ("Mc Donald", ("DONALD",)),
        ("McDonald", ("DONALD",)),
        ("Van Horn", ("HORN",)),
        ("von Bertrab", ("BERTRAB",)),
        ("Delgado", ("DELGADO",)),  # not a glued particle
        ("Macías", ("MACIAS",)),
    ],
)
def test_surname_particles(typed: str, expected: tuple[str, ...]) -> None:
    assert person(paternal=typed, maternal="López").paternal == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("María Guadalupe", ("MARIA", "GUADALUPE")),
        ("Ma. Guadalupe", ("MARIA", "GUADALUPE")),
        ("MA GPE", ("MARIA", "GUADALUPE")),
        ("Fco. J.", ("FRANCISCO", "J")),
        ("María de los Ángeles", ("MARIA", "ANGELES")),
        ("Ma. de J.", ("MARIA", "J")),
        ("José de Jesús", ("JOSE", "JESUS")),
        ("Juan Jr.", ("JUAN",)),
    ],
)
def test_compound_given_names_and_abbreviations(typed: str, expected: tuple[str, ...]) -> None:
    assert given_texts(typed) == expected


def test_initials_are_marked() -> None:
    n = person("José L.")
    assert [g.is_initial for g in n.given] == [False, True]
    assert [g.text for g in n.full_given] == ["JOSE"]


@pytest.mark.parametrize("typed", ["Hernández-López", "HernandezLopez", "Hernández López"])
def test_both_surnames_in_one_field_are_split(typed: str) -> None:
    n = person(paternal=typed, maternal=None)
    assert (n.paternal, n.maternal) == (("HERNANDEZ",), ("LOPEZ",))


def test_married_suffix_is_kept_apart() -> None:
    n = person("María", "López", "García de Hernández", sex="M")
    assert (n.paternal, n.maternal, n.extra_surnames) == (("LOPEZ",), ("GARCIA",), ("HERNANDEZ",))


def test_given_name_tail_typed_in_the_surname_field_goes_back() -> None:
    n = person("María", "de los Ángeles Hernández", "López", sex="M")
    assert [g.text for g in n.given] == ["MARIA", "ANGELES"]
    assert (n.paternal, n.maternal) == (("HERNANDEZ",), ("LOPEZ",))


def test_trailing_glued_particle_before_a_particle_surname() -> None:
    n = person(paternal="MendezdelaCruz", maternal=None)
    assert (n.paternal, n.maternal) == (("MENDEZ",), ("CRUZ",))


@pytest.mark.parametrize(
    ("nickname", "canonical"),
    [
        ("Pepe", "JOSE"),
        ("Lupe", "GUADALUPE"),
        ("Paco", "FRANCISCO"),
        ("Pancho", "FRANCISCO"),
        ("Chuy", "JESUS"),
        ("Memo", "GUILLERMO"),
        ("Lalo", "EDUARDO"),
        ("Beto", "ALBERTO"),
        ("Beto", "ROBERTO"),
        ("Chema", "JOSE"),
        ("Chava", "SALVADOR"),
        ("Nacho", "IGNACIO"),
        ("Lola", "DOLORES"),
        ("Charo", "ROSARIO"),
        ("Joe", "JOSE"),
        ("Jesse", "JESUS"),
        ("William", "GUILLERMO"),
        ("Frank", "FRANCISCO"),
        ("John", "JUAN"),
        ("Mary", "MARIA"),
    ],
)
def test_nicknames_map_to_canonical_names(nickname: str, canonical: str) -> None:
    (name,) = person(nickname).given
    assert canonical in name.canonical
    assert name.text in name.canonical


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("H", "H"),
        ("h", "H"),
        ("M", "M"),
        ("F", "M"),
        ("X", "X"),
        ("mujer", "M"),
        ("Male", "H"),
        ("FEMALE", "M"),
        ("masculino", "H"),
        ("?", None),
        ("", None),
        (None, None),
    ],
)
def test_sex_markers(typed: str | None, expected: str | None) -> None:
    assert normalise_sex(typed) == expected


def test_valid_curp_is_decoded_invalid_one_kept_without_info() -> None:
    good = person(curp=JOSE_CURP.lower())
    assert good.curp == JOSE_CURP and good.curp_info is not None
    bad = person(curp=JOSE_CURP[:-1] + ("0" if JOSE_CURP[-1] != "0" else "1"))
    assert bad.curp is not None and bad.curp_info is None
    assert person(curp="  ").curp is None


def test_repr_withholds_personal_data() -> None:
    identity = Identity("Guadalupe", "Hernández", "López", dt.date(1980, 1, 2), "M", None)
    assert "Guadalupe" not in repr(identity)
    assert "GUADALUPE" not in repr(normalise(identity))


name_text = st.text(alphabet="abcdeéíñóuüxyz ÁÉÑ-.'", max_size=25)


def _names(g: str, p: str, m: str) -> tuple[object, ...]:
    n = normalise(Identity(g, p, m, None, None, None))
    return n.given, n.paternal, n.maternal, n.extra_surnames


@given(name_text, name_text, name_text)
def test_normalisation_ignores_accents(g: str, p: str, m: str) -> None:
    assert _names(g, p, m) == _names(strip_accents(g), strip_accents(p), strip_accents(m))


@given(name_text, name_text, name_text)
def test_normalisation_ignores_upper_or_lower_case(g: str, p: str, m: str) -> None:
    # Mixed case is information ("HernandezLopez" is two words), so compare the two extremes.
    assert _names(g.upper(), p.upper(), m.upper()) == _names(g.lower(), p.lower(), m.lower())


@given(name_text, name_text, name_text)
def test_normalise_never_raises(g: str, p: str, m: str) -> None:
    normalise(Identity(g, p or None, m or None, None, p, m))
