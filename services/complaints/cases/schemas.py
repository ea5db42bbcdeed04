"""Complaint API models: intake, the public tracking answer, and the handler's views."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from services.common.text import Line, Text
from services.common.uscc import UsccChecked
from services.complaints.rewards.schemas import RewardPublic

_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,22}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,}$")


def _phone(value: str) -> str:
    if not _PHONE.match(value):
        raise ValueError("must be a phone number: digits, optionally with + - and spaces")
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("must be an email address like name@example.cn")
    return value


Kind = Literal["complaint", "report"]
Severity = Literal["minor", "major", "severe"]


class Reporter(BaseModel):
    """Who reports: confidential; encrypted at rest and shown to handlers only."""

    model_config = ConfigDict(extra="forbid")

    name: Line(100) | None = None  # type: ignore[valid-type]
    phone: Annotated[str, Field(max_length=24), AfterValidator(_phone)] | None = None
    email: Annotated[str, Field(max_length=254), AfterValidator(_email)] | None = None


class AttachmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: Line(200)  # type: ignore[valid-type]
    content_base64: str = Field(max_length=3_000_000, description="file content, base64")


class ComplaintCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind = Field(description="complaint (投诉, own dispute, contact required) or report (举报)")
    channel: str = Field(min_length=1, max_length=16, description="hotline or channel, e.g. 12315, web")
    target_uscc: UsccChecked | None = None  # type: ignore[valid-type]
    target_name: Line(200) | None = None  # type: ignore[valid-type]
    category: Line(64)  # type: ignore[valid-type]
    product: Line(200) | None = None  # type: ignore[valid-type]
    description: Text(5000) = Field(min_length=5)  # type: ignore[valid-type]
    attachments: list[AttachmentIn] = Field(default=[], max_length=3)
    reporter: Reporter | None = None

    @model_validator(mode="after")
    def _rules(self) -> ComplaintCreate:
        if not self.target_uscc and not self.target_name:
            raise ValueError("give target_uscc, or target_name when the code is not known")
        if self.kind == "complaint":
            r = self.reporter
            if r is None or not r.name or not (r.phone or r.email):
                raise ValueError("a complaint needs reporter.name and reporter.phone or reporter.email")
        return self


class Deadlines(BaseModel):
    accept_by: datetime = Field(description="decision on acceptance due (report: whether to open a case)")
    resolve_by: datetime | None = Field(description="conclusion due once accepted")
    extended: bool
    legal_basis: list[str]


class ComplaintCreated(BaseModel):
    id: uuid.UUID
    tracking_code: str
    kind: str
    status: str
    deadlines: Deadlines
    duplicate_of: uuid.UUID | None
    # rewards hook (issue 20)
    claim_secret: str | None = Field(None, description="real-name report: reward claim secret, shown once")


class TrackStep(BaseModel):
    status: str
    at: datetime


class TrackingAnswer(BaseModel):
    """The public tracking answer: status, dates and outcome; no personal data, no notes."""

    tracking_code: str
    kind: str
    channel: str
    status: str
    received_at: datetime
    deadlines: Deadlines
    outcome: str | None
    steps: list[TrackStep]
    reward: RewardPublic | None = None  # rewards hook (issue 20): amount and status only


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    severity: Severity
    category: Line(64) | None = None  # type: ignore[valid-type]


class TransitionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["accept", "reject", "investigate", "substantiate", "unsubstantiate", "close", "extend"]
    note: Text(5000) | None = None  # type: ignore[valid-type]
    outcome: Text(1000) | None = Field(None, description="public outcome shown on the tracking page")  # type: ignore[valid-type]
    finding: Finding | None = None


class TransitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    from_status: str
    to_status: str
    note: str | None
    actor: str
    at: datetime


class AttachmentOut(BaseModel):
    id: uuid.UUID
    filename: str
    media_type: str
    size: int
    sha256: str


class ComplaintSummary(BaseModel):
    id: uuid.UUID
    kind: str
    channel: str
    status: str
    target_uscc: str | None
    target_name: str | None
    category: str
    product: str | None
    received_at: datetime
    deadlines: Deadlines
    overdue: bool
    duplicate_of: uuid.UUID | None


class ReporterOut(BaseModel):
    name: str | None
    phone: str | None
    email: str | None


class ComplaintDetail(ComplaintSummary):
    """The handler's view: everything, reporter identity included."""

    tracking_code: str
    description: str
    reporter: ReporterOut | None
    anonymous: bool
    finding: Finding | None
    outcome: str | None
    transitions: list[TransitionOut]
    attachments: list[AttachmentOut]
    feed_status: str | None = Field(description="delivery of the credit event to the registry")
