"""Registering officials and reading or correcting their (encrypted) identity."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select

from registry.crypto import Keyring
from registry.errors import Conflict
from registry.identity import (
    CurpError,
    Identity,
    NormalisedIdentity,
    blocking_keys,
    normalise,
    validate_curp,
)
from registry.models import DataKey, Employment, Official, OfficialIndex
from registry.models.base import new_id
from registry.models.enums import Country, Sex
from registry.policy import NO_TARGET, Actor, Permission
from registry.services.common import agency_by_code, check_version, load_official, official_target
from registry.services.validation import Problems
from registry.uow import UnitOfWork
from registry.vault import date_text, seal_columns, text_date

EARLIEST_BIRTH = dt.date(1900, 1, 1)
_SEX_ALIASES = {"F": Sex.FEMALE, "MALE": Sex.MALE, "FEMALE": Sex.FEMALE}


@dataclass(frozen=True)
class OfficialInput:
    """Identity as typed by an officer or read from a CSV row (strings, validated here)."""

    given_names: str | None
    paternal_surname: str | None
    maternal_surname: str | None = None
    birth_date: str | dt.date | None = None
    sex: str | None = None
    curp: str | None = None
    national_ids: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OfficialView:
    """A decrypted official, returned only after an audited read."""

    id: uuid.UUID
    version: int
    country: Country
    owner_agency: str
    given_names: str
    paternal_surname: str | None
    maternal_surname: str | None
    birth_date: dt.date | None
    sex: str | None
    curp: str | None
    national_ids: dict[str, str]

    def __repr__(self) -> str:  # never print a person's identity by accident
        return f"<OfficialView {self.id} v{self.version}>"

    def identity(self) -> Identity:
        return Identity(
            self.given_names,
            self.paternal_surname,
            self.maternal_surname,
            self.birth_date,
            self.sex,
            self.curp,
        )


def parse_sex(problems: Problems, value: str | None) -> Sex | None:
    raw = (value or "").strip().upper()
    if not raw:
        return None
    if raw in _SEX_ALIASES:
        return _SEX_ALIASES[raw]
    return problems.choice("sex", raw, Sex, required=False)


def validate_identity(problems: Problems, data: OfficialInput, today: dt.date) -> Identity:
    """Check an identity; every problem is collected with its field name."""
    given = problems.text("given_names", data.given_names, max_length=120)
    paternal = problems.text("paternal_surname", data.paternal_surname, max_length=120)
    maternal = problems.text(
        "maternal_surname", data.maternal_surname, required=False, max_length=120
    )
    birth = problems.date(
        "birth_date", data.birth_date, required=False, not_after=today, not_before=EARLIEST_BIRTH
    )
    sex = parse_sex(problems, data.sex)
    curp = None
    if data.curp and data.curp.strip():
        try:
            curp = validate_curp(data.curp)
        except CurpError as exc:
            problems.add("curp", str(exc))
    return Identity(given or "", paternal, maternal, birth, sex.value if sex else None, curp)


def _identity_values(identity: Identity, national_ids: Mapping[str, str]) -> dict[str, str | None]:
    return {
        "given_names": identity.given_names,
        "paternal_surname": identity.paternal_surname,
        "maternal_surname": identity.maternal_surname,
        "birth_date": date_text(identity.birth_date),
        "sex": identity.sex,
        "curp": identity.curp,
        "national_ids": json.dumps(dict(national_ids), sort_keys=True) if national_ids else None,
    }


def identity_from_values(values: Mapping[str, str | None]) -> Identity:
    """The identity in opened `Official` field values (the inverse of `_identity_values`);
    a field left out is missing."""
    return Identity(
        values.get("given_names") or "",
        values.get("paternal_surname"),
        values.get("maternal_surname"),
        text_date(values.get("birth_date")),
        values.get("sex"),
        values.get("curp"),
    )


def index_digests(
    keyring: Keyring, normalised: NormalisedIdentity, version: int
) -> list[tuple[str, int]]:
    """(kind, digest) of an identity's blocking keys under index `version`, in order."""
    return sorted(
        {(kind, keyring.blind_index(kind, parts, version))
         for kind, parts in blocking_keys(normalised)}
    )  # fmt: skip


