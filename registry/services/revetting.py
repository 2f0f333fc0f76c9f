"""Random re-vetting draws that nobody can steer, and that an auditor can recompute.

1. `open_draw` fixes the roster: eligible official ids and weights are stored and their
   SHA-256 digest is written to the audit log. One draw per period and scope, ever.
2. An officer of each country commits to a secret (SHA-256 of 32 random bytes); both
   commitments are recorded before either secret may be revealed.
3. Once both secrets are revealed, seed = SHA-256(domain, draw id, roster digest, MX secret,
   US secret): fixed after the roster and outside any one person's control.
4. Selection (`select_officials`, pure): systematic probability-proportional-to-weight
   sampling over the roster in seeded-hash order, in integers. Exactly round(rate × N)
   officials; each is selected with probability k·w/W (weights capped at certainty).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import select, text

from registry.errors import Conflict, NotFound, PermissionDenied
from registry.models import (
    AuditEvent,
    RevetContribution,
    RevetDraw,
    RevetRosterEntry,
    RevetSelection,
    TaskForce,
)
from registry.models.base import new_id
from registry.models.enums import Country
from registry.policy import NO_TARGET, Actor, Permission, Target, can
from registry.services import recertification
from registry.services.common import agency_by_code, load
from registry.services.validation import Problems
from registry.uow import UnitOfWork

ALGORITHM = "pps-systematic-sha256-v1"
DEFAULT_WEIGHTS = {"base": 1, "task_force": 3, "senior": 2, "senior_seniority": 7}
_PERIOD = re.compile(r"^(20\d\d)-(0[1-9]|1[0-2])$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
COUNTRIES = (Country.MX.value, Country.US.value)


# --- pure functions: digests, seed, selection ----------------------------------------------


def roster_digest(roster: Iterable[tuple[uuid.UUID, int]]) -> str:
    """SHA-256 over `id:weight` lines sorted by id (canonical lowercase UUIDs)."""
    digest = hashlib.sha256()
    for official_id, weight in sorted(roster, key=lambda r: str(r[0])):
        digest.update(f"{official_id}:{weight}\n".encode())
    return digest.hexdigest()


def selection_digest(selected: Iterable[uuid.UUID]) -> str:
    return hashlib.sha256(
        "".join(f"{o}\n" for o in sorted(map(str, selected))).encode()
    ).hexdigest()


def commitment_of(secret_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(secret_hex)).hexdigest()


def derive_seed(draw_id: uuid.UUID, digest: str, reveals: dict[str, str]) -> str:
    parts = [ALGORITHM, str(draw_id), digest] + [f"{c}:{reveals[c]}" for c in sorted(reveals)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def sample_size(rate: Decimal, roster_size: int) -> int:
    if roster_size == 0:
        return 0
    k = int((rate * roster_size).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return min(roster_size, max(1, k))


def select_officials(seed: str, roster: Sequence[tuple[uuid.UUID, int]], k: int) -> list[uuid.UUID]:
    """Deterministic weighted sample of `k` from `roster`, from `seed` alone."""
    key = bytes.fromhex(seed)
    ordered = sorted(roster, key=lambda r: hashlib.sha256(key + r[0].bytes).digest())
    chosen: list[uuid.UUID] = []
    remaining, total = list(ordered), sum(w for _, w in ordered)
    # Officials whose share would exceed one are taken with certainty.
    while k > 0 and remaining:
        certain = [r for r in remaining if k * r[1] >= total]
        if not certain:
            break
        for official_id, weight in certain[:k]:
            chosen.append(official_id)
            k, total = k - 1, total - weight
        taken = {c[0] for c in certain}
        remaining = [r for r in remaining if r[0] not in taken]
    if k <= 0 or not remaining:
        return chosen
    start = int.from_bytes(hashlib.sha256(key + b"start").digest(), "big") % total
    point, cumulative = start, 0
    for official_id, weight in remaining:
        cumulative += k * weight
        if point < cumulative:
            chosen.append(official_id)
            point += total
    return chosen


# --- opening a draw ------------------------------------------------------------------------


@dataclass(frozen=True)
class DrawView:
    id: uuid.UUID
    period: str
    scope: str
    rate: str
    status: str
    roster_size: int
    roster_digest: str
    sample_size: int
    seed: str | None
    committed: tuple[str, ...]
    revealed: tuple[str, ...]
    selected: tuple[uuid.UUID, ...] = ()


def _scope(
    uow: UnitOfWork,
    actor: Actor,
    problems: Problems,
    raw: str | None,
) -> tuple[str, str, object]:
    """Normalised scope, the SQL condition on recert_schedule (alias s) and its `:arg`."""
    value = (raw or f"country:{actor.country}").strip()
    kind, _, arg = value.partition(":")
    kind, arg = kind.lower(), arg.strip().upper()
    if kind == "country" and arg in COUNTRIES:
        if arg != actor.country:
            problems.add("scope", "you may draw only among your own country's officials")
        return f"country:{arg}", "s.country = :arg", arg
    if kind == "agency":
        agency = agency_by_code(uow, arg)
        if agency is None:
            problems.add("scope", f"agency {arg!r} does not exist")
            return value, "", None
        if agency.country != actor.country:
            problems.add("scope", "you may draw only among your own country's agencies")
        return f"agency:{agency.code}", "s.agency_id = :arg", _uuid_sql(uow, agency.id)
    if kind == "taskforce":
        task_force = uow.session.scalar(select(TaskForce).where(TaskForce.code == arg))
        if task_force is None:
            problems.add("scope", f"task force {arg!r} does not exist")
            return value, "", None
        if not task_force.joint and task_force.host_country != actor.country:
            problems.add("scope", "this task force belongs to the other country")
        return (
            f"taskforce:{arg}",
            (
                "s.official_id IN (SELECT official_id FROM task_force_memberships "
                "WHERE left_on IS NULL AND task_force_id = :arg)"
            ),
            _uuid_sql(uow, task_force.id),
        )
    problems.add("scope", "expected country:MX|US, agency:CODE or taskforce:CODE")
    return value, "", None


def _uuid_sql(uow: UnitOfWork, value: uuid.UUID) -> object:
    return value if uow.session.get_bind().dialect.name == "postgresql" else value.hex


_ROSTER = """
INSERT INTO revet_roster (draw_id, official_id, weight)
SELECT :draw, s.official_id,
    :base * (CASE WHEN s.task_force = {true} THEN :tf ELSE 1 END)
          * (CASE WHEN COALESCE(sen.level, 0) >= :threshold OR m.official_id IS NOT NULL
                  THEN :senior ELSE 1 END)
