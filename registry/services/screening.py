"""Screening a candidate before hiring or promotion: hit / no-hit through blind indexes.

How a screening runs (one unit of work, one transaction):

1. validate the query (same rules as a registered identity) and the purpose code;
2. compute the query's blocking keys (`identity.query_keys`) and their blind indexes
   under every index key version still held, and fetch the matching index rows in ONE
   query (`kind IN (...) AND key_version IN (...) AND digest IN (...)`, served by
   `ix_official_index_lookup`), keeping only exact (kind, version, digest) triples;
3. load the candidates that have an entry in force (active or under appeal, within
   retention, not shredded) with their data keys and originating agencies in one more
   query; officials without such an entry are never decrypted;
4. decrypt each candidate in memory (birth date, sex and CURP first; the names only when
   they can change the match), score it (`identity.score`) and report every entry of a
   candidate that reaches `possible` or better;
5. store the screening (purpose, requesting agency, keyed fingerprint of the query,
   outcome, number of candidates decrypted) with its hits, and append the audit event.

A batch of `PARALLEL_MIN_ROWS` rows or more shares steps 2-4 with the worker processes
(`registry.workers`), which only read; this process records and audits every row.

Nothing here writes or logs a name: the audit event and the screening row hold the
query's keyed fingerprint (`Keyring.fingerprint`) and ids and codes only.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import bindparam, select

from registry.crypto import Keyring
from registry.errors import FieldProblem, NotFound
from registry.identity import (
    BLOCKING_SCHEME,
    Identity,
    Key,
    Match,
    NormalisedIdentity,
    normalise,
    normalise_without_names,
    query_keys,
    score,
    score_without_names,
)
from registry.models import Agency, AuditEvent, DataKey, Official, OfficialIndex, RegistryEntry
from registry.models.base import new_id
from registry.models.enums import Country, EntryReason, EntryStatus, HandlingCode
from registry.models.screening import (
    Screening,
    ScreeningHit,
    ScreeningOutcome,
    ScreeningPurpose,
)
from registry.policy import NO_TARGET, Actor, Permission, Target, can
from registry.services.common import parse_id
from registry.services.officials import OfficialInput, identity_from_values, validate_identity
from registry.services.staging import Staging
from registry.services.validation import Problems
from registry.uow import UnitOfWork
from registry.vault import SealedRecord, text_date
from registry.workers import collector_paused, worker_uow

IN_FORCE = (EntryStatus.ACTIVE, EntryStatus.UNDER_APPEAL)
MAX_BATCH_ROWS = 1000
# A batch of at least this many rows is shared with the worker processes (`registry.workers`).
PARALLEL_MIN_ROWS = 100
WORKER_TIMEOUT_SECONDS = 300
# This process's share of a shared batch, relative to a worker's (see `_find_hits`).
OWN_SHARE = 1.1
_LOOKUP_CHUNK = 500
_MAX_GROUPS = 24  # (kind, version) pairs in one index SELECT
_LEVEL_ORDER = {"exact": 0, "probable": 1, "possible": 2}


@dataclass(frozen=True)
class ScreeningInput:
    """A candidate as typed or read from a roster row (strings, validated here)."""

    given_names: str | None
    paternal_surname: str | None
    maternal_surname: str | None = None
    birth_date: str | dt.date | None = None
    sex: str | None = None
    curp: str | None = None
    row: int | None = None

    def __repr__(self) -> str:  # never print a candidate's identity by accident
        return f"<ScreeningInput row={self.row}>"


@dataclass(frozen=True)
class HitView:
    """One matched entry, as every screener may see it (no names)."""

    entry_id: uuid.UUID
    level: str
    score: float
    originating_agency: str
    originating_country: str
    reason: str
    status: str
    case_ref: str
    handling_code: HandlingCode
    detail_available: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScreeningResult:
    screening_id: uuid.UUID
    outcome: ScreeningOutcome
    purpose: ScreeningPurpose
    screened_at: dt.datetime
    candidates: int
    hits: list[HitView]
    row: int | None = None

    @property
    def is_hit(self) -> bool:
        return self.outcome is ScreeningOutcome.HIT


@dataclass(frozen=True)
class RowError:
    """A roster row that was not screened, with every problem found in it."""

    row: int
    problems: list[FieldProblem]


@dataclass(frozen=True)
class BatchResult:
    batch_id: uuid.UUID
    purpose: ScreeningPurpose
    results: list[ScreeningResult | RowError] = field(default_factory=list)


def query_fingerprint(uow: UnitOfWork, identity: Identity) -> str:
    """Keyed fingerprint of a normalised query: lets auditors link repeats, never reveals names."""
    return _fingerprint(uow, normalise(identity))


def _fingerprint(uow: UnitOfWork, n: NormalisedIdentity) -> str:
    parts = (
        " ".join(g.text for g in n.given),
        " ".join(n.paternal),
        " ".join(n.maternal),
        n.birth_date.isoformat() if n.birth_date else "",
        n.sex or "",
        n.curp or "",
    )
    return uow.keyring.fingerprint("screening.query", parts)


def validate_query(problems: Problems, data: ScreeningInput, today: dt.date) -> Identity:
    return validate_identity(
        problems,
        OfficialInput(
            data.given_names,
            data.paternal_surname,
            data.maternal_surname,
            data.birth_date,
            data.sex,
            data.curp,
        ),
        today,
    )


def parse_purpose(problems: Problems, purpose: str | None) -> ScreeningPurpose | None:
    return problems.choice("purpose", (purpose or "").strip().upper() or None, ScreeningPurpose)


def sealed(record: object) -> SealedRecord:
    """Models declare ENCRYPTED as a class constant; the vault's protocol reads it per record."""
    return cast(SealedRecord, record)