def index_rows(
    uow: UnitOfWork,
    official_id: uuid.UUID,
    identity: Identity,
    normalised: NormalisedIdentity | None = None,
) -> list[dict[str, object]]:
    """The official's blind-index rows under the active index key (not yet stored)."""
    version = uow.keyring.index_version()
    return [
        {"official_id": official_id, "kind": kind, "key_version": version, "digest": digest}
        for kind, digest in index_digests(uow.keyring, normalised or normalise(identity), version)
    ]


def index_official(
    uow: UnitOfWork, official_id: uuid.UUID, identity: Identity, *, replace: bool = True
) -> None:
    """(Re)write the official's blind-index rows under the active index key."""
    if replace:
        uow.session.execute(delete(OfficialIndex).where(OfficialIndex.official_id == official_id))
    uow.session.add_all(OfficialIndex(**row) for row in index_rows(uow, official_id, identity))


def find_by_curps(uow: UnitOfWork, curps: Iterable[str]) -> dict[str, Official]:
    """Officials already registered under these CURPs: one blind-index query, then decryption."""
    version = uow.keyring.index_version()
    wanted = {uow.keyring.blind_index("curp", (c,), version): c for c in set(curps)}
    if not wanted:
        return {}
    candidates = uow.session.scalars(
        select(Official)
        .join(OfficialIndex, OfficialIndex.official_id == Official.id)
        .where(
            OfficialIndex.kind == "curp",
            OfficialIndex.key_version == version,
            OfficialIndex.digest.in_(wanted),
        )
    ).all()
    found: dict[str, Official] = {}
    for official in candidates:
        curp = uow.vault.open(official, "curp")
        if curp is not None and curp in wanted.values():
            found[curp] = official
    return found


def find_by_curp(uow: UnitOfWork, curp: str) -> Official | None:
    """An official already registered with this CURP."""
    return find_by_curps(uow, [curp]).get(curp)


def new_official(
    uow: UnitOfWork,
    actor: Actor,
    identity: Identity,
    national_ids: Mapping[str, str],
    owner_agency_id: uuid.UUID,
    country: Country,
) -> Official:
    """Build, seal and index an official in the session; caller audits and commits."""
    key_row, row, index = official_rows(
        uow, actor, identity, owner_agency_id, country, uow.clock(), national_ids=national_ids
    )
    official = Official(**row)
    uow.session.add_all([DataKey(**key_row), official, *(OfficialIndex(**r) for r in index)])
    return official


def official_rows(
    uow: UnitOfWork,
    actor: Actor,
    identity: Identity,
    owner_agency_id: uuid.UUID,
    country: Country,
    stamp: dt.datetime,
    normalised: NormalisedIdentity | None = None,
    national_ids: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, object]]]:
    """A new official as plain rows (bulk paths insert them as such): its data key, the record
    and its index rows."""
    official_id = new_id()
    key_row, key = uow.vault.new_key_row(stamp)
    row: dict[str, Any] = {
        "id": official_id,
        "version": 1,
        "country": country,
        "owner_agency_id": owner_agency_id,
        "data_key_id": key_row["id"],
        **seal_columns(
            key, Official.__tablename__, official_id, 1, Official.ENCRYPTED,
            _identity_values(identity, national_ids or {}),
        ),
        "created_at": stamp,
        "created_by": actor.user_id,
        "updated_at": stamp,
        "updated_by": actor.user_id,
    }
    return key_row, row, index_rows(uow, official_id, identity, normalised)


def register_official(uow: UnitOfWork, actor: Actor, data: OfficialInput) -> uuid.UUID:
    """Register a person under the officer's agency; refuses a second record with the same CURP."""
    with uow:
        uow.require(actor, Permission.OFFICIAL_REGISTER, NO_TARGET, action="official.register")
        problems = Problems()
        identity = validate_identity(problems, data, uow.today())
        problems.check()
        if identity.curp and (existing := find_by_curp(uow, identity.curp)):
            raise Conflict(f"an official with this CURP is already registered ({existing.id})")
        assert actor.agency_id and actor.country
        official = new_official(
            uow, actor, identity, data.national_ids, actor.agency_id, actor.country
        )
        uow.audit.append(actor, "official.register", object_type="official", object_id=official.id)
        uow.commit()
        return official.id


