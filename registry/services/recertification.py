"""Recertification: validity policy, each official's next due date, due and overdue lists.

A pass is valid for the months the most specific matching rule gives (membership of a joint
task force first, then country, then sector); defaults: 36 months, 12 for joint task-force
and vetted-unit members. The schedule (`recert_schedule`) is derived, set-based, from
evaluations, employments, rosters, entries and the policy, and rebuilt whenever one changes.
A pass is valid through its due date; the day after, the official is overdue.
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, or_, select, text
from sqlalchemy.orm import Session

from registry.models import Agency, RecertPolicy, RecertSchedule
from registry.models.enums import Country, Sector
from registry.models.lifecycle import ANY
from registry.policy import NO_TARGET, Actor, Permission, can
from registry.services.common import agency_by_code
from registry.services.validation import Problems
from registry.uow import UnitOfWork

DEFAULT_MONTHS = 36
TASK_FORCE_MONTHS = 12
MAX_MONTHS = 120
REMINDER_DAYS = (90, 30, 7)


def add_months(start: dt.date, months: int) -> dt.date:
    """Same day `months` later, clamped to the month's end (29 Feb + 12 months = 28 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class PolicyRule:
    country: str
    sector: str
    task_force: bool
    months: int
    built_in: bool = False


class Policy:
    """The rules in force; `months_for` resolves the most specific one."""

    def __init__(self, rules: Iterable[PolicyRule]) -> None:
        self.rules = {(r.country, r.sector, r.task_force): r for r in rules}
        for task_force, months in ((False, DEFAULT_MONTHS), (True, TASK_FORCE_MONTHS)):
            self.rules.setdefault(
                (ANY, ANY, task_force), PolicyRule(ANY, ANY, task_force, months, built_in=True)
            )

    def rule_for(self, country: str, sector: str, task_force: bool) -> PolicyRule:
        memberships = (True, False) if task_force else (False,)
        for member in memberships:
            for c, s in ((country, sector), (country, ANY), (ANY, sector), (ANY, ANY)):
                rule = self.rules.get((c, s, member))
                if rule is not None:
                    return rule
        raise AssertionError("the built-in rules always match")

    def months_for(self, country: str, sector: str, task_force: bool) -> int:
        return self.rule_for(country, sector, task_force).months

    def sorted_rules(self) -> list[PolicyRule]:
        return sorted(
            self.rules.values(),
            key=lambda r: (r.task_force, r.country != ANY, r.sector != ANY, r.country, r.sector),
        )


def load_policy(session: Session) -> Policy:
    rows = session.scalars(select(RecertPolicy))
    return Policy(PolicyRule(r.country, r.sector, r.task_force, r.validity_months) for r in rows)


def list_policy(uow: UnitOfWork, actor: Actor) -> list[PolicyRule]:
    """The rules in force, built-in defaults included."""
    with uow:
        permission = (
            Permission.RECERT_POLICY_MANAGE
            if can(actor, Permission.RECERT_POLICY_MANAGE)
            else Permission.SCHEDULE_READ
        )
        uow.require(actor, permission, NO_TARGET, action="recert.policy_list")
        return load_policy(uow.session).sorted_rules()


def set_policy(
    uow: UnitOfWork,
    actor: Actor,
    *,
    country: str | None,
    sector: str | None,
    task_force: bool,
    months: int | None,
) -> int:
    """Set (or, with `months=None`, remove) a rule; every due date is recomputed at once.

    Returns the number of officials whose schedule was recomputed.
    """
    with uow:
        uow.require(actor, Permission.RECERT_POLICY_MANAGE, NO_TARGET, action="recert.policy_set")
        problems = Problems()
        clean_country = (
            ANY if country in (None, "", ANY) else problems.choice("country", country, Country)
        )
        clean_sector = (
            ANY if sector in (None, "", ANY) else problems.choice("sector", sector, Sector)
        )
        if months is not None and not 1 <= months <= MAX_MONTHS:
            problems.add("months", f"must be between 1 and {MAX_MONTHS}")
        problems.check()
        key = (str(clean_country), str(clean_sector), task_force)
        previous = load_policy(uow.session)
        row = uow.session.get(RecertPolicy, key)
        before = row.validity_months if row else None
        if months is None:
            if row is None:
                problems.add("months", "there is no such rule to remove")
                problems.check()
            uow.session.delete(row)
        elif row is None:
            uow.session.add(
                RecertPolicy(
                    country=key[0],
                    sector=key[1],
                    task_force=task_force,
                    validity_months=months,
                    updated_at=uow.clock(),
                    updated_by=actor.user_id,
                )
            )
        else:
            row.validity_months, row.updated_at, row.updated_by = months, uow.clock(), actor.user_id
        uow.session.flush()
        count = recompute_due_dates(uow.session, previous)
        uow.audit.append(
            actor,
            "recert.policy_set",
            object_type="recert_policy",
            object_id=f"{key[0]}/{key[1]}/{'taskforce' if task_force else 'all'}",
            details={"months_before": before, "months": months, "recomputed": count},
        )
        uow.commit()
        return count


