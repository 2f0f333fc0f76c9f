"""Random re-vetting: committed roster, two-country seed, deterministic weighted selection."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import insert

from registry.errors import Conflict, PermissionDenied, ValidationFailed
from registry.models import RevetRosterEntry
from registry.services import revetting
from registry.services.officials import add_employment
from tests.lifecycle.conftest import Lifecycle


def _ids(n: int) -> list[uuid.UUID]:
    return [
        uuid.UUID(bytes=hashlib.sha256(f"official-{i}".encode()).digest()[:16]) for i in range(n)
    ]


def test_same_inputs_always_select_the_same_officials() -> None:
    roster = [(o, 3 if i % 5 == 0 else 1) for i, o in enumerate(_ids(500))]
    seed = hashlib.sha256(b"fixed").hexdigest()
    first = revetting.select_officials(seed, roster, 25)
    assert revetting.select_officials(seed, list(reversed(roster)), 25) == first
    assert len(set(first)) == 25
    assert revetting.select_officials(hashlib.sha256(b"other").hexdigest(), roster, 25) != first


def test_selection_frequencies_match_rate_and_weights() -> None:
    """Over 400 fixed seeds, each weight class is drawn at k·w/W (absolute tolerance 0.012)."""
    ids = _ids(1000)
    weights = {
        o: (6 if i < 50 else 3 if i < 250 else 2 if i < 350 else 1) for i, o in enumerate(ids)
    }
    roster = list(weights.items())
    k = revetting.sample_size(Decimal("0.05"), len(roster))
    assert k == 50
    total = sum(weights.values())
    drawn: Counter[int] = Counter()
    seeds = [hashlib.sha256(f"seed-{s}".encode()).hexdigest() for s in range(400)]
    for seed in seeds:
        chosen = revetting.select_officials(seed, roster, k)
        assert len(chosen) == k  # the configured rate, exactly
        drawn.update(weights[o] for o in chosen)
    sizes = Counter(weights.values())
    for weight, size in sizes.items():
        observed = drawn[weight] / (size * len(seeds))
        expected = k * weight / total
        assert abs(observed - expected) < 0.012, (weight, observed, expected)


def test_weights_beyond_certainty_are_capped() -> None:
    roster = [(o, 1000 if i == 0 else 1) for i, o in enumerate(_ids(20))]
    seed = hashlib.sha256(b"cap").hexdigest()
    chosen = revetting.select_officials(seed, roster, 5)
    assert roster[0][0] in chosen and len(set(chosen)) == 5


def _secret() -> tuple[str, str]:
    value = secrets.token_hex(32)
    return value, revetting.commitment_of(value)


def _complete(lc: Lifecycle, draw: uuid.UUID) -> None:
    mx_secret, mx_commit = _secret()
    us_secret, us_commit = _secret()
    assert revetting.commit_secret(lc.ctx.uow(), lc.mx, draw, mx_commit) == "committing"
    with pytest.raises(Conflict, match="both countries must commit"):
        revetting.reveal_secret(lc.ctx.uow(), lc.mx, draw, mx_secret)
    assert revetting.commit_secret(lc.ctx.uow(), lc.us, draw, us_commit) == "revealing"
    assert revetting.reveal_secret(lc.ctx.uow(), lc.mx, draw, mx_secret) == "revealing"
    with pytest.raises(ValidationFailed, match="does not match"):
        revetting.reveal_secret(lc.ctx.uow(), lc.us, draw, mx_secret)
    assert revetting.reveal_secret(lc.ctx.uow(), lc.us, draw, us_secret) == "drawn"


def _mx_roster(lc: Lifecycle, n: int) -> list[uuid.UUID]:
    people = [lc.vetted(n=i) for i in range(n)]
    add_employment(
        lc.ctx.uow(),
        lc.mx,
        people[0],
        agency_code="MX-GN",
        position="Comisario",
        rank="comisario general",
        seniority=9,
        started_on="2010-01-01",
    )
    return people


def test_draw_is_verifiable_and_detects_a_roster_changed_after_commitment(lc: Lifecycle) -> None:
    people = _mx_roster(lc, 6)
    draw = revetting.open_draw(lc.ctx.uow(), lc.mx, period="2026-12", rate="0.34")
    opened = revetting.get_draw(lc.ctx.uow(), lc.mx, draw)
    assert opened.roster_size == 6 and opened.sample_size == 2
    _complete(lc, draw)
    view = revetting.get_draw(lc.ctx.uow(), lc.mx, draw)
    assert len(view.selected) == 2 and set(view.selected) <= set(people)
    auditor = lc.world.actor("US", "auditor")
    report = revetting.verify_draw(lc.ctx.uow(), auditor, draw)
    assert report.ok, report.problems
    assert report.selected == sorted(view.selected, key=str)
    # Someone slips an official into the committed roster afterwards (inserts are not blocked).
    with lc.ctx.uow() as uow:
        uow.session.execute(
            insert(RevetRosterEntry).values(draw_id=draw, official_id=uuid.uuid4(), weight=50)
        )
        uow.session.commit()
    report = revetting.verify_draw(lc.ctx.uow(), auditor, draw)
    assert not report.ok
    assert any("roster changed after it was committed" in p for p in report.problems)


def test_senior_official_carries_a_higher_weight(lc: Lifecycle) -> None:
    people = _mx_roster(lc, 3)
    draw = revetting.open_draw(lc.ctx.uow(), lc.mx, period="2027-01", rate="0.5")
    with lc.ctx.uow() as uow:
        weights = dict(revetting.load_roster(uow, draw))
    assert weights[people[0]] == 2 and weights[people[1]] == 1


def test_second_draw_for_the_same_period_and_scope_is_refused(lc: Lifecycle) -> None:
    _mx_roster(lc, 2)
    revetting.open_draw(lc.ctx.uow(), lc.mx, period="2026-12", rate="0.05")
    with pytest.raises(Conflict, match="cannot be repeated"):
        revetting.open_draw(lc.ctx.uow(), lc.mx, period="2026-12", rate="0.5")
    with pytest.raises(Conflict, match="cannot be repeated"):
        revetting.open_draw(
            lc.ctx.uow(),
            lc.world.actor("MX", "vetting_officer"),
            period="2026-12",
            rate="0.05",
            scope="country:mx",
        )


def test_draw_input_is_checked_and_scoped(lc: Lifecycle) -> None:
    with pytest.raises(ValidationFailed) as caught:
        revetting.open_draw(lc.ctx.uow(), lc.mx, period="12-2026", rate="5%", scope="country:US")
    fields = {p.field for p in caught.value.problems}
    assert fields == {"period", "rate", "scope"}
    with pytest.raises(PermissionDenied):
        revetting.open_draw(
            lc.ctx.uow(), lc.world.actor("MX", "screener"), period="2026-12", rate="0.1"
        )


def test_one_commitment_per_country_and_only_the_committer_reveals(lc: Lifecycle) -> None:
    _mx_roster(lc, 2)
    draw = revetting.open_draw(lc.ctx.uow(), lc.mx, period="2026-11", rate="0.5")
    _secret_value, commitment = _secret()
    revetting.commit_secret(lc.ctx.uow(), lc.mx, draw, commitment)
    with pytest.raises(Conflict, match="already committed"):
        revetting.commit_secret(lc.ctx.uow(), lc.mx, draw, commitment)
    with pytest.raises(ValidationFailed, match="64 hexadecimal"):
        revetting.commit_secret(lc.ctx.uow(), lc.us, draw, "abc")
