"""Chunks checked apart, by helper processes or in turn, report what one pass over the log does.

Tampering is placed on chunk boundaries (chunks of 5 events here): the first and last event of
a chunk, a gap across a boundary, a whole chunk gone, a broken link into a chunk, a swap.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Connection, text

from registry.audit.log import event_count
from registry.audit.parallel import verify_parallel
from registry.audit.scan import scan
from registry.audit.verify import TrustAnchors, VerificationReport, verify_history
from registry.config import Settings
from registry.context import RegistryContext
from registry.db import make_engine
from registry.policy import Actor
from tests.audit.test_tamper import _change, _delete, _drop_triggers, _swap
from tests.factories import build_world, register

ANCHORS = TrustAnchors("o", "k")


def _delete_range(conn: Connection, first: int, last: int) -> None:
    conn.execute(text("DELETE FROM audit_events WHERE seq BETWEEN :a AND :b"),
                 {"a": first, "b": last})


def _relink(conn: Connection, seq: int) -> None:
    conn.execute(text("UPDATE audit_events SET prev_hash = hash WHERE seq = :s"), {"s": seq})


SCENARIOS: dict[str, Callable[[Connection], None]] = {
    "intact": lambda conn: None,
    "boundaries": lambda conn: (
        _change(conn, 6),            # first event of a chunk
        _change(conn, 15),           # last event of a chunk
        _delete_range(conn, 19, 22),  # a gap across a boundary
        _relink(conn, 26),           # a broken link into a chunk
        _delete_range(conn, 31, 35),  # a whole chunk gone
    ),
    "swapped": lambda conn: (_swap(conn, 10), _delete(conn, 36)),
}


def _problems(report: VerificationReport) -> list[tuple[str, int, str]]:
    return [(p.kind, p.position, p.message) for p in report.problems]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_chunks_report_what_one_pass_reports(scenario: str, instance: Settings) -> None:
    registry = RegistryContext.open(instance)
    try:
        world = build_world(registry, Actor.system_operator("tests"))
        for n in range(42):
            register(registry, world.mx_officer, n)
    finally:
        registry.close()
    engine = make_engine(instance.database_url)
    try:
        with engine.begin() as conn:
            _drop_triggers(conn)
            SCENARIOS[scenario](conn)
        with engine.connect() as conn:
            size = event_count(conn)
            one_pass = verify_history(scan(conn), [], ANCHORS)
    finally:
        engine.dispose()
    assert one_pass.ok == (scenario == "intact")
    assert one_pass.tree is not None
    for workers in (1, 2, 3):
        chunked = verify_parallel(instance.database_url, size, [], ANCHORS, workers, chunk=5)
        assert _problems(chunked) == _problems(one_pass), workers
        assert chunked.events == one_pass.events
        assert chunked.tree is not None
        assert chunked.tree.root() == one_pass.tree.root()