@dataclass(frozen=True, slots=True)
class _EntryRow:
    """What a hit reports of an entry in force (selected as plain columns)."""

    id: uuid.UUID
    reason: EntryReason
    status: EntryStatus
    case_ref: str
    handling_code: HandlingCode
    agency_id: uuid.UUID
    agency_code: str
    agency_country: Country


@dataclass
class _Candidate:
    official: Any  # a row of officials' id, version, data key and sealed columns
    entries: list[_EntryRow]


def index_probes(keyring: Keyring, query: NormalisedIdentity) -> set[tuple[str, int, int]]:
    """(kind, version, digest) of the query's keys under each index version in use, probing
    what each version's blocking scheme stored."""
    wanted = set()
    by_scheme: dict[int, list[Key]] = {}
    for version in keyring.index_versions():
        scheme = keyring.index_schemes.get(version, BLOCKING_SCHEME)
        keys = by_scheme.get(scheme)
        if keys is None:
            keys = by_scheme[scheme] = query_keys(query, scheme)
        wanted |= {(k, version, keyring.blind_index(k, parts, version)) for k, parts in keys}
    return wanted


# Only placeholders are ever put into it: every value is a bound parameter.
_INDEX_PART = (
    f"SELECT official_id, kind, key_version, digest FROM {OfficialIndex.__tablename__} "  # noqa: S608
    "WHERE kind = {mark} AND key_version = {mark} AND digest IN ({digests})"
)


def _index_sql(mark: str, groups: list[tuple[str, int, list[int]]]) -> tuple[str, list[Any]]:
    """A SELECT of index rows for (kind, version, digests) groups, joined by UNION ALL, and its
    parameters. Each part probes the index for exactly its digests: IN lists on all three
    columns would make the database probe every combination (six times as many probes, most
    of a single screening's lookup time at 1M entries). Written as the driver's SQL: it runs
    thousands of times a second, and compiling it through the ORM cost more than running it.
    """
    parts, params = [], []
    for kind, version, digests in groups:
        parts.append(_INDEX_PART.format(mark=mark, digests=", ".join([mark] * len(digests))))
        params += [kind, version, *digests]
    return " UNION ALL ".join(parts), params


