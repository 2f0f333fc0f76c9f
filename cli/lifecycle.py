"""Vetting lifecycle commands: recertification, reminders, re-vetting draws, task forces, overrides.

Jobs and settings run as the local operator; everything else names the acting user with
`--as USERNAME` (or VETREG_AS), so the same policy applies as on the web.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import click

from cli.common import EXIT_BAD_INPUT, handle_errors, open_registry, operator
from registry.policy import Actor
from registry.services import (
    compliance,
    notifications,
    overrides,
    recertification,
    revetting,
    schedule_export,
    taskforces,
)
from registry.services.accounts import actor_by_username

EXIT_NOT_VERIFIED = 3

as_user = click.option(
    "--as",
    "username",
    envvar="VETREG_AS",
    required=True,
    help="The user acting (or set VETREG_AS).",
)


def _actor(username: str) -> Actor:
    return actor_by_username(open_registry().uow(), username)


def _months_label(months: int) -> str:
    return (
        f"{months // 12} years"
        if months % 12 == 0 and months >= 24
        else ("1 year" if months == 12 else f"{months} months")
    )


# --- recert --------------------------------------------------------------------------------


@click.group("recert")
def recert_group() -> None:
    """Recertification schedule and validity policy."""


@recert_group.command("due")
@click.option(
    "--within",
    default="30d",
    show_default=True,
    help="Window ahead: 30d, 12w, 6m. Overdue officials are always listed.",
)
@click.option("--agency", help="Only officials serving at this agency (code).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "ics"]),
    default="table",
    show_default=True,
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.option(
    "--unvetted/--no-unvetted",
    default=True,
    show_default=True,
    help="Include officials never vetted or whose last evaluation failed.",
)
@as_user
@handle_errors
def recert_due(
    within: str, agency: str | None, fmt: str, output: Path | None, unvetted: bool, username: str
) -> None:
    """Who is due for recertification within the window, or overdue."""
    ctx = open_registry()
    actor = _actor(username)
    items = list(
        recertification.iter_due(
            ctx.uow(), actor, within=within, agency=agency, include_unvetted=unvetted
        )
    )
    if fmt == "ics":
        now = ctx.clock()
        data = schedule_export.to_ics(items, now.date(), now)
        _write(output, data)
        return
    if fmt == "csv":
        _write(output, schedule_export.to_csv(items).encode())
        return
    if not items:
        click.echo(f"No official is due within {within} or overdue.")
        return
    lines = [f"{'OFFICIAL':<36}  {'AGENCY':<10} {'TF':<3} {'STATE':<9} {'DUE':<10} {'DAYS':>5}"]
    for i in items:
        days = "" if i.days_left is None else str(i.days_left)
        lines.append(
            f"{i.official_id!s:<36}  {i.agency:<10} {'yes' if i.task_force else '':<3} "
            f"{i.state:<9} {i.due_on.isoformat() if i.due_on else '-':<10} {days:>5}"
        )
    overdue = sum(1 for i in items if i.state != "due")
    lines.append(f"{len(items)} official(s); {overdue} overdue, unvetted or failed.")
    _write(output, ("\n".join(lines) + "\n").encode())


def _write(output: Path | None, data: bytes) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)
        click.echo(f"Wrote {output}.", err=True)


@recert_group.group("policy")
def policy_group() -> None:
    """Validity of a pass by country, sector and task-force membership."""


@policy_group.command("list")
@handle_errors
def policy_list() -> None:
    """The rules in force; the most specific matching rule applies, membership first."""
    rules = recertification.list_policy(open_registry().uow(), operator())
    click.echo(f"{'MEMBERS':<11} {'COUNTRY':<8} {'SECTOR':<13} VALIDITY")
    for r in rules:
        who = "task force" if r.task_force else "all"
        note = "  (default)" if r.built_in else ""
        click.echo(f"{who:<11} {r.country:<8} {r.sector:<13} {_months_label(r.months)}{note}")


def _policy_options(func):  # type: ignore[no-untyped-def]
    func = click.option(
        "--task-force/--all-officials",
        "task_force",
        default=False,
        show_default=True,
        help="Rule for joint task-force and vetted-unit members, or for everyone.",
    )(func)
    func = click.option(
        "--sector", default="*", show_default=True, help="Agency sector, or * for any."
    )(func)
    return click.option("--country", default="*", show_default=True, help="MX, US, or * for any.")(
        func
    )


@policy_group.command("set")
@_policy_options
@click.option("--months", type=int, required=True, help="Validity of a pass, in months (1-120).")
@handle_errors
def policy_set(country: str, sector: str, task_force: bool, months: int) -> None:
    """Set a rule; every official's due date is recomputed at once."""
    count = recertification.set_policy(
        open_registry().uow(),
        operator(),
        country=country,
        sector=sector,
        task_force=task_force,
        months=months,
    )
    click.echo(f"Rule set: {_months_label(months)}. Recomputed {count} official(s)' due dates.")


