"""Due lists as CSV and as an iCalendar file a calendar program opens (RFC 5545)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable

import icalendar

from registry.services.recertification import DueItem

CSV_COLUMNS = (
    "official_id",
    "agency",
    "country",
    "task_force",
    "state",
    "last_pass_on",
    "due_on",
    "days_left",
)
_LABEL = {
    "overdue": "OVERDUE recertification",
    "due": "Recertification due",
    "unvetted": "Initial vetting due",
    "failed": "Failed vetting: action needed",
    "refused": "Refused vetting: action needed",
}


def to_csv(items: Iterable[DueItem]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for i in items:
        writer.writerow(
            [
                i.official_id,
                i.agency,
                i.country,
                "yes" if i.task_force else "no",
                i.state,
                i.last_pass_on or "",
                i.due_on or "",
                "" if i.days_left is None else i.days_left,
            ]
        )
    return out.getvalue()


def to_ics(items: Iterable[DueItem], today: dt.date, stamp: dt.datetime) -> bytes:
    """One all-day event per official on the due date (today for those already due)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Joint Task-Force Vetting Registry//vetreg//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Vetting recertification schedule")
    for item in items:
        day = item.due_on if item.due_on and item.due_on >= today else today
        event = icalendar.Event()
        event.add("uid", f"recert-{item.official_id}-{item.due_on or 'now'}@vetreg")
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
        event.add(
            "summary", f"{_LABEL.get(item.state, item.state)}: official {str(item.official_id)[:8]}"
        )
        event.add(
            "description",
            f"Official {item.official_id}, {item.agency}"
            + (", joint task-force member" if item.task_force else "")
            + (f"; valid until {item.due_on.isoformat()}" if item.due_on else ""),
        )
        event.add("categories", ["vetting", item.state])
        event.add("transp", "TRANSPARENT")
        if item.state == "due":
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", "Recertification due in 7 days")
            alarm.add("trigger", dt.timedelta(days=-7))
            event.add_component(alarm)
        calendar.add_component(event)
    return bytes(calendar.to_ical())