# A candidate's birth date, sex and CURP are opened first; its names only when they can
# change the match (`identity.score_without_names`).
_FIRST_FIELDS = ("birth_date", "sex", "curp")
_NAME_FIELDS = ("given_names", "paternal_surname", "maternal_surname")
# Only the official ids narrow it; status, retention and shredding are checked on the few
# rows it returns, so every database plans it on the official ids (on SQLite, a status
# condition let the planner walk all active entries instead).
_CANDIDATES_SQL = (
    select(
        RegistryEntry.status,
        RegistryEntry.retain_until,
        RegistryEntry.shredded_at,
        DataKey.wrapped,
        RegistryEntry.id.label("entry_id"),
        RegistryEntry.reason,
        RegistryEntry.case_ref,
        RegistryEntry.handling_code,
        Agency.id.label("agency_id"),
        Agency.code.label("agency_code"),
        Agency.country.label("agency_country"),
        DataKey.kek_id,
        Official.id,
        Official.version,
        Official.data_key_id,
        *(getattr(Official, f"{name}_ct") for name in _FIRST_FIELDS + _NAME_FIELDS),
    )
    .join(DataKey, Official.data_key_id == DataKey.id)
    .join(RegistryEntry, RegistryEntry.official_id == Official.id)
    .join(Agency, RegistryEntry.originating_agency_id == Agency.id)
    .where(Official.id.in_(bindparam("ids", expanding=True)))
)


def _index_hits(
    uow: UnitOfWork, wanted: set[tuple[str, int, int]]
) -> dict[tuple[str, int, int], set[uuid.UUID]]:
    """Officials under each (kind, version, digest) triple, in a few set-based SELECTs of up to
    `_LOOKUP_CHUNK` digests (see `_index_sql`)."""
    digests: dict[tuple[str, int], list[int]] = {}
    for kind, version, digest in sorted(wanted):
        digests.setdefault((kind, version), []).append(digest)
    statements: list[list[tuple[str, int, list[int]]]] = [[]]
    count = 0
    for (kind, version), values in digests.items():
        for start in range(0, len(values), _LOOKUP_CHUNK):
            part = values[start : start + _LOOKUP_CHUNK]
            if statements[-1] and (count + len(part) > _LOOKUP_CHUNK
                                   or len(statements[-1]) == _MAX_GROUPS):
                statements.append([])
                count = 0
            statements[-1].append((kind, version, part))
            count += len(part)
    found: dict[tuple[str, int, int], set[uuid.UUID]] = {}
    connection = uow.session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    for groups in statements if statements[0] else []:
        sql, params = _index_sql(mark, groups)
        for official_id, kind, version, digest in connection.exec_driver_sql(sql, tuple(params)):
            # SQLite holds ids as 32 hex digits, PostgreSQL as uuid
            key = official_id if isinstance(official_id, uuid.UUID) else uuid.UUID(official_id)
            found.setdefault((kind, version, digest), set()).add(key)
    return found


def _in_force_candidates(uow: UnitOfWork, ids: set[uuid.UUID]) -> dict[uuid.UUID, _Candidate]:
    """Candidates with at least one entry in force, with their data keys (one SELECT a chunk).

    Plain columns, not ORM objects: a batch meets thousands of candidates.
    """
    by_official: dict[uuid.UUID, _Candidate] = {}
    ordered = sorted(ids)
    today = uow.today()
    connection = uow.session.connection()
    for start in range(0, len(ordered), _LOOKUP_CHUNK):
        rows = connection.execute(_CANDIDATES_SQL, {"ids": ordered[start : start + _LOOKUP_CHUNK]})
        for row in rows:
            status, retain_until, shredded_at, wrapped = row[:4]
            if status not in IN_FORCE or retain_until < today or shredded_at is not None:
                continue
            if wrapped is None:
                continue
            candidate = by_official.get(row.id)
            if candidate is None:
                uow.vault.remember_key(row.data_key_id, row.kek_id, wrapped)
                candidate = by_official[row.id] = _Candidate(row, [])
            candidate.entries.append(
                _EntryRow(
                    row.entry_id,
                    row.reason,
                    status,
                    row.case_ref,
                    row.handling_code,
                    row.agency_id,
                    row.agency_code,
                    row.agency_country,
                )
            )
    return by_official




