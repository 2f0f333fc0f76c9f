"""Languages: Spanish and English, chosen by the user's profile, her choice or the browser.

The registry core speaks English; its field-named error messages are translated here,
at the edge, by matching them against a catalogue of message patterns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from flask import request, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from registry.errors import FieldProblem
from web.domain_messages import DOMAIN_PATTERNS

LOCALES = ("en", "es")
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
_CHOSEN = "locale"


def select_locale() -> str:
    from web.session import current_session

    chosen = session.get(_CHOSEN)
    if chosen in LOCALES:
        return str(chosen)
    info = current_session()
    if info is not None and info.preferred_locale in LOCALES:
        return str(info.preferred_locale)
    return request.accept_languages.best_match(LOCALES) or "en"


def choose_locale(locale: str) -> None:
    if locale in LOCALES:
        session[_CHOSEN] = locale


# Field names as the services report them, shown as the form labels show them.
FIELD_LABELS: dict[str, Any] = {
    "username": _l("User name"),
    "password": _l("Password"),
    "code": _l("Authenticator code"),
    "notice": _l("System-use notice"),
    "current_password": _l("Current password"),
    "new_password": _l("New password"),
    "confirm_password": _l("Confirm the new password"),
    "given_names": _l("Given names"),
    "paternal_surname": _l("Paternal surname"),
    "maternal_surname": _l("Maternal surname"),
    "birth_date": _l("Birth date"),
    "sex": _l("Sex"),
    "curp": _l("CURP"),
    "type": _l("Evaluation type"),
    "outcome": _l("Outcome"),
    "evaluated_on": _l("Evaluation date"),
    "valid_until": _l("Valid until"),
    "components": _l("Components"),
    "notes": _l("Notes"),
    "evaluating_agency": _l("Evaluating agency"),
    "reason": _l("Reason"),
    "case_ref": _l("Case reference"),
    "legal_basis": _l("Legal basis"),
    "effective_date": _l("Effective date"),
    "narrative": _l("Narrative"),
    "handling_code": _l("Handling code"),
    "source_reliability": _l("Source reliability"),
    "information_reliability": _l("Information reliability"),
    "retain_until": _l("Retain until"),
    "review_on": _l("Review on"),
    "originating_agency": _l("Originating agency"),
    "kind": _l("Kind of request"),
    "grounds": _l("Grounds"),
    "filed_on": _l("Filed on"),
    "role": _l("Role on the task force"),
    "joined_on": _l("Joined on"),
    "left_on": _l("Left on"),
    "official": _l("Official"),
    "decision": _l("Decision"),
    "task_force": _l("Task force"),
    "joint": _l("Joint"),
    "locale": _l("Language"),
    "user": _l("User"),
    "answer": _l("Answer"),
    "name": _l("Name"),
    "days": _l("Days valid"),
    "query": _l("Search"),
    "agency": _l("Agency"),
    "position": _l("Position"),
    "rank": _l("Rank"),
    "seniority": _l("Seniority"),
    "started_on": _l("Started on"),
    "ended_on": _l("Ended on"),
    "duration_days": _l("Duration in days"),
    "departments": _l("Departments"),
    "within": _l("Within"),
    "period": _l("Period"),
    "rate": _l("Rate"),
    "weights": _l("Weights"),
    "scope": _l("Scope"),
    "commitment": _l("Commitment"),
    "secret": _l("Secret"),
    "months": _l("Months"),
    "grace_days": _l("Grace days"),
    "since": _l("From"),
    "until": _l("To"),
    "country": _l("Country"),
    "action": _l("Action"),
    "object_type": _l("Object type"),
    "object_id": _l("Object id"),
    "roles": _l("Roles"),
    "email": _l("E-mail address"),
    "candidates": _l("Candidates"),
    "format": _l("Format"),
}

Pattern = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]
_PATTERNS: list[Pattern] = [
    (re.compile(r"^is required$"), lambda m: _("is required")),
    (re.compile(r"^contains control characters$"), lambda m: _("contains control characters")),
    (
        re.compile(r"^is longer than (\d+) characters$"),
        lambda m: _("is longer than %(n)s characters", n=m[1]),
    ),
    (
        re.compile(r"^must be at least (\d+) characters$"),
        lambda m: _("must be at least %(n)s characters", n=m[1]),
    ),
    (
        re.compile(r"^is not a valid date \(expected YYYY-MM-DD\)$"),
        lambda m: _("is not a valid date (expected YYYY-MM-DD)"),
    ),
    (re.compile(r"^cannot be after (\S+)$"), lambda m: _("cannot be after %(d)s", d=m[1])),
    (re.compile(r"^cannot be before (\S+)$"), lambda m: _("cannot be before %(d)s", d=m[1])),
    (re.compile(r"^must be one of: (.+)$"), lambda m: _("must be one of: %(v)s", v=m[1])),
    (re.compile(r"^is a commonly used password$"), lambda m: _("is a commonly used password")),
    (re.compile(r"^is too easy to guess$"), lambda m: _("is too easy to guess")),
    (re.compile(r"^is not your current password$"), lambda m: _("is not your current password")),
    (
        re.compile(r"^does not match the new password$"),
        lambda m: _("does not match the new password"),
    ),
    (
        re.compile(r"^must differ from the current password$"),
        lambda m: _("must differ from the current password"),
    ),
    (
        re.compile(r"^you must acknowledge the system-use notice$"),
        lambda m: _("you must acknowledge the system-use notice"),
    ),
    (
        re.compile(r"^mark the result of at least one component$"),
        lambda m: _("mark the result of at least one component"),
    ),
    (
        re.compile(r"^cannot be pass when a component failed or was refused \((.+)\)$"),
        lambda m: _("cannot be pass when a component failed or was refused (%(c)s)", c=m[1]),
    ),
    (
        re.compile(r"^only a pass has a validity date$"),
        lambda m: _("only a pass has a validity date"),
    ),
    (
        re.compile(r"^must be after the evaluation date$"),
        lambda m: _("must be after the evaluation date"),
    ),
    (
        re.compile(r"^must be after the effective date$"),
        lambda m: _("must be after the effective date"),
    ),
    (
        re.compile(r"^agency '?([^' ]+)'? does not exist$"),
        lambda m: _("agency %(code)s does not exist", code=m[1]),
    ),
    (
        re.compile(r"^must be an agency of your own country$"),
        lambda m: _("must be an agency of your own country"),
    ),
    (
        re.compile(r"^must be between (\d+) and (\d+)$"),
        lambda m: _("must be between %(a)s and %(b)s", a=m[1], b=m[2]),
    ),
    (
        re.compile(r"^an entry that is (\S+) cannot be appealed$"),
        lambda m: _("an entry that is %(status)s cannot be appealed", status=m[1]),
    ),
    (
        re.compile(r"^this task force is not joint: members must be of its country$"),
        lambda m: _("this task force is not joint: members must be of its country"),
    ),
    (
        re.compile(r"^3-32 characters: capital letters, digits and hyphens$"),
        lambda m: _("3-32 characters: capital letters, digits and hyphens"),
    ),
    (re.compile(r"^this account is not locked$"), lambda m: _("this account is not locked")),
    (
        re.compile(r"^no authenticator is enrolled for this account$"),
        lambda m: _("no authenticator is enrolled for this account"),
    ),
    (
        re.compile(r"^an authenticator is already enrolled$"),
        lambda m: _("an authenticator is already enrolled"),
    ),
    (
        re.compile(r"^CURP must have 18 characters, not (\d+)$"),
        lambda m: _("a CURP has 18 characters, not %(n)s", n=m[1]),
    ),
    (
        re.compile(r"^CURP format is wrong.*$"),
        lambda m: _(
            "the CURP format is wrong: 4 letters, 6 digits, 6 letters, "
            "a letter or digit, and a digit"
        ),
    ),
    (
        re.compile(r"^.*check digit.*$", re.IGNORECASE),
        lambda m: _("the CURP check digit does not match: check for a typing error"),
    ),
    (re.compile(r"^.*(CURP|curp).*$"), lambda m: _("this is not a valid CURP")),
]


def translate_message(message: str) -> str:
    """A registry message in the request's language (unknown ones stay as they are).

    A ValidationFailed said as one string ("field: message; field: message") is translated
    problem by problem, with each field under its translated label.
    """
    for pattern, render in (*_PATTERNS, *DOMAIN_PATTERNS):
        match = pattern.match(message)
        if match:
            return render(match)
    parts = [_FIELD_PROBLEM.match(part) for part in _PROBLEM_SEPARATOR.split(message)]
    if all(p and p[1].split(".")[0] in FIELD_LABELS for p in parts):
        return "; ".join(f"{field_label(p[1])}: {translate_message(p[2])}" for p in parts if p)
    return message


_FIELD_PROBLEM = re.compile(r"^([a-z_]+(?:\.[a-z0-9_]+)*): (.+)$", re.DOTALL)
_PROBLEM_SEPARATOR = re.compile(r"; (?=[a-z_]+(?:\.[a-z0-9_]+)*: )")


def field_label(name: str) -> str:
    label = FIELD_LABELS.get(name.split(".")[0])
    return str(label) if label is not None else name


def field_errors(problems: Iterable[FieldProblem]) -> dict[str, list[str]]:
    """Problems grouped by form field, translated, for display beside each field."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        key = problem.field.split(".")[0]
        errors.setdefault(key, []).append(translate_message(problem.message))
    return errors