# --- the schedule, set-based -------------------------------------------------------------


def _add_months_sql(dialect: str, date_sql: str, months_sql: str) -> str:
    if dialect == "postgresql":
        return f"CAST({date_sql} + make_interval(months => {months_sql}) AS DATE)"
    # SQLite rolls 31 Jan + 1 month over into March; clamp to the month's last day instead:
    # the earlier of (same day in the target month) and (last day of the target month).
    first = f"date({date_sql}, 'start of month', '+' || {months_sql} || ' months')"
    return (
        f"min(date({first}, '+' || (CAST(strftime('%d', {date_sql}) AS INTEGER) - 1) || ' days'), "
        f"date({first}, '+1 months', '-1 day'))"
    )


def _policy_case(policy: Policy) -> str:
    """The validity in months for (country, sector, member) as one CASE over every combination."""
    branches = []
    for country in Country:
        for sector in Sector:
            for member in (0, 1):
                months = policy.months_for(country.value, sector.value, bool(member))
                branches.append(
                    f"WHEN b.country = '{country.value}' AND b.sector = '{sector.value}' "
                    f"AND b.member = {member} THEN {months}"
                )
    return "CASE " + " ".join(branches) + f" ELSE {policy.months_for(ANY, ANY, False)} END"


_COLUMNS = (
    "official_id",
    "agency_id",
    "country",
    "sector",
    "task_force",
    "standing",
    "last_evaluation_id",
    "last_evaluated_on",
    "last_pass_on",
    "cap_until",
    "validity_months",
    "due_on",
    "computed_at",
)
_REBUILD = """
WITH cur AS (
    SELECT official_id, agency_id FROM (
        SELECT official_id, agency_id, ROW_NUMBER() OVER (
            PARTITION BY official_id ORDER BY seniority DESC, started_on DESC, id DESC) AS rn
        FROM employments WHERE ended_on IS NULL {emp_filter}) ranked
    WHERE rn = 1),
serving AS (
    SELECT o.id AS official_id, COALESCE(cur.agency_id, o.owner_agency_id) AS agency_id
    FROM officials o LEFT JOIN cur ON cur.official_id = o.id
    WHERE (cur.official_id IS NOT NULL
           OR NOT EXISTS (SELECT 1 FROM employments e WHERE e.official_id = o.id)) {off_filter}),
member AS (
    SELECT DISTINCT m.official_id FROM task_force_memberships m
    JOIN task_forces t ON t.id = m.task_force_id
    WHERE m.left_on IS NULL AND t.joint = {true} AND t.status <> 'disbanded' {mem_filter}),
listed AS (
    SELECT DISTINCT official_id FROM registry_entries
    WHERE status IN ('active', 'under_appeal') {ent_filter}),
last_eval AS (
    SELECT official_id, id, outcome, evaluated_on, valid_until FROM (
        SELECT official_id, id, outcome, evaluated_on, valid_until, ROW_NUMBER() OVER (
            PARTITION BY official_id ORDER BY evaluated_on DESC, recorded_at DESC, id DESC) AS rn
        FROM evaluations WHERE outcome IN ('pass', 'fail', 'refused') {eva_filter}) ranked
    WHERE rn = 1),
base AS (
    SELECT s.official_id, s.agency_id, a.country, a.sector,
        CASE WHEN member.official_id IS NULL THEN 0 ELSE 1 END AS member,
        CASE WHEN listed.official_id IS NOT NULL THEN 'listed'
             WHEN le.outcome IS NULL THEN 'none' ELSE le.outcome END AS standing,
        le.id AS evaluation_id, le.evaluated_on, le.valid_until
    FROM serving s JOIN agencies a ON a.id = s.agency_id
    LEFT JOIN member ON member.official_id = s.official_id
    LEFT JOIN listed ON listed.official_id = s.official_id
    LEFT JOIN last_eval le ON le.official_id = s.official_id),
months AS (
    SELECT b.*, {months} AS months FROM base b),
timed AS (
    SELECT b.*, CASE WHEN b.standing = 'pass' THEN {add_months} END AS policy_due
    FROM months b)
SELECT official_id, agency_id, country, sector, {member_bool} AS task_force, standing,
    evaluation_id AS last_evaluation_id, evaluated_on AS last_evaluated_on,
    CASE WHEN standing = 'pass' THEN evaluated_on END AS last_pass_on,
    CASE WHEN standing = 'pass' THEN valid_until END AS cap_until,
    CASE WHEN standing = 'pass' THEN months END AS validity_months,
    CASE WHEN standing <> 'pass' THEN NULL
         WHEN valid_until IS NOT NULL AND valid_until < policy_due THEN valid_until
         ELSE policy_due END AS due_on,
    :now AS computed_at
FROM timed
"""


