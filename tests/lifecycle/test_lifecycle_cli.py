"""`vetreg recert|reminders|revet|taskforce|overrides` against a real instance with demo data."""

from __future__ import annotations

import csv
import io
import socket
import stat
import uuid
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import icalendar
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from cli.main import cli
from registry.config import Settings


@pytest.fixture
def run(instance: Settings):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args), catch_exceptions=False)

    result = invoke("demo")
    assert result.exit_code == 0, result.output
    return invoke


class Sink:
    """Keeps every message the local SMTP server receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def test_help_on_every_lifecycle_command() -> None:
    runner = CliRunner()
    for path in (
        ["recert", "due"],
        ["recert", "policy", "set"],
        ["reminders", "send"],
        ["revet", "draw"],
        ["revet", "verify"],
        ["taskforce", "status"],
        ["taskforce", "check"],
        ["overrides", "vote"],
    ):
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, path


def test_due_list_as_table_csv_and_valid_icalendar(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    table = run("recert", "due", "--within", "3y", "--as", "mx.oficial")
    assert table.exit_code == 0 and "official(s);" in table.output
    rows = list(
        csv.DictReader(
            io.StringIO(
                run(
                    "recert", "due", "--within", "3y", "--format", "csv", "--as", "mx.oficial"
                ).output
            )
        )
    )
    assert rows and {"official_id", "due_on", "state"} <= set(rows[0])
    target = tmp_path / "due.ics"
    result = run(
        "recert",
        "due",
        "--within",
        "3y",
        "--format",
        "ics",
        "-o",
        str(target),
        "--as",
        "mx.oficial",
    )
    assert result.exit_code == 0
    calendar = icalendar.Calendar.from_ical(target.read_bytes())
    events = calendar.walk("VEVENT")
    assert len(events) == len(rows)
    assert str(calendar["VERSION"]) == "2.0" and calendar["PRODID"]
    uids = {str(e["UID"]) for e in events}
    assert len(uids) == len(events)
    by_official = {r["official_id"]: r for r in rows}
    for event in events:
        official = str(event["DESCRIPTION"]).split(",")[0].removeprefix("Official ")
        assert official in by_official
        if by_official[official]["state"] == "due":
            assert event.decoded("DTSTART").isoformat() == by_official[official]["due_on"]
    bad = run("recert", "due", "--within", "soon", "--as", "mx.oficial")
    assert bad.exit_code == 2 and "within:" in bad.output


def test_reminders_are_sent_once_through_smtp(run, smtp_sink, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    sink, port = smtp_sink
    assert run("recert", "policy", "set", "--months", "1").exit_code == 0
    first = run("reminders", "send")
    assert "SMTP not configured" in first.output and "Recorded" in first.output
    assert sink.messages == []
    monkeypatch.setenv("VETREG_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("VETREG_SMTP_PORT", str(port))
    monkeypatch.setenv("VETREG_SMTP_STARTTLS", "false")
    monkeypatch.setenv("VETREG_SMTP_FROM", "vetreg@registry.example")
    assert run("reminders", "mailbox", "MX-GN", "control.confianza@gn.example").exit_code == 0
    assert run("reminders", "mailbox", "US-DEA", "vetting@dea.example").exit_code == 0
    sent = run("reminders", "send")
    assert sent.exit_code == 0 and "Sent" in sent.output, sent.output
    assert sink.messages
    recipients = {r for _f, rcpt, _c in sink.messages for r in rcpt}
    assert recipients <= {"control.confianza@gn.example", "vetting@dea.example"}
    body = message_from_bytes(sink.messages[0][2]).get_payload()
    assert "OVERDUE" in body or "days: due" in body
    count = len(sink.messages)
    again = run("reminders", "send")
    assert "Recorded 0 new reminder(s)" in again.output
    assert len(sink.messages) == count  # idempotent: nothing is mailed twice


def test_revet_draw_commit_reveal_verify(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    opened = run(
        "revet",
        "draw",
        "--period",
        "2026-12",
        "--rate",
        "0.2",
        "--scope",
        "taskforce:JTF-NORTE",
        "--as",
        "mx.oficial",
    )
    assert opened.exit_code == 0, opened.output
    draw_id = opened.output.split()[1]
    uuid.UUID(draw_id)
    again = run(
        "revet",
        "draw",
        "--period",
        "2026-12",
        "--rate",
        "0.5",
        "--scope",
        "taskforce:JTF-NORTE",
        "--as",
        "mx.oficial",
    )
    assert again.exit_code == 6 and "cannot be repeated" in again.output
    mx_secret, us_secret = tmp_path / "mx.secret", tmp_path / "us.secret"
    assert (
        run(
            "revet", "commit", draw_id, "--secret-file", str(mx_secret), "--as", "mx.oficial"
        ).exit_code
        == 0
    )
    assert stat.S_IMODE(mx_secret.stat().st_mode) == 0o600
    early = run("revet", "reveal", draw_id, "--secret-file", str(mx_secret), "--as", "mx.oficial")
    assert early.exit_code == 6
    assert (
        run(
            "revet", "commit", draw_id, "--secret-file", str(us_secret), "--as", "us.officer"
        ).exit_code
        == 0
    )
    assert (
        run(
            "revet", "reveal", draw_id, "--secret-file", str(mx_secret), "--as", "mx.oficial"
        ).exit_code
        == 0
    )
    drawn = run("revet", "reveal", draw_id, "--secret-file", str(us_secret), "--as", "us.officer")
    assert "Drawn with seed" in drawn.output
    verified = run("revet", "verify", draw_id, "--as", "us.auditor")
    assert verified.exit_code == 0 and "verified" in verified.output


def test_taskforce_status_check_and_override_vote(run) -> None:  # type: ignore[no-untyped-def]
    status = run("taskforce", "status", "JTF-NORTE", "--as", "mx.oficial")
    assert status.exit_code == 0 and "ACTIVE" in status.output and "valid pass" in status.output
    assert "Checked" in run("taskforce", "check").output
    filed = run(
        "overrides",
        "request",
        "--task-force",
        "JTF-NORTE",
        "--reason",
        "Operación Alba",
        "--days",
        "30",
        "--as",
        "mx.oficial",
    )
    request_id = filed.output.split()[2]
    refused = run("overrides", "vote", request_id, "--approve", "--as", "mx.oficial")
    assert refused.exit_code == 4
    for who in ("us.commissioner.doj", "us.commissioner.dhs"):
        assert "pending" in run("overrides", "vote", request_id, "--approve", "--as", who).output
    assert (
        "approved"
        in run("overrides", "vote", request_id, "--approve", "--as", "us.commissioner.dos").output
    )
    listing = run("overrides", "list", "--as", "us.commissioner.dos").output
    assert "US-DHS, US-DOJ, US-DOS" in listing