@policy_group.command("unset")
@_policy_options
@handle_errors
def policy_unset(country: str, sector: str, task_force: bool) -> None:
    """Remove a rule (the next most specific one, or the default, applies)."""
    count = recertification.set_policy(
        open_registry().uow(),
        operator(),
        country=country,
        sector=sector,
        task_force=task_force,
        months=None,
    )
    click.echo(f"Rule removed. Recomputed {count} official(s)' due dates.")


@recert_group.command("rebuild")
@handle_errors
def recert_rebuild() -> None:
    """Recompute every due date (after bulk imports; the reminder job does it daily)."""
    count = recertification.rebuild(open_registry().uow(), operator())
    click.echo(f"Recomputed {count} official(s).")


# --- reminders -----------------------------------------------------------------------------


@click.group("reminders")
def reminders_group() -> None:
    """Reminders 90, 30 and 7 days before a due date, and when overdue."""


@reminders_group.command("send")
@click.option("--queue-only", is_flag=True, help="Record today's reminders without mailing them.")
@handle_errors
def reminders_send(queue_only: bool) -> None:
    """Record today's reminders (once each) and mail pending ones if VETREG_SMTP_HOST is set."""
    ctx = open_registry()
    queued = notifications.queue_reminders(ctx.uow(), operator())
    click.echo(f"Recorded {queued} new reminder(s).")
    if queue_only:
        return
    config = notifications.SmtpConfig.from_env()
    report = notifications.send_pending(ctx.uow(), operator(), config)
    if not report.configured:
        click.echo(
            f"SMTP not configured (VETREG_SMTP_HOST): {report.waiting} reminder(s) wait "
            "in the outbox."
        )
        return
    click.echo(
        f"Sent {report.sent}; failed {report.failed}; {report.waiting} wait for an agency "
        "mailbox (vetreg reminders mailbox AGENCY ADDRESS)."
    )


@reminders_group.command("mailbox")
@click.argument("agency")
@click.argument("address")
@handle_errors
def reminders_mailbox(agency: str, address: str) -> None:
    """Send AGENCY's reminders to ADDRESS (its vetting unit's shared mailbox)."""
    notifications.set_mailbox(open_registry().uow(), operator(), agency, address)
    click.echo(f"Reminders for {agency.upper()} go to {address}.")


# --- revet ---------------------------------------------------------------------------------


@click.group("revet")
def revet_group() -> None:
    """Random re-vetting draws: roster committed first, seed from both countries' officers.

    \b
    1. vetreg revet draw --period 2026-12 --rate 0.05 --as OFFICER
    2. each country's officer: vetreg revet commit DRAW_ID --secret-file F --as OFFICER
    3. then each:              vetreg revet reveal DRAW_ID --secret-file F --as OFFICER
    4. anyone auditing:        vetreg revet verify DRAW_ID --as AUDITOR
    """