def rebuild_schedule(
    session: Session,
    now: dt.datetime,
    official_ids: Iterable[uuid.UUID] | None = None,
) -> int:
    """Recompute the schedule of some officials, or of all (writing only rows that changed)."""
    dialect = session.get_bind().dialect.name
    params: dict[str, object] = {
        "now": now
        if dialect == "postgresql"
        else now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    }
    filters = dict.fromkeys(("emp", "off", "mem", "ent", "eva"), "")
    ids = None if official_ids is None else sorted(set(official_ids))
    if ids is not None:
        if not ids:
            return 0
        placeholders = ", ".join(f":o{i}" for i in range(len(ids)))
        for i, official in enumerate(ids):
            params[f"o{i}"] = official if dialect == "postgresql" else official.hex
        column = {
            "emp": "official_id",
            "off": "o.id",
            "mem": "m.official_id",
            "ent": "official_id",
            "eva": "official_id",
        }
        filters = {k: f"AND {c} IN ({placeholders})" for k, c in column.items()}
    select_sql = _REBUILD.format(
        months=_policy_case(load_policy(session)),
        true="true" if dialect == "postgresql" else "1",
        member_bool="member = 1" if dialect == "postgresql" else "member",
        add_months=_add_months_sql(dialect, "b.evaluated_on", "b.months"),
        **{f"{k}_filter": v for k, v in filters.items()},
    )
    columns = ", ".join(_COLUMNS)
    if ids is not None:
        session.execute(delete(RecertSchedule).where(RecertSchedule.official_id.in_(ids)))
        result = session.execute(
            text(f"INSERT INTO recert_schedule ({columns}) {select_sql}"), params
        )
        session.expire_all()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
    return _rebuild_all(session, dialect, select_sql, params)


def _rebuild_all(session: Session, dialect: str, select_sql: str, params: dict[str, object]) -> int:
    """Compute into a temporary table, then delete, insert or update only what differs."""
    pg = dialect == "postgresql"
    columns = ", ".join(_COLUMNS)
    differs = " OR ".join(
        f"recert_schedule.{c} {'IS DISTINCT FROM' if pg else 'IS NOT'} excluded.{c}"
        for c in _COLUMNS
        if c not in ("official_id", "computed_at")
    )
    updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS if c != "official_id")
    session.execute(text("DROP TABLE IF EXISTS recert_fresh"))
    session.execute(text(f"CREATE TEMP TABLE recert_fresh AS {select_sql}"), params)
    session.execute(text("CREATE INDEX ix_recert_fresh ON recert_fresh (official_id)"))
    session.execute(
        text(
            "DELETE FROM recert_schedule WHERE NOT EXISTS (SELECT 1 FROM recert_fresh f "
            "WHERE f.official_id = recert_schedule.official_id)"
        )
    )
    session.execute(
        text(
            f"INSERT INTO recert_schedule ({columns}) SELECT {columns} FROM recert_fresh "  # noqa: S608
            f"WHERE true ON CONFLICT (official_id) DO UPDATE SET {updates} WHERE {differs}"
        )
    )
    count = int(session.execute(text("SELECT count(*) FROM recert_fresh")).scalar() or 0)
    session.execute(text("DROP TABLE recert_fresh"))
    session.expire_all()
    return count