def _open(uow: UnitOfWork, official: Any, names: tuple[str, ...]) -> dict[str, str | None]:
    return uow.vault.open_columns(Official.__tablename__, names, official)


def _detail_available(actor: Actor, country: Country, agency_id: uuid.UUID) -> bool:
    return can(actor, Permission.ENTRY_READ, Target(country=country, agency_id=agency_id))


class _Matcher:
    """Finds hits for many queries with set-based lookups; each candidate is decrypted once."""

    def __init__(self, uow: UnitOfWork, actor: Actor, queries: Sequence[Identity]) -> None:
        self.uow, self.actor = uow, actor
        self.queries = [normalise(q) for q in queries]
        self.wanted = [index_probes(uow.keyring, q) for q in self.queries]
        index = _index_hits(uow, set().union(*self.wanted)) if self.queries else {}
        self.candidate_ids = [
            set().union(*(index.get(w, set()) for w in wanted)) for wanted in self.wanted
        ]
        self.candidates = _in_force_candidates(uow, set().union(*self.candidate_ids))
        self._first: dict[uuid.UUID, tuple[dict[str, str | None], NormalisedIdentity]] = {}
        self._full: dict[uuid.UUID, NormalisedIdentity] = {}

    def _without_names(self, official_id: uuid.UUID) -> NormalisedIdentity:
        """The candidate's birth date, sex and CURP (decrypted once per batch)."""
        cached = self._first.get(official_id)
        if cached is None:
            first = _open(self.uow, self.candidates[official_id].official, _FIRST_FIELDS)
            known = normalise_without_names(text_date(first["birth_date"]), first["sex"],
                                            first["curp"])
            cached = self._first[official_id] = (first, known)
        return cached[1]

    def _with_names(self, official_id: uuid.UUID) -> NormalisedIdentity:
        cached = self._full.get(official_id)
        if cached is None:
            self._without_names(official_id)
            first = self._first[official_id][0]
            names = _open(self.uow, self.candidates[official_id].official, _NAME_FIELDS)
            cached = self._full[official_id] = normalise(identity_from_values(first | names))
        return cached

    def _score(self, query: NormalisedIdentity, official_id: uuid.UUID) -> Match:
        quick = score_without_names(query, self._without_names(official_id))
        return quick if quick is not None else score(query, self._with_names(official_id))

    def hits(self, position: int) -> tuple[list[HitView], int]:
        """Matched in-force entries of query `position`, best first, and candidates scored."""
        query = self.queries[position]
        in_force = [i for i in self.candidate_ids[position] if i in self.candidates]
        hits: list[HitView] = []
        for official_id in in_force:
            match = self._score(query, official_id)
            if match.level is None:
                continue
            for entry in self.candidates[official_id].entries:
                hits.append(
                    HitView(
                        entry.id,
                        match.level.value,
                        match.score,
                        entry.agency_code,
                        entry.agency_country.value,
                        entry.reason.value,
                        entry.status.value,
                        entry.case_ref,
                        entry.handling_code,
                        _detail_available(self.actor, entry.agency_country, entry.agency_id),
                        match.reasons,
                    )
                )
        hits.sort(key=lambda h: (_LEVEL_ORDER[h.level], -h.score, str(h.entry_id)))
        return hits, len(in_force)


Found = tuple[list[HitView], int]


def _hits_here(
    uow: UnitOfWork, actor: Actor, identities: Sequence[Identity]
) -> list[tuple[NormalisedIdentity, Found]]:
    matcher = _Matcher(uow, actor, identities)
    return [(query, matcher.hits(i)) for i, query in enumerate(matcher.queries)]


def _worker_share(actor: Actor, identities: list[Identity], now: dt.datetime) -> list[Found]:
    """A share of a batch, matched in a worker process (`registry.workers`)."""
    with worker_uow(now) as uow, collector_paused():
        return [found for _, found in _hits_here(uow, actor, identities)]


