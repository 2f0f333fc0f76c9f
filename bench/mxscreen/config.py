"""All MX-SCREEN rates in one place, with the presets mild / expected / harsh.

`expected` holds the specification's rates (MX-SCREEN §1-§3). `mild` halves every
corruption rate; `harsh` doubles them (capped at 0.95), allows four corruptions per
record and triples the share of hard negatives among negative queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

# Corruptions that change looks but not content; they do not count toward the cap.
COSMETIC = frozenset({"accent_loss", "punct_noise"})


@dataclass(frozen=True)
class ProfileRates:
    """Per-record corruption probabilities of one source profile (MX-SCREEN §3)."""

    accent_loss: float
    accent_ni: float  # of records losing accents, ñ written "ni"/"ny" instead of "n"
    punct_noise: float
    maternal_dropped: float
    surnames_swapped: float
    surnames_one_field: float
    paternal_as_middle: float
    married_name: float  # women only
    second_given_dropped: float
    second_given_initial: float
    lead_dropped: float  # of María/José compound holders
    given_abbreviated: float
    nickname: float
    anglicised: float
    particle_handling: float  # of holders of particle names
    fields_swapped: float
    name_typo_per_token: float
    dob_swap: float  # only when day <= 12
    dob_digit: float
    dob_year: float
    dob_missing: float
    dob_placeholder: float
    sex_wrong: float
    curp_supplied: float  # not a corruption
    curp_typo: float  # of CURPs supplied
    curp_relative: float
    curp_outdated: float


MX_OFFICIAL = ProfileRates(
    accent_loss=0.50,
    accent_ni=0.0,
    punct_noise=0.10,
    maternal_dropped=0.03,
    surnames_swapped=0.01,
    surnames_one_field=0.01,
    paternal_as_middle=0.0,
    married_name=0.02,
    second_given_dropped=0.15,
    second_given_initial=0.05,
    lead_dropped=0.10,
    given_abbreviated=0.05,
    nickname=0.01,
    anglicised=0.0,
    particle_handling=0.30,
    fields_swapped=0.005,
    name_typo_per_token=0.02,
    dob_swap=0.02,
    dob_digit=0.01,
    dob_year=0.005,
    dob_missing=0.01,
    dob_placeholder=0.003,
    sex_wrong=0.005,
    curp_supplied=0.70,
    curp_typo=0.02,
    curp_relative=0.002,
    curp_outdated=0.005,
)
US_RECORD = ProfileRates(
    accent_loss=0.95,
    accent_ni=0.02,
    punct_noise=0.20,
    maternal_dropped=0.40,
    surnames_swapped=0.05,
    surnames_one_field=0.15,
    paternal_as_middle=0.10,
    married_name=0.10,
    second_given_dropped=0.20,
    second_given_initial=0.40,
    lead_dropped=0.20,
    given_abbreviated=0.02,
    nickname=0.03,
    anglicised=0.05,
    particle_handling=0.50,
    fields_swapped=0.02,
    name_typo_per_token=0.03,
    dob_swap=0.08,
    dob_digit=0.015,
    dob_year=0.01,
    dob_missing=0.03,
    dob_placeholder=0.005,
    sex_wrong=0.02,
    curp_supplied=0.0,
    curp_typo=0.0,
    curp_relative=0.0,
    curp_outdated=0.0,
)

# Hard negatives as shares of registry persons (MX-SCREEN §1).
HARD_NEGATIVES: dict[str, float] = {
    "namesake": 0.02,
    "namesake_near_dob": 0.005,
    "sibling": 0.03,
    "twin": 0.002,
    "father_son": 0.005,
    "same_given_paternal": 0.005,
}


@dataclass(frozen=True)
class Population:
    """Population shares (MX-SCREEN §1)."""

    us_share: float = 0.10
    single_surname: float = 0.02
    particle_surname: float = 0.025
    maya_in_region: float = 0.35
    maya_elsewhere: float = 0.006
    maria_jose_compound_women: float = 0.25
    maria_jose_compound_men: float = 0.15
    other_compound: float = 0.25
    third_name: float = 0.01
    first_year: int = 1950
    last_year: int = 2005
    january_first: float = 0.003
    sex_x: float = 0.0005
    born_abroad: float = 0.02
    us_middle_name: float = 0.70
    us_hispanic: float = 0.50
    us_hyphenated: float = 0.10


@dataclass(frozen=True)
class Preset:
    """Everything a benchmark run draws from."""

    name: str
    mx: ProfileRates = MX_OFFICIAL
    us: ProfileRates = US_RECORD
    population: Population = field(default_factory=Population)
    hard_negatives: dict[str, float] = field(default_factory=lambda: dict(HARD_NEGATIVES))
    us_profile_share: float = 0.30
    clean_share: float = 0.10
    max_corruptions: int = 3
    max_typos: int = 2
    curp_typo_passing_share: float = 0.20
    registry_accent_loss: float = 0.02
    registry_typo: float = 0.005
    # Share of negative queries that are hard-negative relatives of registry members;
    # by default the registry's own share, as Q_neg is "drawn from the same distributions".
    neg_hard_share: float = sum(HARD_NEGATIVES.values())


_NOT_SCALED = frozenset({"curp_supplied", "accent_ni"})


def scaled(rates: ProfileRates, factor: float) -> ProfileRates:
    """Every corruption rate multiplied by `factor` (capped at 0.95)."""
    changes = {
        f.name: min(0.95, getattr(rates, f.name) * factor)
        for f in fields(rates)
        if f.name not in _NOT_SCALED
    }
    return replace(rates, **changes)


PRESETS: dict[str, Preset] = {
    "mild": Preset("mild", mx=scaled(MX_OFFICIAL, 0.5), us=scaled(US_RECORD, 0.5), clean_share=0.2),
    "expected": Preset("expected"),
    "harsh": Preset(
        "harsh",
        mx=scaled(MX_OFFICIAL, 2.0),
        us=scaled(US_RECORD, 2.0),
        clean_share=0.05,
        max_corruptions=4,
        neg_hard_share=3 * sum(HARD_NEGATIVES.values()),
    ),
}