FROM recert_schedule s
LEFT JOIN (SELECT official_id, MAX(seniority) AS level FROM employments
           WHERE ended_on IS NULL GROUP BY official_id) sen ON sen.official_id = s.official_id
LEFT JOIN (SELECT DISTINCT official_id FROM task_force_memberships
           WHERE left_on IS NULL AND senior = {true}) m ON m.official_id = s.official_id
WHERE s.standing <> 'listed' AND {condition}
"""


def open_draw(
    uow: UnitOfWork,
    actor: Actor,
    *,
    period: str,
    rate: str | Decimal,
    scope: str | None = None,
    weights: dict[str, int] | None = None,
) -> uuid.UUID:
    """Fix and commit the roster of a draw; the seed comes later, from both countries."""
    with uow:
        uow.require(actor, Permission.REVET_DRAW, NO_TARGET, action="revet.open")
        problems = Problems()
        if not _PERIOD.match(period or ""):
            problems.add("period", "expected a month as YYYY-MM, e.g. 2026-12")
        try:
            clean_rate = Decimal(str(rate))
            if not Decimal("0") < clean_rate <= Decimal("1"):
                raise InvalidOperation
        except InvalidOperation:
            problems.add("rate", "expected a fraction above 0 and at most 1, e.g. 0.05")
            clean_rate = Decimal(0)
        clean_weights = {**DEFAULT_WEIGHTS, **(weights or {})}
        if set(clean_weights) != set(DEFAULT_WEIGHTS) or not all(
            isinstance(v, int) and 1 <= v <= 100 for v in clean_weights.values()
        ):
            problems.add("weights", f"integers 1-100 for: {', '.join(DEFAULT_WEIGHTS)}")
        clean_scope, condition, arg = _scope(uow, actor, problems, scope)
        problems.check()
        existing = uow.session.scalar(
            select(RevetDraw.id).where(RevetDraw.period == period, RevetDraw.scope == clean_scope)
        )
        if existing:
            raise Conflict(
                f"a draw for {period} ({clean_scope}) already exists: {existing}; "
                "a draw cannot be repeated"
            )
        recertification.rebuild_schedule(uow.session, uow.clock())
        draw = RevetDraw(
            id=new_id(),
            period=period,
            scope=clean_scope,
            rate=str(clean_rate),
            weights=clean_weights,
            status="committing",
            roster_size=0,
            roster_digest="",
            sample_size=0,
            created_at=uow.clock(),
            created_by=actor.user_id,
        )
        uow.session.add(draw)
        uow.session.flush()
        dialect = uow.session.get_bind().dialect.name
        uow.session.execute(
            text(
                _ROSTER.format(true="true" if dialect == "postgresql" else "1", condition=condition)
            ),
            {
                "draw": draw.id if dialect == "postgresql" else draw.id.hex,
                "base": clean_weights["base"],
                "tf": clean_weights["task_force"],
                "senior": clean_weights["senior"],
                "threshold": clean_weights["senior_seniority"],
                "arg": arg,
            },
        )
        roster = load_roster(uow, draw.id)
        draw.roster_size, draw.roster_digest = len(roster), roster_digest(roster)
        draw.sample_size = sample_size(clean_rate, len(roster))
        uow.audit.append(
            actor,
            "revet.commit_roster",
            object_type="revet_draw",
            object_id=draw.id,
            details={
                "period": period,
                "scope": clean_scope,
                "rate": str(clean_rate),
                "weights": json.dumps(clean_weights, sort_keys=True),
                "algorithm": ALGORITHM,
                "roster_size": len(roster),
                "roster_digest": draw.roster_digest,
                "sample_size": draw.sample_size,
            },
        )
        uow.commit()
        return draw.id


def load_roster(uow: UnitOfWork, draw_id: uuid.UUID) -> list[tuple[uuid.UUID, int]]:
    return [
        (o, w)
        for o, w in uow.session.execute(
            select(RevetRosterEntry.official_id, RevetRosterEntry.weight).where(
                RevetRosterEntry.draw_id == draw_id
            )
        )
    ]


def _load_draw(uow: UnitOfWork, draw_id: uuid.UUID | str) -> RevetDraw:
    draw = load(uow, RevetDraw, draw_id, "draw")
    assert isinstance(draw, RevetDraw)
    return draw


def _contributions(uow: UnitOfWork, draw_id: uuid.UUID) -> dict[str, RevetContribution]:
    return {
        c.country: c
        for c in uow.session.scalars(
            select(RevetContribution).where(RevetContribution.draw_id == draw_id)
        )
    }


def _require_officer(uow: UnitOfWork, actor: Actor, draw: RevetDraw, action: str) -> str:
    uow.require(
        actor,
        Permission.REVET_DRAW,
        Target(country=actor.country),
        action=action,
        object_type="revet_draw",
        object_id=draw.id,
    )
    if actor.country is None:
        raise PermissionDenied("only a vetting officer of a country may contribute to a draw")
    return str(actor.country)


def commit_secret(uow: UnitOfWork, actor: Actor, draw_id: uuid.UUID | str, commitment: str) -> str:
    """Record one country's commitment (SHA-256 of its secret); returns the draw's status."""
    with uow:
        draw = _load_draw(uow, draw_id)
        country = _require_officer(uow, actor, draw, "revet.commit")
        problems = Problems()
        clean = (commitment or "").strip().lower()
        if not _HEX64.match(clean):
            problems.add("commitment", "expected 64 hexadecimal characters (a SHA-256 digest)")
        problems.check()
        contributions = _contributions(uow, draw.id)
        if draw.status != "committing":
            raise Conflict(f"draw {draw.id} no longer takes commitments (it is {draw.status})")
        if country in contributions:
            raise Conflict(f"{country} has already committed to draw {draw.id}")
        uow.session.add(
            RevetContribution(
                draw_id=draw.id,
                country=country,
                user_id=actor.user_id,
                commitment=clean,
                committed_at=uow.clock(),
            )
        )
        if set(contributions) | {country} >= set(COUNTRIES):
            draw.status = "revealing"
        uow.audit.append(
            actor,
            "revet.commit",
            object_type="revet_draw",
            object_id=draw.id,
            details={"country": country, "commitment": clean},
        )
        uow.commit()
        return draw.status


def reveal_secret(uow: UnitOfWork, actor: Actor, draw_id: uuid.UUID | str, secret: str) -> str:
    """Reveal a committed secret; the second reveal performs the draw. Returns the status."""
    with uow:
        draw = _load_draw(uow, draw_id)
        country = _require_officer(uow, actor, draw, "revet.reveal")
        problems = Problems()
        clean = (secret or "").strip().lower()
        if not _HEX64.match(clean):
            problems.add("secret", "expected 64 hexadecimal characters")
        problems.check()
        if draw.status == "committing":
            raise Conflict("both countries must commit before either reveals")
        if draw.status != "revealing":
            raise Conflict(f"draw {draw.id} is {draw.status}")
        contributions = _contributions(uow, draw.id)
        mine = contributions[country]
        if mine.reveal is not None:
            raise Conflict(f"{country} has already revealed")
        if mine.user_id != actor.user_id:
            raise PermissionDenied("only the officer who committed may reveal")
        if commitment_of(clean) != mine.commitment:
            problems.add("secret", "does not match the recorded commitment")
            problems.check()
        mine.reveal, mine.revealed_at = clean, uow.clock()
        uow.audit.append(
            actor,
            "revet.reveal",
            object_type="revet_draw",
            object_id=draw.id,
            details={"country": country, "secret": clean},
        )
        if all(c.reveal for c in contributions.values()):
            _perform(uow, actor, draw, {c: contributions[c].reveal or "" for c in contributions})
        uow.commit()
        return draw.status


def _perform(uow: UnitOfWork, actor: Actor, draw: RevetDraw, reveals: dict[str, str]) -> None:
    seed = derive_seed(draw.id, draw.roster_digest, reveals)
    chosen = select_officials(seed, load_roster(uow, draw.id), draw.sample_size)
    uow.session.add_all(RevetSelection(draw_id=draw.id, official_id=o) for o in chosen)
    draw.seed, draw.selection_digest = seed, selection_digest(chosen)
    draw.status, draw.drawn_at = "drawn", uow.clock()
    uow.audit.append(
        actor,
        "revet.draw",
        object_type="revet_draw",
        object_id=draw.id,
        details={"seed": seed, "selected": len(chosen), "selection_digest": draw.selection_digest},
    )


def get_draw(uow: UnitOfWork, actor: Actor, draw_id: uuid.UUID | str) -> DrawView:
    """A draw, its progress and (once drawn) who was selected."""
    with uow:
        draw = _load_draw(uow, draw_id)
        uow.require(
            actor,
            Permission.REVET_DRAW,
            NO_TARGET,
            action="revet.read",
            object_type="revet_draw",
            object_id=draw.id,
        )
        contributions = _contributions(uow, draw.id)
        selected = tuple(
            sorted(
                uow.session.scalars(
                    select(RevetSelection.official_id).where(RevetSelection.draw_id == draw.id)
                ),
                key=str,
            )
        )
        return DrawView(
            draw.id,
            draw.period,
            draw.scope,
            draw.rate,
            draw.status,
            draw.roster_size,
            draw.roster_digest,
            draw.sample_size,
            draw.seed,
            tuple(sorted(contributions)),
            tuple(sorted(c for c, v in contributions.items() if v.reveal)),
            selected,
        )


# --- verification --------------------------------------------------------------------------


@dataclass
class Verification:
    draw_id: uuid.UUID
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    selected: list[uuid.UUID] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.ok = False
        self.problems.append(message)


def verify_draw(uow: UnitOfWork, actor: Actor, draw_id: uuid.UUID | str) -> Verification:
    """Recompute a draw from its audit events and the committed roster; report any mismatch."""
    with uow:
        permission = (
            Permission.AUDIT_READ if can(actor, Permission.AUDIT_READ) else Permission.REVET_DRAW
        )
        uow.require(actor, permission, NO_TARGET, action="revet.verify")
        clean_id = uuid.UUID(str(draw_id)) if _is_uuid(draw_id) else None
        events = (
            []
            if clean_id is None
            else list(
                uow.session.scalars(
                    select(AuditEvent)
                    .where(
                        AuditEvent.object_type == "revet_draw",
                        AuditEvent.object_id == str(clean_id),
                        AuditEvent.outcome == "success",
                    )
                    .order_by(AuditEvent.seq)
                )
            )
        )
        if clean_id is None or not events:
            raise NotFound(f"draw {draw_id} has no audit record")
        report = _verify(uow, clean_id, events)
        uow.audit.append(
            actor,
            "revet.verify",
            object_type="revet_draw",
            object_id=clean_id,
            details={"ok": report.ok},
        )
        uow.commit()
        return report


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _verify(uow: UnitOfWork, draw_id: uuid.UUID, events: list[AuditEvent]) -> Verification:
    report = Verification(draw_id)
    by_action: dict[str, list[tuple[int, dict[str, object]]]] = {}
    for event in events:
        by_action.setdefault(event.action, []).append((event.seq, json.loads(event.details)))
    opened = by_action.get("revet.commit_roster", [])
    if len(opened) != 1:
        report.fail("the audit log does not hold exactly one roster commitment")
        return report
    open_seq, facts = opened[0]
    roster = load_roster(uow, draw_id)
    digest = roster_digest(roster)
    if digest != facts["roster_digest"] or len(roster) != facts["roster_size"]:
        report.fail(
            f"the roster changed after it was committed: {len(roster)} officials with "
            f"digest {digest}, committed {facts['roster_size']} with {facts['roster_digest']}"
        )
    else:
        report.checks.append(f"roster of {len(roster)} matches the committed digest {digest}")
    commits = {
        str(d["country"]): (seq, str(d["commitment"]))
        for seq, d in by_action.get("revet.commit", [])
    }
    reveals = {
        str(d["country"]): (seq, str(d["secret"])) for seq, d in by_action.get("revet.reveal", [])
    }
    if set(commits) != set(COUNTRIES):
        report.fail("the draw lacks a commitment from each country")
        return report
    if any(seq < open_seq for seq, _ in commits.values()):
        report.fail("a commitment predates the roster commitment")
    if reveals and min(seq for seq, _ in reveals.values()) < max(
        seq for seq, _ in commits.values()
    ):
        report.fail("a secret was revealed before both commitments were recorded")
    if set(reveals) != set(COUNTRIES):
        report.checks.append("waiting for both secrets to be revealed")
        return report
    for country, (_seq, secret) in reveals.items():
        if commitment_of(secret) != commits[country][1]:
            report.fail(f"{country}'s revealed secret does not match its commitment")
    seed = derive_seed(
        draw_id, str(facts["roster_digest"]), {c: s for c, (_q, s) in reveals.items()}
    )
    chosen = select_officials(seed, roster, int(str(facts["sample_size"])))
    report.selected = sorted(chosen, key=str)
    drawn = by_action.get("revet.draw", [])
    if not drawn:
        report.fail("the draw's result was never recorded")
        return report
    recorded = drawn[0][1]
    if recorded["seed"] != seed:
        report.fail("the recorded seed differs from the one the secrets give")
    if recorded["selection_digest"] != selection_digest(chosen):
        report.fail("the recorded selection differs from the recomputed one")
    stored = list(
        uow.session.scalars(
            select(RevetSelection.official_id).where(RevetSelection.draw_id == draw_id)
        )
    )
    if selection_digest(stored) != selection_digest(chosen):
        report.fail("the stored list of selected officials differs from the recomputed one")
    if report.ok:
        report.checks.append(f"seed {seed} and selection of {len(chosen)} recomputed and matched")
    return report


def list_draws(uow: UnitOfWork, actor: Actor, *, limit: int = 50) -> list[DrawView]:
    """Recent draws, newest first."""
    with uow:
        uow.require(actor, Permission.REVET_DRAW, NO_TARGET, action="revet.list")
        rows = list(
            uow.session.scalars(
                select(RevetDraw).order_by(RevetDraw.created_at.desc()).limit(limit)
            )
        )
        views = []
        for d in rows:
            contributions = _contributions(uow, d.id)
            views.append(
                DrawView(
                    d.id,
                    d.period,
                    d.scope,
                    d.rate,
                    d.status,
                    d.roster_size,
                    d.roster_digest,
                    d.sample_size,
                    d.seed,
                    tuple(sorted(contributions)),
                    tuple(sorted(c for c, v in contributions.items() if v.reveal)),
                )
            )
        return views
