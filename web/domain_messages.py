"""Patterns for the registry's domain error messages that reach a page (lifecycle, audit,
accounts, screening, keys and retention), so that `web.i18n.translate_message` shows them
in the request's language. The registry core keeps speaking English.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from web.labels import term

Render = Callable[[re.Match[str]], str]
Pattern = tuple[re.Pattern[str], Render]


def _p(regex: str, render: Render) -> Pattern:
    return re.compile(f"^{regex}$"), render


# The rule texts of `registry.services.compliance.RULE_TEXT`, as a refused assignment says them.
_RULES: dict[str, Any] = {
    "is listed in the registry": _l("this official is listed in the registry"),
    "failed the latest evaluation": _l("this official failed the latest evaluation"),
    "refused the latest evaluation": _l("this official refused the latest evaluation"),
    "has never passed a vetting evaluation": _l(
        "this official has never passed a vetting evaluation"
    ),
    "has a pass that expired": _l("this official's pass has expired"),
}


def _rule(text: str) -> str:
    found = _RULES.get(text)
    return str(found) if found is not None else text


_TASK_FORCES: list[Pattern] = [
    _p(
        r"(.+); only an approved commission override waiving this member allows the assignment",
        lambda m: _(
            "%(rule)s; only an approved commission override waiving this member allows the "
            "assignment",
            rule=_rule(m[1]),
        ),
    ),
    _p(
        r"task force (\S+) already exists",
        lambda m: _("task force %(code)s already exists", code=m[1]),
    ),
    _p(
        r"task force (\S+) does not exist",
        lambda m: _("task force %(code)s does not exist", code=m[1].strip("'")),
    ),
    _p(
        r"this official is already on the roster",
        lambda m: _("this official is already on the roster"),
    ),
    _p(r"this official is not on the roster", lambda m: _("this official is not on the roster")),
]

_OVERRIDES: list[Pattern] = [
    _p(r"name at least one department", lambda m: _("name at least one department")),
    _p(
        r"must be between (\d+) and (\d+) days",
        lambda m: _("must be between %(a)s and %(b)s days", a=m[1], b=m[2]),
    ),
    _p(
        r"override request (\S+) lapsed unanswered on (\S+)",
        lambda m: _("the override request lapsed unanswered on %(date)s", date=m[2]),
    ),
    _p(
        r"override request (\S+) is (\S+); voting is closed",
        lambda m: _(
            "the override request is %(status)s; voting is closed",
            status=term("override_status", m[2]).lower(),
        ),
    ),
    _p(
        r"you have already voted on this request",
        lambda m: _("you have already voted on this request"),
    ),
    _p(
        r"the requester of an override cannot vote on it",
        lambda m: _("the requester of an override cannot vote on it"),
    ),
    _p(
        r"your department is not among those this override requires",
        lambda m: _("your department is not among those this override requires"),
    ),
]

_SCHEDULE_AND_DRAWS: list[Pattern] = [
    _p(
        r"expected a number of days such as 30d, 12w or 6m \(at most 10 years\)",
        lambda m: _("expected a period such as 30d, 12w or 6m (at most 10 years)"),
    ),
    _p(r"there is no such rule to remove", lambda m: _("there is no such rule to remove")),
    _p(
        r"expected country:MX\|US, agency:CODE or taskforce:CODE",
        lambda m: _("expected country:MX|US, agency:CODE or taskforce:CODE"),
    ),
    _p(
        r"you may draw only among your own country's officials",
        lambda m: _("you may draw only among your own country's officials"),
    ),
    _p(
        r"you may draw only among your own country's agencies",
        lambda m: _("you may draw only among your own country's agencies"),
    ),
    _p(
        r"this task force belongs to the other country",
        lambda m: _("this task force belongs to the other country"),
    ),
    _p(
        r"expected a month as YYYY-MM, e\.g\. (\S+)",
        lambda m: _("expected a month as YYYY-MM, e.g. %(example)s", example=m[1]),
    ),
    _p(
        r"expected a fraction above 0 and at most 1, e\.g\. (\S+)",
        lambda m: _("expected a fraction above 0 and at most 1, e.g. %(example)s", example=m[1]),
    ),
    _p(r"integers 1-100 for: (.+)", lambda m: _("integers 1-100 for: %(names)s", names=m[1])),
    _p(
        r"a draw for (\S+) \((.+)\) already exists: (\S+); a draw cannot be repeated",
        lambda m: _(
            "a draw for %(period)s (%(scope)s) already exists; a draw cannot be repeated",
            period=m[1],
            scope=m[2],
        ),
    ),
    _p(
        r"expected 64 hexadecimal characters \(a SHA-256 digest\)",
        lambda m: _("expected 64 hexadecimal characters (a SHA-256 digest)"),
    ),
    _p(r"expected 64 hexadecimal characters", lambda m: _("expected 64 hexadecimal characters")),
    _p(
        r"draw (\S+) no longer takes commitments \(it is (\S+)\)",
        lambda m: _(
            "this draw no longer takes commitments (%(status)s)",
            status=term("draw_status", m[2]).lower(),
        ),
    ),
    _p(
        r"(\S+) has already committed to draw (\S+)",
        lambda m: _("%(country)s has already committed to this draw", country=m[1]),
    ),
    _p(
        r"both countries must commit before either reveals",
        lambda m: _("both countries must commit before either reveals"),
    ),
    _p(
        r"draw (\S+) is (\S+)",
        lambda m: _("this draw is %(status)s", status=term("draw_status", m[2]).lower()),
    ),
    _p(
        r"(\S+) has already revealed", lambda m: _("%(country)s has already revealed", country=m[1])
    ),
    _p(
        r"does not match the recorded commitment",
        lambda m: _("does not match the recorded commitment"),
    ),
]

_ACCOUNTS_AND_AGENCIES: list[Pattern] = [
    _p(r"at least one role is required", lambda m: _("at least one role is required")),
    _p(
        r"3-64 characters: lower-case letters, digits, '\.', '_' or '-'",
        lambda m: _("3-64 characters: lower-case letters, digits, '.', '_' or '-'"),
    ),
    _p(r"user '?([^' ]+)'? already exists", lambda m: _("user %(name)s already exists", name=m[1])),
    _p(r"you cannot disable your own account", lambda m: _("you cannot disable your own account")),
    _p(r"a user must keep at least one role", lambda m: _("a user must keep at least one role")),
    _p(r"name the user the token is for", lambda m: _("name the user the token is for")),
    _p(
        r"must look like MX-GN or US-DEA \(country, hyphen, letters/digits\)",
        lambda m: _("must look like MX-GN or US-DEA (country, hyphen, letters/digits)"),
    ),
    _p(
        r"must start with (\S+)- for that country",
        lambda m: _("must start with %(prefix)s- for that country", prefix=m[1]),
    ),
    _p(
        r"agency '?([^' ]+)'? already exists",
        lambda m: _("agency %(code)s already exists", code=m[1]),
    ),
    _p(r"is not an e-mail address", lambda m: _("is not an e-mail address")),
    _p(
        r"only a signed-in user has an account to change",
        lambda m: _("only a signed-in user has an account to change"),
    ),
]

_SCREENING_AND_ENTRIES: list[Pattern] = [
    _p(
        r"is empty: send at least one candidate",
        lambda m: _("is empty: send at least one candidate"),
    ),
    _p(
        r"has (\d+) candidates; send at most (\d+) per request",
        lambda m: _("has %(n)s candidates; send at most %(max)s per request", n=m[1], max=m[2]),
    ),
    _p(
        r"is not the identity that was screened; send the same fields as in the screening",
        lambda m: _(
            "is not the identity that was screened; send the same fields as in the screening"
        ),
    ),
    _p(
        r"entry (\S+) is no longer in force \((\S+)\)",
        lambda m: _("the entry is no longer in force (%(status)s)", status=m[2]),
    ),
    _p(
        r"confirmation of this hit was already requested \((\S+)\)",
        lambda m: _("confirmation of this hit was already requested (%(status)s)", status=m[1]),
    ),
    _p(
        r"this request was already answered \((\S+)\)",
        lambda m: _("this request was already answered (%(answer)s)", answer=m[1]),
    ),
    _p(
        r"this request was already decided \((\S+)\)",
        lambda m: _("this request was already decided (%(decision)s)", decision=m[1]),
    ),
    _p(
        r"(\S+) already listed case (.+)",
        lambda m: _("%(agency)s already listed case %(case)s", agency=m[1], case=m[2]),
    ),
    _p(r"a country is required", lambda m: _("a country is required")),
    _p(r"cannot be before started_on", lambda m: _("cannot be before the start date")),
    _p(
        r"must be between 0 \(entry level\) and 10 \(head of agency\)",
        lambda m: _("must be between 0 (entry level) and 10 (head of agency)"),
    ),
    _p(
        r"(.+) was changed by someone else \(you edited version (\d+), it is now at version "
        r"(\d+)\); reload it and apply your change again",
        lambda m: _(
            "this record was changed by someone else (you edited version %(old)s, it is "
            "now at version %(new)s); reload it and apply your change again",
            old=m[2],
            new=m[3],
        ),
    ),
]

_RETENTION_AND_KEYS: list[Pattern] = [
    _p(r"must be a whole number of years", lambda m: _("must be a whole number of years")),
    _p(
        r"this entry was already shredded; there is nothing left to hold",
        lambda m: _("this entry was already shredded; there is nothing left to hold"),
    ),
    _p(
        r"this legal hold was already released", lambda m: _("this legal hold was already released")
    ),
    _p(
        r"data key (\S+) was destroyed \(record shredded\)",
        lambda m: _("this record was shredded: its data key was destroyed"),
    ),
    _p(
        r"data key of (\S+) (\S+) is missing", lambda m: _("the data key of this record is missing")
    ),
    _p(
        r"ciphertext of (.+) is malformed",
        lambda m: _("a stored field of this record is malformed"),
    ),
    _p(
        r"ciphertext of (.+) does not authenticate: .*",
        lambda m: _(
            "a stored field of this record does not authenticate: it was altered, "
            "moved, or its key was replaced"
        ),
    ),
    _p(
        r"key secrets missing \((.+)\); run 'vetreg init' first",
        lambda m: _(
            "the registry's key secrets are missing (%(names)s); run 'vetreg init' first",
            names=m[1],
        ),
    ),
    _p(
        r"no (\S+) secret of version (\d+)",
        lambda m: _("no %(name)s secret of version %(v)s", name=m[1], v=m[2]),
    ),
    _p(
        r"key file (.+) not found; run 'vetreg init' to create it",
        lambda m: _("key file %(path)s not found; run 'vetreg init' to create it", path=m[1]),
    ),
    _p(
        r"the active key-encryption key cannot be retired",
        lambda m: _("the active key-encryption key cannot be retired"),
    ),
    _p(
        r"data key does not unwrap under (.+)",
        lambda m: _("a data key does not unwrap under key %(kek)s", kek=m[1]),
    ),
]

_AUDIT: list[Pattern] = [
    _p(r"must be MX or US", lambda m: _("must be MX or US")),
    _p(r"must not be before since", lambda m: _("must not be before the start date")),
    _p(r"must be (\d+) or more", lambda m: _("must be %(n)s or more", n=m[1])),
    _p(r"must be a user id \(UUID\)", lambda m: _("must be a user id (UUID)")),
    _p(
        r"give an event id \(UUID\) or seq number",
        lambda m: _("give an event id (UUID) or sequence number"),
    ),
    _p(r"must be csv or jsonl", lambda m: _("must be csv or jsonl")),
    _p(
        r"must not exceed the latest checkpoint's size \((\d+)\)",
        lambda m: _("must not exceed the latest checkpoint's size (%(n)s)", n=m[1]),
    ),
    _p(r"no checkpoint has been issued yet", lambda m: _("no checkpoint has been issued yet")),
    _p(
        r"appended after the latest checkpoint \((\d+), size (\d+)\); it is proven once the next "
        r"one is issued",
        lambda m: _(
            "appended after the latest checkpoint (%(n)s, size %(size)s); it is proven "
            "once the next one is issued",
            n=m[1],
            size=m[2],
        ),
    ),
    _p(
        r"no witness key configured for (\S+)",
        lambda m: _("no witness key configured for %(country)s", country=m[1]),
    ),
    _p(
        r"events? ([\d-]+) missing: the log jumps from seq (\d+) to (\d+) \(removed\)",
        lambda m: _(
            "event(s) %(seqs)s missing: the log jumps from %(a)s to %(b)s (removed)",
            seqs=m[1],
            a=m[2],
            b=m[3],
        ),
    ),
    _p(
        r"event (\d+) \(id (\S+)\) is out of order: found where seq (\d+) belongs "
        r"\(reordered or duplicated\)",
        lambda m: _(
            "event %(seq)s (id %(id)s) is out of order: found where event %(at)s belongs "
            "(reordered or duplicated)",
            seq=m[1],
            id=m[2],
            at=m[3],
        ),
    ),
    _p(
        r"event (\d+) \(id (\S+)\) does not follow event (\d+): .*",
        lambda m: _(
            "event %(seq)s (id %(id)s) does not follow event %(prev)s: its link to the "
            "previous event is broken (reordered, removed or inserted)",
            seq=m[1],
            id=m[2],
            prev=m[3],
        ),
    ),
    _p(
        r"event (\d+) \(id (\S+)\) was altered: its content no longer matches its hash",
        lambda m: _(
            "event %(seq)s (id %(id)s) was altered: its content no longer matches its hash",
            seq=m[1],
            id=m[2],
        ),
    ),
    _p(
        r"checkpoint (\d+): cosignature from (\S+), whose witness key is not configured",
        lambda m: _(
            "checkpoint %(n)s: cosignature from %(country)s, whose witness key is not configured",
            n=m[1],
            country=m[2],
        ),
    ),
    _p(
        r"checkpoint (\d+): (\S+) cosignature malformed .*",
        lambda m: _(
            "checkpoint %(n)s: the cosignature of %(country)s is malformed", n=m[1], country=m[2]
        ),
    ),
    _p(
        r"checkpoint (\d+): (\S+) cosignature does not verify with that witness's key",
        lambda m: _(
            "checkpoint %(n)s: the cosignature of %(country)s does not verify with that "
            "witness's key",
            n=m[1],
            country=m[2],
        ),
    ),
    _p(
        r"checkpoint (\d+) names origin (.+), not (.+)",
        lambda m: _(
            "checkpoint %(n)s names origin %(found)s, not %(expected)s",
            n=m[1],
            found=m[2],
            expected=m[3],
        ),
    ),
    _p(
        r"checkpoint (\d+): stored size/root differ from the signed note",
        lambda m: _(
            "checkpoint %(n)s: the stored size or root differs from the signed note", n=m[1]
        ),
    ),
    _p(
        r"checkpoint (\d+): log signature does not verify .*",
        lambda m: _("checkpoint %(n)s: the log signature does not verify", n=m[1]),
    ),
    _p(
        r"checkpoint (\d+) has size (\d+), smaller than the (\d+) of an earlier checkpoint "
        r"\(rollback\)",
        lambda m: _(
            "checkpoint %(n)s has size %(size)s, smaller than the %(earlier)s of an "
            "earlier checkpoint (rollback)",
            n=m[1],
            size=m[2],
            earlier=m[3],
        ),
    ),
    _p(
        r"checkpoint (\d+) covers (\d+) events but the log holds (\d+): .*",
        lambda m: _(
            "checkpoint %(n)s covers %(size)s events but the log holds %(held)s: the "
            "log was truncated",
            n=m[1],
            size=m[2],
            held=m[3],
        ),
    ),
    _p(
        r"checkpoint (\d+) \(size (\d+)\): the events no longer produce its signed root; .*",
        lambda m: _(
            "checkpoint %(n)s (size %(size)s): the events no longer produce its signed "
            "root; an event it covers was altered, removed or reordered",
            n=m[1],
            size=m[2],
        ),
    ),
]

DOMAIN_PATTERNS: list[Pattern] = [
    *_TASK_FORCES,
    *_OVERRIDES,
    *_SCHEDULE_AND_DRAWS,
    *_ACCOUNTS_AND_AGENCIES,
    *_SCREENING_AND_ENTRIES,
    *_RETENTION_AND_KEYS,
    *_AUDIT,
]
