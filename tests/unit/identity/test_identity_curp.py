"""CURP validation (stdnum plus the X sex marker) and decoding."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from identity_helpers import JOSE_CURP, with_check_digit
from stdnum.mx import curp as stdnum_curp

from registry.identity import CurpError, decode_curp, is_valid_curp, validate_curp

NON_BINARY = with_check_digit("HELJ850314XDFRPS0")


def test_stdnum_example_and_compaction() -> None:
    assert validate_curp("BOXW310820HNERXN09") == "BOXW310820HNERXN09"
    assert validate_curp(" boxw-310820-hnerxn09 ") == "BOXW310820HNERXN09"


def test_x_sex_marker_is_accepted_although_stdnum_rejects_it() -> None:
    assert not stdnum_curp.is_valid(NON_BINARY)
    assert validate_curp(NON_BINARY) == NON_BINARY
    assert decode_curp(NON_BINARY).sex == "X"


def test_x_marker_still_needs_the_right_check_digit() -> None:
    wrong = NON_BINARY[:17] + str((int(NON_BINARY[17]) + 1) % 10)
    with pytest.raises(CurpError, match="check digit"):
        validate_curp(wrong)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("HELJ850314HDFRPS0", "18 characters, not 17"),
        (JOSE_CURP + "1", "18 characters, not 19"),
        ("HELJ85031AHDFRPS01", "format"),
        ("1ELJ850314HDFRPS01", "format"),
        (with_check_digit("HELJ851314HDFRPS0"), "birth date"),
        (with_check_digit("HELJ850230HDFRPS0"), "birth date"),
        (with_check_digit("HELJ850314ZDFRPS0"), "sex marker"),
        (with_check_digit("HELJ850314HZZRPS0"), "state"),
        (with_check_digit("HELJ850314HDFAPS0"), "consonants"),
        (with_check_digit("BUEY850314HDFRPS0"), "name part"),
        (JOSE_CURP[:17] + str((int(JOSE_CURP[17]) + 3) % 10), "check digit"),
    ],
)
def test_errors_name_the_problem_without_the_value(value: str, problem: str) -> None:
    with pytest.raises(CurpError) as info:
        validate_curp(value)
    assert problem in str(info.value)
    assert value not in str(info.value)
    assert not is_valid_curp(value)


def test_decode() -> None:
    info = decode_curp(JOSE_CURP)
    assert info.initials == "HELJ"
    assert info.birth_date == dt.date(1985, 3, 14)
    assert (info.sex, info.state, info.consonants) == ("H", "DF", "RPS")


def test_homoclave_letter_means_born_from_2000() -> None:
    assert decode_curp(with_check_digit("HELJ050314HDFRPSA")).birth_date == dt.date(2005, 3, 14)


def test_some_single_character_typos_pass_the_check_digit() -> None:
    # Character 9 (day tens digit) has weight 10: any digit keeps the check digit valid.
    typo = JOSE_CURP[:8] + "2" + JOSE_CURP[9:]
    assert validate_curp(typo) == typo
    assert decode_curp(typo).birth_date == dt.date(1985, 3, 24)


stems = st.builds(
    lambda letters, date, sex, state, cons, homo: (
        f"{letters}{date:%y%m%d}{sex}{state}{cons}{homo if date.year < 2000 else 'A'}"
    ),
    st.text(alphabet="ACEGILMOPRTU", min_size=4, max_size=4).filter(
        lambda s: s not in stdnum_curp._name_blacklist
    ),
    st.dates(dt.date(1930, 1, 1), dt.date(2023, 12, 31)),
    st.sampled_from("HMX"),
    st.sampled_from(["DF", "JC", "NL", "NE", "YN", "MC"]),
    st.text(alphabet="BCDFGHJKLMNPRSTVXZ", min_size=3, max_size=3),
    st.sampled_from("0123456789"),
)


@given(stems)
def test_every_well_formed_curp_with_its_check_digit_validates(stem: str) -> None:
    value = with_check_digit(stem)
    assert validate_curp(value.lower()) == value
    assert decode_curp(value).sex == stem[10]


@given(stems, st.integers(0, 16), st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
def test_a_typo_either_fails_or_still_decodes(stem: str, at: int, char: str) -> None:
    value = with_check_digit(stem)
    typo = value[:at] + char + value[at + 1 :]
    if is_valid_curp(typo):
        assert decode_curp(typo).initials == typo[:4]
    else:
        with pytest.raises(CurpError):
            validate_curp(typo)
