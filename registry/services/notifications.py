"""Reminder outbox and the SMTP sender.

`queue_reminders` records, once per official, due date and stage (90, 30, 7 days before, or
overdue), the reminder owed today; running it twice changes nothing. `send_pending` mails
each agency's pending reminders to its vetting unit's mailbox, only when `VETREG_SMTP_HOST`
is configured. Messages carry official ids and dates only, never names.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import smtplib
import ssl
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import select

from registry.models import Agency, AgencyMailbox, Notification, RecertSchedule
from registry.models.base import new_id
from registry.policy import NO_TARGET, Actor, Permission
from registry.services import recertification
from registry.services.common import require_agency
from registry.services.compliance import job_permission
from registry.services.validation import Problems
from registry.uow import UnitOfWork

KIND = "recert_reminder"
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    user: str | None
    password: str | None
    sender: str
    starttls: bool

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SmtpConfig | None:
        """None unless VETREG_SMTP_HOST is set: reminders then wait in the outbox."""
        env = os.environ if environ is None else environ
        host = env.get("VETREG_SMTP_HOST", "").strip()
        if not host:
            return None
        starttls = env.get("VETREG_SMTP_STARTTLS", "true").strip().lower() in ("1", "true", "yes")
        return cls(
            host=host,
            port=int(env.get("VETREG_SMTP_PORT", "587" if starttls else "25")),
            user=env.get("VETREG_SMTP_USER") or None,
            password=env.get("VETREG_SMTP_PASSWORD") or None,
            sender=env.get("VETREG_SMTP_FROM", "vetreg@localhost"),
            starttls=starttls,
        )


def set_mailbox(uow: UnitOfWork, actor: Actor, agency_code: str, address: str) -> None:
    """Where an agency's reminders go (its vetting unit's shared address)."""
    with uow:
        uow.require(
            actor, Permission.RECERT_POLICY_MANAGE, NO_TARGET, action="reminders.mailbox_set"
        )
        agency = require_agency(uow, agency_code)
        problems = Problems()
        clean = (address or "").strip()
        if not _ADDRESS.match(clean) or len(clean) > 254:
            problems.add("address", "is not an e-mail address")
        problems.check()
        row = uow.session.get(AgencyMailbox, agency.id)
        if row is None:
            uow.session.add(
                AgencyMailbox(
                    agency_id=agency.id,
                    address=clean,
                    updated_at=uow.clock(),
                    updated_by=actor.user_id,
                )
            )
        else:
            row.address, row.updated_at, row.updated_by = clean, uow.clock(), actor.user_id
        uow.audit.append(actor, "reminders.mailbox_set", object_type="agency", object_id=agency.id)
        uow.commit()


def queue_reminders(uow: UnitOfWork, actor: Actor, *, rebuild: bool = True) -> int:
    """Record today's reminders in the outbox (idempotent); returns how many are new."""
    with uow:
        uow.require(actor, job_permission(actor), NO_TARGET, action="reminders.queue")
        today = uow.today()
        if rebuild:
            recertification.rebuild_schedule(uow.session, uow.clock())
        horizon = today + dt.timedelta(days=max(recertification.REMINDER_DAYS))
        due = uow.session.execute(
            select(
                RecertSchedule.official_id, RecertSchedule.agency_id, RecertSchedule.due_on
            ).where(RecertSchedule.standing == "pass", RecertSchedule.due_on <= horizon)
        )
        wanted: dict[tuple[uuid.UUID, dt.date, str], uuid.UUID] = {}
        for official_id, agency_id, due_on in due:
            if due_on is None:
                continue
            stage = recertification.reminder_stage(due_on, today)
            if stage:
                wanted[(official_id, due_on, stage)] = agency_id
        known = set()
        if wanted:
            known = {
                tuple(r)
                for r in uow.session.execute(
                    select(Notification.official_id, Notification.due_on, Notification.stage).where(
                        Notification.due_on <= horizon
                    )
                )
            }
        new = [key for key in wanted if key not in known]
        now = uow.clock()
        uow.session.add_all(
            Notification(
                id=new_id(),
                kind=KIND,
                official_id=o,
                agency_id=wanted[(o, d, s)],
                due_on=d,
                stage=s,
                status="pending",
                attempts=0,
                created_at=now,
            )
            for o, d, s in new
        )
        uow.audit.append(
            actor,
            "reminders.queue",
            object_type="notification",
            details={"queued": len(new), "date": today.isoformat()},
        )
        uow.commit()
        return len(new)


@dataclass(frozen=True)
class SendReport:
    sent: int
    failed: int
    waiting: int
    configured: bool


def _message(
    config: SmtpConfig, address: str, agency: str, rows: list[Notification]
) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"] = config.sender, address
    message["Subject"] = f"[vetreg] {len(rows)} recertification reminder(s) for {agency}"
    lines = [
        f"Recertification reminders for {agency} (official ids; open them in the registry):",
        "",
    ]
    for row in sorted(rows, key=lambda r: (r.due_on, str(r.official_id))):
        when = "OVERDUE since" if row.stage == "overdue" else f"{row.stage} days: due"
        lines.append(f"- {row.official_id}  {when} {row.due_on.isoformat()}")
    message.set_content("\n".join(lines) + "\n")
    return message


def send_pending(uow: UnitOfWork, actor: Actor, config: SmtpConfig | None) -> SendReport:
    """Mail pending reminders, one message per agency; nothing is sent without configuration."""
    with uow:
        uow.require(actor, job_permission(actor), NO_TARGET, action="reminders.send")
        pending = list(
            uow.session.scalars(
                select(Notification).where(
                    Notification.status == "pending", Notification.attempts < MAX_ATTEMPTS
                )
            )
        )
        if config is None or not pending:
            return SendReport(0, 0, len(pending), config is not None)
        by_agency: dict[uuid.UUID, list[Notification]] = defaultdict(list)
        for row in pending:
            by_agency[row.agency_id].append(row)
        mailboxes = {m.agency_id: m.address for m in uow.session.scalars(select(AgencyMailbox))}
        codes = {i: c for i, c in uow.session.execute(select(Agency.id, Agency.code))}
        sent = failed = waiting = 0
        with _connect(config) as smtp:
            for agency_id, rows in by_agency.items():
                address = mailboxes.get(agency_id)
                if address is None:
                    waiting += len(rows)
                    continue
                try:
                    smtp.send_message(_message(config, address, codes[agency_id], rows))
                except smtplib.SMTPException as exc:
                    for row in rows:
                        row.attempts += 1
                        row.last_error = type(exc).__name__
                        row.status = "failed" if row.attempts >= MAX_ATTEMPTS else "pending"
                    failed += len(rows)
                    continue
                for row in rows:
                    row.status, row.sent_at, row.attempts = "sent", uow.clock(), row.attempts + 1
                sent += len(rows)
        uow.audit.append(
            actor,
            "reminders.send",
            object_type="notification",
            details={"sent": sent, "failed": failed, "waiting": waiting},
        )
        uow.commit()
        return SendReport(sent, failed, waiting, True)


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    smtp = smtplib.SMTP(config.host, config.port, timeout=30)
    if config.starttls:
        smtp.starttls(context=ssl.create_default_context())
    if config.user and config.password:
        smtp.login(config.user, config.password)
    return smtp