@revet_group.command("draw")
@click.option("--period", required=True, help="The month drawn for, YYYY-MM.")
@click.option("--rate", required=True, help="Share of the roster to select, e.g. 0.05.")
@click.option("--scope", help="country:MX|US (default: yours), agency:CODE or taskforce:CODE.")
@click.option(
    "--weight",
    "weights",
    multiple=True,
    metavar="NAME=N",
    help="Override a weight: base, task_force, senior, senior_seniority.",
)
@as_user
@handle_errors
def revet_draw(
    period: str, rate: str, scope: str | None, weights: tuple[str, ...], username: str
) -> None:
    """Commit the roster of a draw to the audit log (one draw per period and scope)."""
    parsed: dict[str, int] = {}
    for item in weights:
        name, _, value = item.partition("=")
        if not value.isdigit():
            click.secho(f"error: weight: expected NAME=N, got {item!r}", fg="red", err=True)
            sys.exit(EXIT_BAD_INPUT)
        parsed[name.strip()] = int(value)
    ctx = open_registry()
    actor = _actor(username)
    draw_id = revetting.open_draw(
        ctx.uow(), actor, period=period, rate=rate, scope=scope, weights=parsed or None
    )
    view = revetting.get_draw(ctx.uow(), actor, draw_id)
    click.echo(
        f"Draw {draw_id} ({view.period}, {view.scope}): roster of {view.roster_size} committed, "
        f"digest {view.roster_digest}; {view.sample_size} will be selected."
    )
    click.echo(
        "Next: an officer of each country runs "
        f"`vetreg revet commit {draw_id} --secret-file FILE --as USER`."
    )


@revet_group.command("commit")
@click.argument("draw_id")
@click.option(
    "--secret-file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to keep the new secret (created 0600; needed to reveal).",
)
@as_user
@handle_errors
def revet_commit(draw_id: str, secret_file: Path, username: str) -> None:
    """Create a secret, keep it in a file, and record its commitment for your country."""
    if secret_file.exists():
        click.secho(
            f"error: secret-file: {secret_file} exists; choose a new file", fg="red", err=True
        )
        sys.exit(EXIT_BAD_INPUT)
    secret = secrets.token_hex(32)
    commitment = revetting.commitment_of(secret)
    status = revetting.commit_secret(open_registry().uow(), _actor(username), draw_id, commitment)
    descriptor = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret + "\n")
    click.echo(f"Committed {commitment}. Keep {secret_file} until you reveal it.")
    click.echo(
        "Both countries have committed: reveal now."
        if status == "revealing"
        else "Waiting for the other country's commitment."
    )


@revet_group.command("reveal")
@click.argument("draw_id")
@click.option(
    "--secret-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True
)
@as_user
@handle_errors
def revet_reveal(draw_id: str, secret_file: Path, username: str) -> None:
    """Reveal your country's secret; the second reveal performs the draw."""
    ctx = open_registry()
    actor = _actor(username)
    status = revetting.reveal_secret(ctx.uow(), actor, draw_id, secret_file.read_text().strip())
    if status == "drawn":
        view = revetting.get_draw(ctx.uow(), actor, draw_id)
        click.echo(f"Drawn with seed {view.seed}: {len(view.selected)} official(s) selected.")
        for official_id in view.selected:
            click.echo(str(official_id))
    else:
        click.echo("Revealed. Waiting for the other country's reveal.")


@revet_group.command("show")
@click.argument("draw_id")
@as_user
@handle_errors
def revet_show(draw_id: str, username: str) -> None:
    """A draw's progress and, once drawn, the selected officials."""
    view = revetting.get_draw(open_registry().uow(), _actor(username), draw_id)
    click.echo(f"Draw {view.id}: {view.period} {view.scope}, rate {view.rate}, {view.status}")
    click.echo(
        f"Roster: {view.roster_size}, digest {view.roster_digest}; sample {view.sample_size}"
    )
    click.echo(
        f"Committed: {', '.join(view.committed) or '-'}; "
        f"revealed: {', '.join(view.revealed) or '-'}"
    )
    for official_id in view.selected:
        click.echo(str(official_id))


