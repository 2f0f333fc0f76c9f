"""The fast reader renders stored rows to exactly the RFC 8785 bytes the writer hashed."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.audit.events import canonical_document, canonical_json, format_time
from registry.audit.log import canonical_from_row, encode_canonical
from registry.audit.scan import _Renderer
from registry.audit.verify import TrustAnchors
from registry.context import RegistryContext
from registry.models.audit import AuditEvent
from registry.models.enums import AuditOutcome
from registry.policy import Actor
from registry.services import audit
from tests.factories import World

PROPS = settings(max_examples=300, deadline=None, database=None)
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
safe_ints = st.integers(-(2**53) + 1, 2**53 - 1)
scalars = st.none() | st.booleans() | safe_ints | texts
details = st.dictionaries(
    st.text(st.characters(max_codepoint=127), max_size=8),
    scalars | st.lists(texts, max_size=3) | st.lists(safe_ints, max_size=3), max_size=5)
moments = st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC))


def _event(seq: int, moment: dt.datetime, action: str, optional: str | None,
           values: dict[str, object]) -> AuditEvent:
    return AuditEvent(seq=seq, id=uuid.uuid4(), occurred_at=moment, actor_user_id=uuid.uuid4(),
                      actor_agency=optional, actor_country="MX", action=action,
                      object_type=optional, object_id=optional, outcome="success",
                      purpose=optional, details=canonical_json(values))


Case = tuple[AuditEvent, dt.datetime, dict[str, object]]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """An event (with its time and plain details) of any sequence number, texts and details."""
    moment, optional, values = draw(moments), draw(st.none() | texts), draw(details)
    event = _event(draw(st.integers(1, 2**53 - 1)), moment, draw(texts), optional, values)
    return event, moment, values


@PROPS
@given(cases())
def test_row_encoder_matches_rfc8785_for_both_backends(case: Case) -> None:
    event, moment, _ = case
    reference = bytes(rfc8785.dumps(canonical_document(event)))
    sqlite_row, _ = _rows(event, moment)
    postgres_row = (event.seq, event.id, moment, event.actor_user_id, *sqlite_row[4:])
    assert canonical_from_row(sqlite_row) == reference
    assert canonical_from_row(postgres_row) == reference


@PROPS
@given(details)
def test_encoder_and_details_text_match_rfc8785(values: dict[str, object]) -> None:
    assert encode_canonical(values) == bytes(rfc8785.dumps(values))
    assert canonical_json(values).encode() == bytes(rfc8785.dumps(values))
    # Details stored by an earlier writer (spaced JSON) are re-encoded, not embedded as is.
    spaced = json.dumps(values, sort_keys=True)
    event = _event(1, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "a.b", None, values)
    event.details = spaced
    row = (1, event.id.hex, "2026-01-01 00:00:00.000000", event.actor_user_id.hex, None, "MX",
           "a.b", None, None, "success", None, spaced, b"", b"")
    assert canonical_from_row(row) == bytes(rfc8785.dumps(canonical_document(event)))


def test_awkward_values_survive_the_database_and_verify(
    ctx: RegistryContext, world: World, operator: Actor
) -> None:
    odd = {"note": 'quote " backslash \\ tab \t nul \x00 ñ \u2028 🙂', "n": -(2**53) + 1,
           "list": ["", "é"], "flag": False, "none": None}
    with ctx.uow() as uow:
        uow.audit.append(operator, "test.odd", object_type="t\u00e9st", object_id="ü/1",
                         outcome=AuditOutcome.FAILED, purpose="HIRING", details=odd)
        uow.commit()
    from registry.audit.checkpoint import signing_vkey
    from registry.crypto.signing import Ed25519Key

    anchors = TrustAnchors("o", signing_vkey(Ed25519Key.generate_in_memory("o")))
    report = audit.verify_log(ctx.uow(), world.actor("MX", "auditor"), anchors)
    assert report.ok, report.problems


def _rows(event: AuditEvent, moment: dt.datetime) -> tuple[tuple[object, ...], tuple[object, ...]]:
    """The event as the fast scan fetches it from SQLite and from PostgreSQL."""
    assert event.actor_user_id is not None
    tail = (event.actor_agency, event.actor_country, event.action, event.object_type,
            event.object_id, event.outcome, event.purpose, event.details, b"", b"")
    sqlite = (event.seq, event.id.hex, moment.strftime("%Y-%m-%d %H:%M:%S.%f"),
              event.actor_user_id.hex, *tail)
    postgres = (event.seq, str(event.id), format_time(moment), str(event.actor_user_id), *tail)
    return sqlite, postgres


@PROPS
@given(cases())
def test_fast_scan_renders_rfc8785_for_both_backends(case: Case) -> None:
    event, moment, values = case
    reference = bytes(rfc8785.dumps(canonical_document(event)))
    sqlite_row, postgres_row = _rows(event, moment)
    assert _Renderer().sqlite([sqlite_row, sqlite_row]) == [reference, reference]
    assert _Renderer().postgresql([postgres_row]) == [reference]
    # Rows in an earlier writer's spacing are re-encoded to the same bytes.
    spaced = json.dumps(values, sort_keys=True)
    assert _Renderer().sqlite([(*sqlite_row[:11], spaced, b"", b"")]) == [reference]


def test_odd_stored_text_never_renders_as_the_event_it_replaced() -> None:
    moment = dt.datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
    event = _event(7, moment, "official.read", "x", {"n": 1, "id": "a"})
    reference = bytes(rfc8785.dumps(canonical_document(event)))
    row = list(_rows(event, moment)[0])
    eid, time_text, user = str(row[1]), str(row[2]), str(row[3])
    odd = {
        "id with a quote": {1: eid[:31] + '"'},
        "time with a quote": {2: time_text[:25] + '"'},
        "id shifted into the time": {1: eid[:31], 2: eid[31] + time_text},
        "time with another separator": {2: time_text.replace(" ", "x")},
        "time not a time": {2: "yesterday"},
        "user of another shape": {3: user[:16]},
        "user empty, not null": {3: ""},
        "details not JSON": {11: '{"n": 1'},
        "details cut short": {11: '{"id":"a"'},
        # SQLite keeps a value of any type in any column.
        "id as bytes": {1: eid.encode()},
        "user as a number": {3: 12345},
        "details as a number": {11: 7},
    }
    assert _Renderer().sqlite([tuple(row)]) == [reference]
    for name, changes in odd.items():
        changed = [changes.get(i, value) for i, value in enumerate(row)]
        rendered = _Renderer().sqlite([tuple(changed)])[0]
        assert rendered != reference, name
        assert canonical_from_row(tuple(changed)) != reference, name
