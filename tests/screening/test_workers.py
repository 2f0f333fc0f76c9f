"""A large batch shared with worker processes screens exactly as one process would."""

from __future__ import annotations

import gc
import os
import signal
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import func, select, update

from registry.config import Settings
from registry.context import RegistryContext
from registry.errors import DecryptionFailed
from registry.models import AuditEvent, Official, Screening
from registry.policy import Actor
from registry.services.screening import (
    PARALLEL_MIN_ROWS,
    RowError,
    ScreeningInput,
    ScreeningResult,
    screen_batch,
)
from registry.workers import WorkerPool, collector_paused
from tests.factories import World, build_world
from tests.screening.conftest import MX_PERSON, US_PERSON, Listed, as_query, list_person


@pytest.fixture
def registry(instance: Settings) -> Iterator[RegistryContext]:
    """A committed instance (the workers read what this process committed) with one worker."""
    opened = RegistryContext.open(replace(instance, screening_workers=1))
    yield opened
    opened.close()


@pytest.fixture
def pool(registry: RegistryContext) -> WorkerPool:
    assert registry.workers is not None
    return registry.workers


@pytest.fixture
def people(registry: RegistryContext, operator: Actor) -> World:
    return build_world(registry, operator)


@pytest.fixture
def entries(registry: RegistryContext, people: World) -> Listed:
    return Listed(list_person(registry, people.mx_officer, MX_PERSON, "GN-2025-017"),
                  list_person(registry, people.us_officer, US_PERSON, "DEA-OPR-88", "H0"))


def roster() -> list[ScreeningInput]:
    """Listed people (exactly and with typical damage), strangers and a bad row, in turn."""
    kinds = [
        as_query(MX_PERSON),
        as_query(MX_PERSON, given_names="Jose", maternal_surname=None, curp=None),
        as_query(US_PERSON, given_names="Robert"),
        ScreeningInput("Ana Sofía", "Beltrán", "Ochoa", "1991-01-20", "M"),
        ScreeningInput("", "Ruiz"),
    ]
    return [kinds[n % len(kinds)] for n in range(2 * PARALLEL_MIN_ROWS)]


def outcome(results: list[ScreeningResult | RowError]) -> list[object]:
    return [
        (r.row, [p.field for p in r.problems]) if isinstance(r, RowError)
        else (r.row, r.outcome, r.candidates,
              [(h.entry_id, h.level, h.score, h.detail_available) for h in r.hits])
        for r in results
    ]


def test_a_shared_batch_screens_and_records_like_one_process(
    registry: RegistryContext, people: World, entries: Listed, pool: WorkerPool
) -> None:
    screener = people.actor("US", "screener")
    shared = screen_batch(registry.uow(), screener, "HIRING", roster())
    assert len(pool._started) == 1 and pool._started[0].process.poll() is None
    registry.workers = None
    try:
        alone = screen_batch(registry.uow(), screener, "HIRING", roster())
    finally:
        registry.workers = pool
    assert outcome(shared.results) == outcome(alone.results)
    hits = [r for r in shared.results if isinstance(r, ScreeningResult) and r.is_hit]
    rounds = 2 * PARALLEL_MIN_ROWS // 5
    assert len(hits) == 3 * rounds and {h.hits[0].entry_id for h in hits} == {
        entries.mx_entry, entries.us_entry}
    with registry.session_factory() as session:  # every row recorded and audited by this process
        assert session.scalar(select(func.count()).where(
            Screening.batch_id == shared.batch_id)) == 4 * rounds
        assert session.scalar(select(func.count()).where(
            AuditEvent.action == "screening.run")) == 2 * 4 * rounds


def test_a_worker_that_dies_leaves_its_share_to_the_asking_process(
    registry: RegistryContext, people: World, entries: Listed, pool: WorkerPool
) -> None:
    screener = people.actor("MX", "screener")
    first = screen_batch(registry.uow(), screener, "PROMOTION", roster())
    [worker] = pool._started
    os.kill(worker.process.pid, signal.SIGKILL)
    worker.process.wait()
    second = screen_batch(registry.uow(), screener, "PROMOTION", roster())
    assert outcome(second.results) == outcome(first.results)
    assert worker not in pool._started  # dropped; the next batch starts a new one
    screen_batch(registry.uow(), screener, "PROMOTION", roster())
    assert len(pool._started) == 1 and pool._started[0].process.poll() is None


def test_an_error_in_a_worker_fails_the_batch_as_it_would_here(
    registry: RegistryContext, people: World, entries: Listed, pool: WorkerPool
) -> None:
    """A record that no longer decrypts fails the batch, with nothing recorded, whichever
    process met it; the pool then serves the next batch correctly."""
    screener = people.actor("MX", "screener")
    before = screen_batch(registry.uow(), screener, "HIRING", roster())

    def bump(step: int) -> None:  # the ciphertexts are bound to the record version
        with registry.session_factory.begin() as session:
            session.execute(update(Official).values(version=Official.version + step))

    bump(1)
    with pytest.raises(DecryptionFailed, match="does not authenticate"):
        screen_batch(registry.uow(), screener, "HIRING", roster())
    with registry.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Screening)) == 4 * 40
    bump(-1)
    after = screen_batch(registry.uow(), screener, "HIRING", roster())
    assert outcome(after.results) == outcome(before.results)


def test_matching_pauses_the_garbage_collector_only_while_it_runs(
    registry: RegistryContext, people: World, entries: Listed
) -> None:
    assert gc.isenabled()
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer section is still running
    assert gc.isenabled()
    screen_batch(registry.uow(), people.actor("MX", "screener"), "HIRING", roster())
    assert gc.isenabled()
    gc.disable()  # a process that chose to run without it keeps its choice
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