def recompute_due_dates(session: Session, before: Policy | None = None) -> int:
    """After a policy change: new validity and due date for each pass whose rule changed."""
    dialect = session.get_bind().dialect.name
    policy = load_policy(session)
    changed = []
    for country in Country:
        for sector in Sector:
            for member in (False, True):
                months = policy.months_for(country.value, sector.value, member)
                if (
                    before is None
                    or before.months_for(country.value, sector.value, member) != months
                ):
                    changed.append((country.value, sector.value, member, months))
    if not changed:
        return 0
    pg = dialect == "postgresql"
    values = ", ".join(
        f"('{c}', '{s}', {('true' if m else 'false') if pg else int(m)}, {n})"
        for c, s, m, n in changed
    )
    due = _add_months_sql(dialect, "recert_schedule.last_pass_on", "pol.months")
    sql = (
        # Values come from the Country and Sector enums and integers only.
        f"WITH pol(country, sector, member, months) AS (VALUES {values}) "  # noqa: S608
        f"UPDATE recert_schedule SET validity_months = pol.months, due_on = CASE "
        f"WHEN cap_until IS NOT NULL AND cap_until < {due} THEN cap_until ELSE {due} END "
        "FROM pol "
        "WHERE recert_schedule.standing = 'pass' AND recert_schedule.country = pol.country "
        "AND recert_schedule.sector = pol.sector AND recert_schedule.task_force = pol.member"
    )
    session.execute(text(sql))
    session.expire_all()
    keys = ", ".join(
        f"('{c}', '{s}', {('true' if m else 'false') if pg else int(m)})" for c, s, m, _n in changed
    )
    counted = (
        f"WITH pol(country, sector, member) AS (VALUES {keys}) "  # noqa: S608
        "SELECT count(*) FROM recert_schedule s JOIN pol ON s.country = pol.country "
        "AND s.sector = pol.sector AND s.task_force = pol.member WHERE s.standing = 'pass'"
    )
    return int(session.execute(text(counted)).scalar() or 0)


def refresh_officials(uow: UnitOfWork, official_ids: Iterable[uuid.UUID]) -> None:
    """Recompute some officials' schedule inside the caller's transaction."""
    uow.session.flush()
    rebuild_schedule(uow.session, uow.clock(), official_ids)


def rebuild(uow: UnitOfWork, actor: Actor) -> int:
    """Recompute every official's schedule (after imports, listings, or as a nightly job)."""
    with uow:
        uow.require(actor, Permission.RECERT_POLICY_MANAGE, NO_TARGET, action="recert.rebuild")
        count = rebuild_schedule(uow.session, uow.clock())
        uow.audit.append(
            actor, "recert.rebuild", object_type="recert_schedule", details={"officials": count}
        )
        uow.commit()
        return count


def policy_due_date(session: Session, official_id: uuid.UUID, evaluated_on: dt.date) -> dt.date:
    """Due date a pass on `evaluated_on` gets under the policy, as the schedule would compute."""
    row = session.get(RecertSchedule, official_id)
    policy = load_policy(session)
    if row is None:
        return add_months(evaluated_on, policy.months_for(ANY, ANY, False))
    return add_months(evaluated_on, policy.months_for(row.country, row.sector, row.task_force))


# --- due lists ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DueItem:
    official_id: uuid.UUID
    agency: str
    country: str
    task_force: bool
    standing: str
    last_pass_on: dt.date | None
    due_on: dt.date | None
    state: str  # "overdue", "due", "unvetted", "failed", "refused"
    days_left: int | None


def parse_within(value: str | int | None) -> int:
    """`30d`, `12w`, `6m` or a number of days."""
    if value is None or value == "":
        return 30
    if isinstance(value, int):
        return value
    raw = value.strip().lower()
    units = {"d": 1, "w": 7, "m": 30, "y": 365}
    factor = units.get(raw[-1:])
    number = raw[:-1] if factor else raw
    if not number.isdigit() or int(number) > 3650:
        raise ValueError("expected a number of days such as 30d, 12w or 6m (at most 10 years)")
    return int(number) * (factor or 1)


def due_list(
    uow: UnitOfWork,
    actor: Actor,
    *,
    within: str | int | None = "30d",
    agency: str | None = None,
    include_unvetted: bool = True,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[DueItem], int]:
    """Who is due within the window, overdue, never vetted or failed; and how many in all."""
    with uow:
        days, agency_row, today, query = _due_select(
            uow, actor, within, agency, limit, include_unvetted
        )
        total = uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        query = _due_order(query).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        items = [_item(row, today) for row in uow.session.execute(query)]
        _audit_due(uow, actor, days, agency_row, int(total))
        uow.commit()
        return items, int(total)