def _find_hits(
    uow: UnitOfWork, actor: Actor, identities: list[Identity]
) -> list[tuple[NormalisedIdentity, Found]]:
    """Hits of every query; a large batch is shared with the worker processes, if any."""
    with collector_paused():
        return _share_hits(uow, actor, identities)


def _share_hits(
    uow: UnitOfWork, actor: Actor, identities: list[Identity]
) -> list[tuple[NormalisedIdentity, Found]]:
    pool = uow.workers
    if pool is None or len(identities) < PARALLEL_MIN_ROWS:
        return _hits_here(uow, actor, identities)
    # This process takes OWN_SHARE times a worker's share: it records and audits every row,
    # the workers pay for passing rows and results (1.1 balanced the two at 1M entries).
    own = round(len(identities) * OWN_SHARE / (pool.workers + OWN_SHARE))
    size = -(-(len(identities) - own) // pool.workers)
    cuts = [*range(0, len(identities) - own, size), len(identities) - own, len(identities)]
    now = uow.clock()
    jobs = [(actor, identities[a:b], now) for a, b in itertools.pairwise(cuts) if b > a]

    normalised_here: dict[int, list[NormalisedIdentity]] = {}  # by id() of a job's share

    def here(_actor: Actor, share: list[Identity], _now: dt.datetime) -> list[Found]:
        pairs = _hits_here(uow, actor, share)
        normalised_here[id(share)] = [query for query, _ in pairs]
        return [found for _, found in pairs]

    results = pool.run(_worker_share, jobs, here, WORKER_TIMEOUT_SECONDS)
    hits: list[tuple[NormalisedIdentity, Found]] = []
    for (_, share, _), found in zip(jobs, results, strict=True):
        queries = normalised_here.get(id(share)) or [normalise(i) for i in share]
        hits += zip(queries, found, strict=True)
    return hits


def _record(
    uow: UnitOfWork,
    actor: Actor,
    purpose: ScreeningPurpose,
    query: NormalisedIdentity,
    found: Found,
    batch_id: uuid.UUID | None,
    row: int | None,
    stage: Staging,
) -> ScreeningResult:
    """Stage one screening with its hits and its audit event (caller inserts and commits)."""
    assert actor.user_id and actor.agency_id
    hits, candidates = found
    outcome = ScreeningOutcome.HIT if hits else ScreeningOutcome.NO_HIT
    fingerprint = _fingerprint(uow, query)
    screening_id, screened_at = new_id(), uow.clock()
    stage.extend(
        Screening,
        [
            {
                "id": screening_id,
                "screened_at": screened_at,
                "user_id": actor.user_id,
                "agency_id": actor.agency_id,
                "purpose": purpose,
                "query_fingerprint": fingerprint,
                "outcome": outcome,
                "hit_count": len(hits),
                "candidates": candidates,
                "batch_id": batch_id,
            }
        ],
    )
    stage.extend(
        ScreeningHit,
        (
            {
                "id": new_id(),
                "screening_id": screening_id,
                "entry_id": h.entry_id,
                "level": h.level,
                "score": h.score,
            }
            for h in hits
        ),
    )
    event = uow.audit.append_row(
        actor,
        "screening.run",
        object_type="screening",
        object_id=screening_id,
        purpose=purpose.value,
        details={
            "query": fingerprint,
            "outcome": outcome.value,
            "candidates": candidates,
            "entries": [str(h.entry_id) for h in hits],
            "levels": [h.level for h in hits],
            "batch": str(batch_id) if batch_id else None,
        },
    )
    stage.extend(AuditEvent, [event])
    return ScreeningResult(screening_id, outcome, purpose, screened_at, candidates, hits, row)


def _stage() -> Staging:
    return Staging([Screening, ScreeningHit, AuditEvent])


def screen(
    uow: UnitOfWork, actor: Actor, purpose: str | None, data: ScreeningInput
) -> ScreeningResult:
    """Screen one candidate for a stated purpose; the screening is recorded and audited."""
    with uow:
        uow.require(
            actor, Permission.SCREEN, NO_TARGET, action="screening.run", object_type="screening"
        )
        problems = Problems()
        clean_purpose = parse_purpose(problems, purpose)
        identity = validate_query(problems, data, uow.today())
        problems.check()
        assert clean_purpose
        stage = _stage()
        [(query, found)] = _find_hits(uow, actor, [identity])
        result = _record(uow, actor, clean_purpose, query, found, None, data.row, stage)
        stage.flush(uow.session)
        uow.commit()
        return result


def screen_batch(
    uow: UnitOfWork, actor: Actor, purpose: str | None, rows: Sequence[ScreeningInput]
) -> BatchResult:
    """Screen a roster in one transaction; a bad row is reported with its problems and skipped."""
    with uow:
        uow.require(
            actor, Permission.SCREEN, NO_TARGET, action="screening.batch", object_type="screening"
        )
        problems = Problems()
        clean_purpose = parse_purpose(problems, purpose)
        if not rows:
            problems.add("rows", "is empty: send at least one candidate")
        elif len(rows) > MAX_BATCH_ROWS:
            problems.add(
                "rows", f"has {len(rows)} candidates; send at most {MAX_BATCH_ROWS} per request"
            )
        problems.check()
        assert clean_purpose
        batch = BatchResult(new_id(), clean_purpose)
        results: list[ScreeningResult | RowError | None] = []
        valid: list[tuple[int, int, Identity]] = []
        for index, data in enumerate(rows, start=1):
            row = data.row if data.row is not None else index
            row_problems = Problems(row=row)
            identity = validate_query(row_problems, data, uow.today())
            results.append(RowError(row, row_problems.items) if row_problems else None)
            if not row_problems:
                valid.append((index - 1, row, identity))
        found = _find_hits(uow, actor, [identity for _, _, identity in valid])
        stage = _stage()
        for (slot, row, _), (query, hits) in zip(valid, found, strict=True):
            results[slot] = _record(
                uow, actor, clean_purpose, query, hits, batch.batch_id, row, stage
            )
        batch.results.extend(r for r in results if r is not None)
        screened = [r for r in batch.results if isinstance(r, ScreeningResult)]
        stage.flush(uow.session)
        uow.audit.append(
            actor,
            "screening.batch",
            object_type="screening_batch",
            object_id=batch.batch_id,
            purpose=clean_purpose.value,
            details={
                "rows": len(rows),
                "screened": len(screened),
                "hits": sum(r.is_hit for r in screened),
                "rejected": len(rows) - len(screened),
            },
        )
        uow.commit()
        return batch


def entry_summary(uow: UnitOfWork, actor: Actor, entry_id: uuid.UUID | str) -> HitView:
    """The hit summary of an entry that came up in a screening by the actor's agency.

    Other entries are reported as not found, so that the endpoint cannot be used to
    probe the registry by id.
    """
    with uow:
        uow.require(
            actor,
            Permission.SCREEN,
            NO_TARGET,
            action="entry.summary",
            object_type="entry",
            object_id=entry_id,
        )
        entry_uuid = parse_id(entry_id, "entry")
        best = uow.session.execute(
            select(ScreeningHit.level, ScreeningHit.score)
            .join(Screening)
            .where(ScreeningHit.entry_id == entry_uuid, Screening.agency_id == actor.agency_id)
            .order_by(Screening.screened_at.desc())
            .limit(1)
        ).first()
        entry = uow.session.get(RegistryEntry, entry_uuid)
        if best is None or entry is None:
            raise NotFound(
                f"entry {entry_id} does not exist or has not come up in your agency's screenings"
            )
        agency = entry.originating_agency
        view = HitView(
            entry.id,
            best.level,
            best.score,
            agency.code,
            agency.country.value,
            entry.reason.value,
            entry.status.value,
            entry.case_ref,
            entry.handling_code,
            _detail_available(actor, agency.country, agency.id),
        )
        uow.audit.append(actor, "entry.summary", object_type="entry", object_id=entry.id)
        uow.commit()
        return view
