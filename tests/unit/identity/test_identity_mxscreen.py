"""The MX-SCREEN generator (bench/mxscreen): RENAPO-derived CURPs, seeds, a smoke run."""

from __future__ import annotations

import datetime as dt
import importlib
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

from registry.identity import decode_curp, validate_curp

ROOT = Path(__file__).resolve().parents[3]


def _bench(module: str) -> ModuleType:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(f"bench.mxscreen.{module}")


@pytest.fixture(scope="module")
def small_split() -> object:
    dataset, config = _bench("dataset"), _bench("config")
    return dataset.build_split("test", 7, 1500, 200, 400, config.PRESETS["expected"])


@pytest.mark.parametrize(
    ("given", "paternal", "maternal", "stem"),
    [
        ("María Guadalupe", "Hernández", "López", "HELG850314MDF"),  # María skipped
        ("José", "Núñez", None, "NUXJ850314MDF"),  # no maternal -> X
        ("Juan", "de la Cruz", "Muñoz", "CUMJ850314MDF"),  # particles ignored
        ("Ana", "Ñuñez", "Oca", "XUOA850314MDF"),  # Ñ -> X
        ("Octavio", "Puentes", "Torres", "PXTO850314MDF"),  # offensive word gets an X
    ],
)
def test_curp_derivation_follows_renapo(
    given: str, paternal: str, maternal: str | None, stem: str
) -> None:
    curp_gen = _bench("curp_gen")
    value = curp_gen.derive_curp(
        given, paternal, maternal, dt.date(1985, 3, 14), "M", "DF", random.Random(1)
    )
    assert value.startswith(stem)
    assert validate_curp(value) == value
    assert value[16].isdigit()


def test_homoclave_is_a_letter_from_2000() -> None:
    curp_gen = _bench("curp_gen")
    value = curp_gen.derive_curp(
        "Ana", "Ruiz", "Paz", dt.date(2003, 1, 2), "M", "JC", random.Random(1)
    )
    assert value[16].isalpha() and decode_curp(value).birth_date == dt.date(2003, 1, 2)


def test_registry_curps_are_valid_and_encode_the_person(small_split: object) -> None:
    persons = small_split.persons  # type: ignore[attr-defined]
    with_curp = [p for p in persons if p.curp]
    assert len(with_curp) > 0.8 * len(persons)
    for p in with_curp:
        info = decode_curp(p.curp)
        assert (info.birth_date, info.sex) == (p.birth_date, p.sex)


def test_hard_negatives_have_the_configured_shares(small_split: object) -> None:
    config = _bench("config")
    persons = small_split.persons  # type: ignore[attr-defined]
    for kind, share in config.HARD_NEGATIVES.items():
        assert sum(p.kind == kind for p in persons) == round(share * len(persons))


def test_same_seed_same_data_other_split_other_data() -> None:
    dataset, config = _bench("dataset"), _bench("config")
    preset = config.PRESETS["expected"]
    a = dataset.build_split("test", 3, 300, 30, 30, preset)
    b = dataset.build_split("test", 3, 300, 30, 30, preset)
    c = dataset.build_split("dev", 3, 300, 30, 30, preset)
    assert [q.identity for q in a.queries] == [q.identity for q in b.queries]
    assert [q.identity for q in a.queries] != [q.identity for q in c.queries]


def test_smoke_benchmark_meets_its_invariants(small_split: object) -> None:
    harness, metrics = _bench("harness"), _bench("metrics")
    index = harness.build_index(small_split)
    outcomes = harness.run(small_split, index)
    probable = {r.level: r for r in metrics.level_rows(outcomes)}["probable"]
    assert probable.recall_at_or_above > 0.93
    assert probable.precision_at_or_above > 0.95
    assert metrics.implausible_dob_probable(outcomes, small_split)[1] == 0
