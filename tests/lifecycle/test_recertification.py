"""Due dates and reminders: policy changes, leap days, late evaluations, overdue lists."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import select

from registry.errors import PermissionDenied, ValidationFailed
from registry.models import AuditEvent, RecertSchedule
from registry.policy import Actor
from registry.services import notifications, recertification
from registry.services.recertification import add_months, reminder_stage
from tests.factories import listed
from tests.lifecycle.conftest import Lifecycle


def _due(lc: Lifecycle, official_id: uuid.UUID) -> dt.date | None:
    with lc.ctx.uow() as uow:
        row = uow.session.get(RecertSchedule, official_id)
        return row.due_on if row else None


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 2, 29), 48) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)


def test_default_due_dates_and_leap_day(lc: Lifecycle) -> None:
    official = lc.official()
    lc.evaluate(official, "2024-02-29")
    assert _due(lc, official) == dt.date(
        2027, 2, 28
    )  # 36 months, 29 Feb clamped (SQL, both backends)
    member = lc.vetted(n=1, on=dt.date(2026, 2, 1))
    lc.task_force("JTF-A", member)
    assert _due(lc, member) == dt.date(2027, 2, 1)  # joint task-force members: 12 months


def test_policy_change_recomputes_due_dates_and_is_audited(lc: Lifecycle, operator) -> None:
    police = lc.official()  # MX-GN: police
    lc.evaluate(police, "2024-02-29")
    changed = recertification.set_policy(
        lc.ctx.uow(), operator, country="MX", sector="police", task_force=False, months=24
    )
    assert changed >= 1
    assert _due(lc, police) == dt.date(2026, 2, 28)
    rules = recertification.list_policy(lc.ctx.uow(), operator)
    assert any(r.country == "MX" and r.sector == "police" and r.months == 24 for r in rules)
    # Removing the rule restores the default.
    recertification.set_policy(
        lc.ctx.uow(), operator, country="MX", sector="police", task_force=False, months=None
    )
    assert _due(lc, police) == dt.date(2027, 2, 28)
    with lc.ctx.uow() as uow:
        from sqlalchemy import select

        from registry.models import AuditEvent

        actions = list(
            uow.session.scalars(
                select(AuditEvent.action).where(AuditEvent.action == "recert.policy_set")
            )
        )
    assert len(actions) == 2


def test_policy_is_admin_only_and_checked(lc: Lifecycle, operator) -> None:
    with pytest.raises(PermissionDenied):
        recertification.set_policy(
            lc.ctx.uow(), lc.mx, country=None, sector=None, task_force=False, months=12
        )
    with pytest.raises(ValidationFailed) as caught:
        recertification.set_policy(
            lc.ctx.uow(), operator, country="CA", sector="navy", task_force=False, months=0
        )
    assert {p.field for p in caught.value.problems} == {"country", "sector", "months"}


def test_evaluation_recorded_late_counts_from_its_own_date(lc: Lifecycle) -> None:
    lc.clock.set_date(dt.date(2026, 6, 1))
    official = lc.official()
    lc.evaluate(official, "2025-06-10")
    assert _due(lc, official) == dt.date(2028, 6, 10)
    # An older pass entered late does not move the due date back...
    lc.evaluate(official, "2024-01-15")
    assert _due(lc, official) == dt.date(2028, 6, 10)
    # ...but a failure dated after the pass, even recorded late, ends its validity.
    lc.evaluate(official, "2026-01-20", outcome="fail")
    with lc.ctx.uow() as uow:
        row = uow.session.get(RecertSchedule, official)
        assert row.standing == "fail" and row.due_on is None


def test_explicit_valid_until_caps_the_policy(lc: Lifecycle) -> None:
    official = lc.official()
    lc.evaluate(official, "2026-01-10", valid_until="2026-07-10")
    assert _due(lc, official) == dt.date(2026, 7, 10)


def test_due_and_overdue_lists(lc: Lifecycle, operator: Actor) -> None:
    lc.clock.set_date(dt.date(2026, 6, 1))
    overdue = lc.official(n=0)
    lc.evaluate(overdue, "2023-05-01")  # due 2026-05-01
    soon = lc.official(n=1)
    lc.evaluate(soon, "2023-06-20")  # due 2026-06-20
    later = lc.official(n=2)
    lc.evaluate(later, "2025-01-01")
    unvetted = lc.official(n=0, given_names="Rosa")
    gone = lc.official(n=1, given_names="Pedro")
    lc.evaluate(gone, "2023-02-01")
    listed(lc.ctx, lc.mx, gone)
    recertification.rebuild(lc.ctx.uow(), operator)
    items, total = recertification.due_list(lc.ctx.uow(), lc.mx, within="30d")
    states = {i.official_id: i.state for i in items}
    assert states == {overdue: "overdue", soon: "due", unvetted: "unvetted"}
    assert total == 3
    assert items[0].official_id == unvetted  # never vetted first, then by due date
    assert [i.days_left for i in items[1:]] == [-31, 19]
    items, _ = recertification.due_list(lc.ctx.uow(), lc.mx, within="0d", include_unvetted=False)
    assert [i.official_id for i in items] == [overdue]
    # The other country's officer does not see Mexican officials outside joint task forces.
    assert recertification.due_list(lc.ctx.uow(), lc.us, within="30d")[1] == 0
    with pytest.raises(ValidationFailed) as caught:
        recertification.due_list(lc.ctx.uow(), lc.mx, within="soon", agency="XX-NONE")
    assert {p.field for p in caught.value.problems} == {"within", "agency"}


def test_due_export_is_the_whole_list_audited_alike(lc: Lifecycle, operator: Actor) -> None:
    lc.clock.set_date(dt.date(2026, 6, 1))
    lc.evaluate(lc.official(n=0), "2023-05-01")  # overdue
    lc.evaluate(lc.official(n=1), "2023-06-20")  # due within 30 days
    lc.evaluate(lc.official(n=2), "2025-01-01")  # not yet due
    lc.official(n=0, given_names="Rosa")  # never vetted
    recertification.rebuild(lc.ctx.uow(), operator)
    items, total = recertification.due_list(lc.ctx.uow(), lc.mx, within="30d")
    assert total == 3
    assert list(recertification.iter_due(lc.ctx.uow(), lc.mx, within="30d")) == items
    with lc.ctx.uow() as uow:
        details = uow.session.scalars(
            select(AuditEvent.details)
            .where(AuditEvent.action == "recert.due")
            .order_by(AuditEvent.seq)
        ).all()
    assert [json.loads(d)["total"] for d in details] == [3, 3]
    with pytest.raises(ValidationFailed):
        list(recertification.iter_due(lc.ctx.uow(), lc.mx, within="soon"))


def test_reminder_stages() -> None:
    due = dt.date(2026, 6, 30)
    assert reminder_stage(due, dt.date(2026, 3, 1)) is None
    assert reminder_stage(due, dt.date(2026, 4, 1)) == "90"
    assert reminder_stage(due, dt.date(2026, 5, 31)) == "30"
    assert reminder_stage(due, dt.date(2026, 6, 23)) == "7"
    assert reminder_stage(due, dt.date(2026, 6, 30)) == "7"
    assert reminder_stage(due, dt.date(2026, 7, 1)) == "overdue"


def test_reminders_are_recorded_once_and_follow_policy_changes(lc: Lifecycle, operator) -> None:
    from sqlalchemy import select

    from registry.models import Notification

    lc.clock.set_date(dt.date(2026, 3, 2))
    official = lc.official()
    lc.evaluate(official, "2023-05-15")  # due 2026-05-15: 74 days left, the 90-day stage
    assert notifications.queue_reminders(lc.ctx.uow(), operator) == 1
    assert notifications.queue_reminders(lc.ctx.uow(), operator) == 0  # idempotent
    lc.clock.set_date(dt.date(2026, 4, 20))  # 25 days left
    assert notifications.queue_reminders(lc.ctx.uow(), operator) == 1
    # The policy moves the due date (24 months: 2025-05-15, overdue): a new reminder, once.
    recertification.set_policy(
        lc.ctx.uow(), operator, country=None, sector=None, task_force=False, months=24
    )
    assert notifications.queue_reminders(lc.ctx.uow(), operator) == 1
    assert notifications.queue_reminders(lc.ctx.uow(), operator) == 0
    # A late-recorded pass starts a new cycle with no reminder owed yet.
    lc.evaluate(official, "2026-04-01")
    assert notifications.queue_reminders(lc.ctx.uow(), operator) == 0
    with lc.ctx.uow() as uow:
        rows = uow.session.execute(
            select(Notification.due_on, Notification.stage).order_by(Notification.created_at)
        ).all()
    assert [tuple(r) for r in rows] == [
        (dt.date(2026, 5, 15), "90"),
        (dt.date(2026, 5, 15), "30"),
        (dt.date(2025, 5, 15), "overdue"),
    ]