@revet_group.command("list")
@as_user
@handle_errors
def revet_list(username: str) -> None:
    """Recent draws."""
    views = revetting.list_draws(open_registry().uow(), _actor(username))
    if not views:
        click.echo("No draws yet. Start one with: vetreg revet draw --period YYYY-MM --rate 0.05")
        return
    for v in views:
        click.echo(
            f"{v.id}  {v.period}  {v.scope:<20} {v.status:<10} roster {v.roster_size:>7}  "
            f"sample {v.sample_size}"
        )


@revet_group.command("verify")
@click.argument("draw_id")
@as_user
@handle_errors
def revet_verify(draw_id: str, username: str) -> None:
    """Recompute the draw from its audit record; exit 3 if anything does not match."""
    report = revetting.verify_draw(open_registry().uow(), _actor(username), draw_id)
    for line in report.checks:
        click.echo(f"ok: {line}")
    for problem in report.problems:
        click.secho(f"MISMATCH: {problem}", fg="red")
    if not report.ok:
        sys.exit(EXIT_NOT_VERIFIED)
    click.echo(f"Draw {report.draw_id} verified.")


# --- taskforce -----------------------------------------------------------------------------


@click.group("taskforce")
def taskforce_group() -> None:
    """Task-force compliance: suspension, its reasons, and the periodic check."""


@taskforce_group.command("status")
@click.argument("task_force", required=False)
@click.option("--suspended", is_flag=True, help="Only suspended task forces.")
@as_user
@handle_errors
def taskforce_status(task_force: str | None, suspended: bool, username: str) -> None:
    """One task force (by code or id) with each member's standing, or all of them."""
    ctx = open_registry()
    actor = _actor(username)
    if task_force:
        _print_status(taskforces.task_force_status(ctx.uow(), actor, task_force), detail=True)
        return
    views, total = taskforces.list_task_force_status(
        ctx.uow(), actor, status="suspended" if suspended else None, limit=1000
    )
    if not views:
        click.echo("No task forces." if not suspended else "No task force is suspended.")
        return
    for view in views:
        _print_status(view, detail=False)
    click.echo(f"{total} task force(s).")


def _print_status(view: taskforces.TaskForceStatusView, *, detail: bool) -> None:
    funding = "funding SUSPENDED" if view.funding_suspended else "funded"
    click.echo(
        f"{view.code:<16} {view.status.value.upper():<10} {funding:<18} "
        f"{len(view.members)} member(s)"
    )
    for reason in view.reasons:
        rank = "senior " if reason.senior else ""
        click.echo(
            f"    reason: {rank}member {reason.official_id} "
            f"{compliance.RULE_TEXT.get(reason.rule, reason.rule)}"
        )
    for request_id, official_id, ends_at in view.overrides:
        what = f"waives {official_id}" if official_id else "covers the unit"
        click.echo(f"    override {request_id} {what} until {ends_at:%Y-%m-%d}")
    if detail:
        for m in view.members:
            state = compliance.RULE_TEXT.get(m.breach, m.breach) if m.breach else "valid pass"
            due = m.due_on.isoformat() if m.due_on else "-"
            click.echo(
                f"  {m.official_id}  {m.official_country.value}  "
                f"{'senior' if m.senior else '      '}  due {due:<10}  {state}"
            )


@taskforce_group.command("check")
@handle_errors
def taskforce_check() -> None:
    """Suspend or lift every task force to match its roster (run it daily)."""
    summary = compliance.check_all(open_registry().uow(), operator())
    click.echo(
        f"Checked {summary['task_forces']} task force(s): {summary['suspended']} suspended, "
        f"{summary['lifted']} lifted, {summary['overrides_expired']} override(s) ended."
    )