def open_official(uow: UnitOfWork, official: Official) -> OfficialView:
    values = uow.vault.open_all(official)
    return OfficialView(
        id=official.id,
        version=official.version,
        country=official.country,
        owner_agency=official.owner_agency.code,
        given_names=values["given_names"] or "",
        paternal_surname=values["paternal_surname"],
        maternal_surname=values["maternal_surname"],
        birth_date=text_date(values["birth_date"]),
        sex=values["sex"],
        curp=values["curp"],
        national_ids=json.loads(values["national_ids"]) if values["national_ids"] else {},
    )


def get_official(
    uow: UnitOfWork, actor: Actor, official_id: uuid.UUID | str, purpose: str | None = None
) -> OfficialView:
    """Decrypt an official's identity for an authorised reader; the read is audited."""
    with uow:
        official = load_official(uow, official_id)
        uow.require(
            actor,
            Permission.OFFICIAL_READ,
            official_target(uow, official),
            action="official.read",
            object_type="official",
            object_id=official.id,
        )
        view = open_official(uow, official)
        uow.audit.append(
            actor, "official.read", object_type="official", object_id=official.id, purpose=purpose
        )
        uow.commit()
        return view


def update_official(
    uow: UnitOfWork,
    actor: Actor,
    official_id: uuid.UUID | str,
    expected_version: int,
    data: OfficialInput,
) -> int:
    """Correct an identity; the whole record is re-sealed at its new version."""
    with uow:
        official = load_official(uow, official_id)
        uow.require(
            actor,
            Permission.OFFICIAL_UPDATE,
            official_target(uow, official),
            action="official.update",
            object_type="official",
            object_id=official.id,
        )
        check_version(official.version, expected_version, "this official")
        problems = Problems()
        identity = validate_identity(problems, data, uow.today())
        problems.check()
        if (
            identity.curp
            and (other := find_by_curp(uow, identity.curp))
            and other.id != official.id
        ):
            raise Conflict(f"another official is registered with this CURP ({other.id})")
        official.version += 1
        official.updated_at, official.updated_by = uow.clock(), actor.user_id
        uow.vault.seal(official, _identity_values(identity, data.national_ids))
        index_official(uow, official.id, identity)
        uow.audit.append(
            actor,
            "official.update",
            object_type="official",
            object_id=official.id,
            details={"version": official.version},
        )
        uow.commit()
        return official.version


def add_employment(
    uow: UnitOfWork,
    actor: Actor,
    official_id: uuid.UUID | str,
    *,
    agency_code: str,
    position: str,
    rank: str | None = None,
    seniority: int = 0,
    started_on: str | dt.date | None = None,
    ended_on: str | dt.date | None = None,
) -> uuid.UUID:
    """Record a post the official holds or held."""
    with uow:
        official = load_official(uow, official_id)
        uow.require(
            actor,
            Permission.OFFICIAL_UPDATE,
            official_target(uow, official),
            action="employment.add",
            object_type="official",
            object_id=official.id,
        )
        problems = Problems()
        agency = agency_by_code(uow, agency_code or "")
        if agency is None:
            problems.add("agency", f"agency {agency_code!r} does not exist")
        clean_position = problems.text("position", position, max_length=120)
        clean_rank = problems.text("rank", rank, required=False, max_length=80)
        start = problems.date("started_on", started_on, not_after=uow.today())
        end = problems.date("ended_on", ended_on, required=False)
        if start and end and end < start:
            problems.add("ended_on", "cannot be before started_on")
        if not 0 <= seniority <= 10:
            problems.add("seniority", "must be between 0 (entry level) and 10 (head of agency)")
        problems.check()
        assert agency and clean_position and start
        employment = Employment(
            id=new_id(),
            official_id=official.id,
            agency_id=agency.id,
            position=clean_position,
            rank=clean_rank,
            seniority=seniority,
            started_on=start,
            ended_on=end,
            created_by=actor.user_id,
        )
        uow.session.add(employment)
        uow.audit.append(
            actor,
            "employment.add",
            object_type="official",
            object_id=official.id,
            details={"employment": str(employment.id), "agency": agency.code},
        )
        uow.commit()
        return employment.id
