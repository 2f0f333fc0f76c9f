"""Request and response bodies of the JSON API (pydantic v2; spectree checks and documents them).

Identity fields stay strings here: the registry's own validation gives the field-named
messages (dates, CURP check digit, sex codes) that the web forms and the CLI also show.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from registry.models.screening import ConfirmationStatus, ScreeningPurpose, Urgency


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IdentityIn(Strict):
    """A candidate's identity, as in the identity CSV columns."""

    given_names: str | None = Field(default=None, max_length=200, examples=["José Luis"])
    paternal_surname: str | None = Field(default=None, max_length=200, examples=["Ramírez"])
    maternal_surname: str | None = Field(default=None, max_length=200)
    birth_date: str | None = Field(
        default=None, max_length=10, description="YYYY-MM-DD", examples=["1979-11-02"]
    )
    sex: str | None = Field(default=None, max_length=10, description="H, M or X (as in the CURP)")
    curp: str | None = Field(default=None, max_length=18)


class ScreeningIn(IdentityIn):
    purpose: ScreeningPurpose


class BatchRowIn(IdentityIn):
    row: int | None = Field(default=None, ge=1, description="Row number in the caller's file")


class BatchIn(Strict):
    purpose: ScreeningPurpose
    rows: list[BatchRowIn] = Field(min_length=1, max_length=1000)


class HitOut(BaseModel):
    entry_id: uuid.UUID
    level: Literal["exact", "probable", "possible"]
    score: float
    originating_agency: str
    originating_country: str
    reason: str
    status: str
    case_ref: str
    handling_code: str
    detail_available: bool = Field(description="Whether GET /entries/{id} will show the detail")
    reasons: list[str] = Field(default_factory=list, description="Match reason codes")


class ScreeningOut(BaseModel):
    screening_id: uuid.UUID
    outcome: Literal["hit", "no_hit"]
    purpose: ScreeningPurpose
    screened_at: dt.datetime
    candidates: int = Field(description="Candidate records decrypted and scored")
    hits: list[HitOut]
    row: int | None = None


class ProblemOut(BaseModel):
    field: str
    message: str
    row: int | None = None


class RowErrorOut(BaseModel):
    row: int
    outcome: Literal["error"] = "error"
    problems: list[ProblemOut]


class BatchSummaryOut(BaseModel):
    rows: int
    screened: int
    hits: int
    errors: int
    by_level: dict[str, int]


class BatchOut(BaseModel):
    batch_id: uuid.UUID
    purpose: ScreeningPurpose
    summary: BatchSummaryOut
    results: list[ScreeningOut | RowErrorOut]


class EntryOut(BaseModel):
    id: uuid.UUID
    official_id: uuid.UUID
    reason: str
    status: str
    originating_agency: str
    originating_country: str
    case_ref: str
    legal_basis: str
    effective_date: dt.date
    handling_code: str
    source_reliability: str
    information_reliability: str
    retain_until: dt.date
    review_on: dt.date | None
    version: int
    narrative: str | None = None


class PersonOut(BaseModel):
    given_names: str
    paternal_surname: str | None
    maternal_surname: str | None
    birth_date: dt.date | None
    sex: str | None
    curp: str | None


class ConfirmationIn(Strict):
    screening_id: uuid.UUID
    entry_id: uuid.UUID
    urgency: Urgency
    candidate: IdentityIn = Field(description="The identity exactly as screened")


class AnswerIn(Strict):
    answer: Literal["confirm", "deny"]


class ConfirmationQuery(Strict):
    direction: Literal["incoming", "outgoing"] = "incoming"
    status: ConfirmationStatus | None = None
    page: int = Field(default=1, ge=1)
    per_page: int = Field(default=50, ge=1, le=200)


class ConfirmationOut(BaseModel):
    id: uuid.UUID
    status: ConfirmationStatus
    urgency: Urgency
    screening_id: uuid.UUID
    entry_id: uuid.UUID
    case_ref: str
    level: str
    score: float
    originating_agency: str
    requesting_agency: str
    requested_at: dt.datetime
    due_at: dt.datetime
    reminded_at: dt.datetime | None
    escalated_at: dt.datetime | None
    answered_at: dt.datetime | None
    overdue: bool
    version: int


class ConfirmationPageOut(BaseModel):
    items: list[ConfirmationOut]
    page: int
    per_page: int
    total: int


class ReviewOut(BaseModel):
    request: ConfirmationOut
    candidate: PersonOut
    record: PersonOut


class ReleaseOut(BaseModel):
    request: ConfirmationOut
    handling_code: str
    tier: Literal["full", "entry", "none"]
    caveat: str
    entry: EntryOut | None = None
    official: PersonOut | None = None


class EntryQuery(Strict):
    purpose: ScreeningPurpose | None = None


class MeOut(BaseModel):
    username: str
    agency: str | None
    country: str | None
    roles: list[str]


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None
    problems: list[ProblemOut] | None = None


class ErrorOut(BaseModel):
    error: ErrorBody