@taskforce_group.command("grace")
@click.argument("days", type=int)
@handle_errors
def taskforce_grace(days: int) -> None:
    """Days an expired pass is tolerated before the task force is suspended (default 0)."""
    compliance.set_grace_days(open_registry().uow(), operator(), days)
    click.echo(f"Grace period: {days} day(s).")


# --- overrides -----------------------------------------------------------------------------


@click.group("overrides")
def overrides_group() -> None:
    """Commission overrides of a suspension or of one member's vetting."""


@overrides_group.command("request")
@click.option("--task-force", required=True, help="Code or id.")
@click.option("--reason", required=True)
@click.option("--days", type=int, required=True, help="How long the override lasts once approved.")
@click.option("--member", help="Official id whose vetting is waived (omit to cover the unit).")
@as_user
@handle_errors
def overrides_request(
    task_force: str, reason: str, days: int, member: str | None, username: str
) -> None:
    """Ask the commission; it takes effect once every required department approved."""
    ctx = open_registry()
    request_id = overrides.request_override(
        ctx.uow(),
        _actor(username),
        task_force_id=task_force,
        reason=reason,
        duration_days=days,
        official_id=member,
    )
    click.echo(
        f"Override request {request_id} filed; it lapses in {overrides.PENDING_DAYS} days "
        "without every department's approval."
    )


@overrides_group.command("list")
@click.option("--status", type=click.Choice(["pending", "approved", "rejected", "expired"]))
@as_user
@handle_errors
def overrides_list(status: str | None, username: str) -> None:
    """Override requests, newest first."""
    views = overrides.list_overrides(open_registry().uow(), _actor(username), status=status)
    if not views:
        click.echo("No override requests.")
        return
    for v in views:
        missing = sorted(set(v.required_departments) - set(v.approved_by))
        click.echo(
            f"{v.id}  {v.task_force_code:<14} {v.status:<9} {v.duration_days:>3}d  "
            f"approved: {', '.join(v.approved_by) or '-'}; awaiting: {', '.join(missing) or '-'}"
        )


@overrides_group.command("show")
@click.argument("request_id")
@as_user
@handle_errors
def overrides_show(request_id: str, username: str) -> None:
    """One request with its reason and votes."""
    v = overrides.get_override(open_registry().uow(), _actor(username), request_id)
    click.echo(f"Request {v.id} for {v.task_force_code}: {v.status}")
    click.echo(f"Waives member: {v.official_id}" if v.official_id else "Covers the whole unit")
    click.echo(
        f"Duration: {v.duration_days} days; decide by {v.decide_by:%Y-%m-%d}"
        + (f"; ends {v.ends_at:%Y-%m-%d}" if v.ends_at else "")
    )
    click.echo(f"Reason: {v.reason}")
    for vote in v.votes:
        click.echo(
            f"  {vote.department:<8} {'approve' if vote.approve else 'REJECT':<8} "
            f"{vote.voted_at:%Y-%m-%d %H:%M}"
        )


@overrides_group.command("vote")
@click.argument("request_id")
@click.option("--approve/--reject", required=True)
@as_user
@handle_errors
def overrides_vote(request_id: str, approve: bool, username: str) -> None:
    """Vote for your department (a requester cannot vote on her own request)."""
    status = overrides.vote(open_registry().uow(), _actor(username), request_id, approve=approve)
    click.echo(f"Vote recorded; the request is {status}.")


@overrides_group.command("departments")
@click.argument("codes", nargs=-1)
@handle_errors
def overrides_departments(codes: tuple[str, ...]) -> None:
    """Show, or set, the departments that must each approve (e.g. US-DOJ US-DHS US-DOS MX-SSPC)."""
    ctx = open_registry()
    if codes:
        current = overrides.set_departments(ctx.uow(), operator(), list(codes))
    else:
        with ctx.uow() as uow:
            current = overrides.required_departments(uow)
    click.echo("Required departments: " + ", ".join(current))