def iter_due(
    uow: UnitOfWork,
    actor: Actor,
    *,
    within: str | int | None = "30d",
    agency: str | None = None,
    include_unvetted: bool = True,
) -> Iterator[DueItem]:
    """The whole due list (for CSV and calendar exports), in the order of `due_list`.

    One ordered query, counted as read rather than by a second scan of the schedule; the
    transaction ends before the first item is yielded.
    """
    with uow:
        days, agency_row, today, query = _due_select(
            uow, actor, within, agency, None, include_unvetted
        )
        # Plain rows through the session's connection: the ORM adds nothing to column tuples.
        rows = uow.session.connection().execute(_due_order(query)).all()
        _audit_due(uow, actor, days, agency_row, len(rows))
        uow.commit()
    for row in rows:
        yield _item(row, today)


def _due_select(
    uow: UnitOfWork,
    actor: Actor,
    within: str | int | None,
    agency: str | None,
    limit: int | None,
    include_unvetted: bool,
) -> tuple[int, Agency | None, dt.date, Select[Any]]:
    """Check access and filters; the window in days, the agency, today and the due query."""
    uow.require(actor, Permission.SCHEDULE_READ, NO_TARGET, action="recert.due")
    days, agency_row = _due_filters(uow, within, agency, limit)
    today = uow.today()
    query = _due_query(actor, today + dt.timedelta(days=days), agency_row, include_unvetted)
    return days, agency_row, today, query


def _due_filters(
    uow: UnitOfWork, within: str | int | None, agency: str | None, limit: int | None
) -> tuple[int, Agency | None]:
    problems = Problems()
    days = 0
    try:
        days = parse_within(within)
    except ValueError as exc:
        problems.add("within", str(exc))
    agency_row = agency_by_code(uow, agency) if agency else None
    if agency and agency_row is None:
        problems.add("agency", f"agency {agency!r} does not exist")
    if limit is not None and not 1 <= limit <= 10_000:
        problems.add("limit", "must be between 1 and 10000")
    problems.check()
    return days, agency_row


def _audit_due(uow: UnitOfWork, actor: Actor, days: int, agency: Agency | None, total: int) -> None:
    uow.audit.append(
        actor,
        "recert.due",
        object_type="recert_schedule",
        details={"within_days": days, "agency": agency.code if agency else None, "total": total},
    )


def _due_order(query: Select[Any]) -> Select[Any]:
    # Never vetted and failed first, then by due date; the id keeps pages stable.
    return query.order_by(
        RecertSchedule.due_on.is_(None).desc(),
        RecertSchedule.due_on,
        RecertSchedule.official_id,
    )


def _due_query(actor: Actor, horizon: dt.date, agency: Agency | None, include_unvetted: bool):  # type: ignore[no-untyped-def]
    s = RecertSchedule
    wanted = [s.due_on <= horizon]
    if include_unvetted:
        wanted.append(s.standing.in_(("none", "fail", "refused")))
    query = (
        select(
            s.official_id,
            Agency.code,
            s.country,
            s.task_force,
            s.standing,
            s.last_pass_on,
            s.due_on,
        )
        .join(Agency, Agency.id == s.agency_id)
        .where(s.standing != "listed", or_(*wanted))
    )
    if not actor.system:
        # An officer sees her own country's officials and members of joint task forces.
        query = query.where(or_(s.country == str(actor.country), s.task_force.is_(True)))
    if agency is not None:
        query = query.where(s.agency_id == agency.id)
    return query


_STATES = {"none": "unvetted", "fail": "failed", "refused": "refused"}


def _item(row: Any, today: dt.date) -> DueItem:
    official_id, agency_code, country, task_force, standing, last_pass_on, due_on = row
    if standing == "pass" and due_on is not None:
        days_left: int | None = (due_on - today).days
        state = "overdue" if days_left < 0 else "due"  # type: ignore[operator]
    else:
        days_left, state = None, _STATES.get(standing, standing)
    return DueItem(
        official_id,
        agency_code,
        country,
        task_force,
        standing,
        last_pass_on,
        due_on,
        state,
        days_left,
    )


def reminder_stage(due_on: dt.date, today: dt.date) -> str | None:
    """The reminder owed today: the nearest of 90/30/7 days already reached, or overdue."""
    days_left = (due_on - today).days
    if days_left < 0:
        return "overdue"
    reached = [d for d in REMINDER_DAYS if days_left <= d]
    return str(min(reached)) if reached else None
