"""Complaint API models: intake, the public tracking answer, and the handler's views."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from services.common.gtin import GtinChecked
from services.common.text import WHITESPACE, Line, Text
from services.common.uscc import USCC_FORMAT, UsccChecked, UsccFormat
from services.complaints.cases.evidence import CONTENT_PATTERN
from services.complaints.categories import category_codes
from services.complaints.policy import load_policy
from services.complaints.rewards.schemas import RewardPublic

_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,22}$")
# The server's rule and the documented pattern are one regex; whitespace spelled out (see text.py).
# A NUL is refused before any field is read (services/common/limits.py): it is no character of an address.
_NOT_IN_EMAIL = f"{WHITESPACE}\\x00"
_EMAIL = re.compile(
    f"^[^@{_NOT_IN_EMAIL}]{{1,64}}@[^@{_NOT_IN_EMAIL}]{{1,190}}\\.[^@{_NOT_IN_EMAIL}.]{{2,}}$"
)


def _phone(value: str) -> str:
    if not _PHONE.match(value):
        raise ValueError("must be a phone number: digits, optionally with + - and spaces")
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("must be an email address like name@example.cn")
    return value


# The patterns are documented (json_schema_extra) and checked by the validators, which say what to
# fix in words rather than "should match pattern".
Phone = Annotated[
    str, Field(max_length=24, json_schema_extra={"pattern": _PHONE.pattern}), AfterValidator(_phone)
]
Email = Annotated[
    str, Field(max_length=254, json_schema_extra={"pattern": _EMAIL.pattern}), AfterValidator(_email)
]


def present(*names: str) -> list[dict[str, Any]]:
    """JSON Schema: one of these fields is given, as a string (not null)."""
    return [{"required": [n], "properties": {n: {"type": "string"}}} for n in names]


Kind = Literal["complaint", "report"]
# The configured channels (rules.toml): old hotline numbers still classify.
Channel = StrEnum("Channel", {name: name for name in load_policy().channels})  # type: ignore[misc]
# The configured category codes (categories.toml): an enum in OpenAPI, a 422 naming them otherwise.
# The channels a handler files from (the platform and hotlines), a subset of them.
HandlerChannel = StrEnum("HandlerChannel", {name: name for name in load_policy().handler_channels})  # type: ignore[misc]
Category = StrEnum("Category", {code: code for code in category_codes()})  # type: ignore[misc]
Severity = Literal["minor", "major", "severe"]


class Reporter(BaseModel):
    """Who reports: confidential; encrypted at rest and shown to handlers only."""

    model_config = ConfigDict(extra="forbid")

    name: Line(100) | None = None  # type: ignore[valid-type]
    phone: Phone | None = None
    email: Email | None = None


class AttachmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: Line(200)  # type: ignore[valid-type]
    content_base64: str = Field(
        max_length=3_000_000,
        description="file content, base64: a PDF, PNG or JPEG file",
        json_schema_extra={"pattern": CONTENT_PATTERN},
    )


# The rules of `_rules` below, stated in the schema so a schema-valid filing is one intake takes.
_INTAKE_RULES: dict[str, Any] = {
    "allOf": [
        {"anyOf": present("target_uscc", "target_name", "gtin")},
        {
            "anyOf": [
                {"properties": {"kind": {"const": "report"}}},
                {
                    "required": ["reporter"],
                    "properties": {
                        "reporter": {
                            "type": "object",
                            "required": ["name"],
                            "properties": {"name": {"type": "string"}},
                            "anyOf": present("phone", "email"),
                        }
                    },
                },
            ]
        },
    ]
}


class ComplaintCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_INTAKE_RULES)

    kind: Kind = Field(description="complaint (投诉, own dispute, contact required) or report (举报)")
    channel: Channel = Field(description="hotline or channel, e.g. 12315, web")
    target_uscc: UsccChecked | None = None  # type: ignore[valid-type]
    target_name: Line(200) | None = None  # type: ignore[valid-type]
    category: Category = Field(description="a category code (categories.toml), e.g. food_safety")
    product: Line(200) | None = None  # type: ignore[valid-type]
    gtin: GtinChecked | None = Field(
        None, description="the product's barcode (GTIN); traced to the enterprise when no code is given"
    )
    batch: Line(64) | None = Field(None, description="batch or lot number on the product")  # type: ignore[valid-type]
    description: Text(5000) = Field(min_length=5)  # type: ignore[valid-type]
    attachments: list[AttachmentIn] = Field(default=[], max_length=3)
    reporter: Reporter | None = None

    @model_validator(mode="after")
    def _rules(self) -> ComplaintCreate:
        if not self.target_uscc and not self.target_name and not self.gtin:
            raise ValueError(
                "give target_uscc, or target_name or the product's gtin when the code is not known"
            )
        if self.kind == "complaint":
            r = self.reporter
            if r is None or not r.name or not (r.phone or r.email):
                raise ValueError("a complaint needs reporter.name and reporter.phone or reporter.email")
        return self


class Due(BaseModel):
    """One legal deadline: when, whether the calendar reaches it yet, and the article it comes from."""

    at: datetime = Field(description="end of the period's last day (23:59:59 China time)")
    provisional: bool = Field(
        description="the period runs past the published working-day calendar: later holiday notices "
        "can only move it later; it is recomputed when a newer calendar is loaded"
    )
    legal_basis: str


class PlatformCaseCreate(ComplaintCreate):
    """A case a handler files for the reporter: from the national 12315 platform or a hotline, with
    its original time of receipt, from which its deadlines run (Order 121 Art. 40)."""

    channel: HandlerChannel = Field(description="the platform or hotline it came through")
    received_at: datetime = Field(description="when the platform or hotline received it; not in the future")
    platform_ref: Line(64) | None = Field(None, description="the platform's own case number")  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _aware(self) -> PlatformCaseCreate:
        if self.received_at.tzinfo is None:
            raise ValueError("received_at needs a time zone (e.g. 2026-11-20T09:30:00+08:00)")
        return self


class Deadlines(BaseModel):
    rule_set: str = Field(
        description="which rules govern the case, by its date of receipt: order20 | order121"
    )
    regulation: str
    accept_by: Due = Field(description="decision on acceptance due (report: whether to open a case)")
    resolve_by: Due | None = Field(
        description="once accepted: mediation ends (complaint) or the case is decided (report)"
    )
    notify_by: Due | None = Field(
        None, description="parties told after mediation ends; a real-name reporter told (Order 20)"
    )
    violation_check_by: Due | None = Field(None, description="a violation found during mediation checked")
    paused_since: datetime | None = Field(None, description="the clock is stopped for testing or appraisal")
    extended: bool = Field(description="a report's decision period was extended")
    case_extended: bool = Field(False, description="a report's case period was extended")
    legal_basis: list[str]


class ComplaintCreated(BaseModel):
    """The public answer to a filing. It says nothing about other cases (not even whether one on the
    same enterprise is open): the target enterprise could otherwise file to probe for reports."""

    id: uuid.UUID
    tracking_code: str
    kind: str
    status: str
    deadlines: Deadlines
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
    category: Category | None = Field(None, description="the category found, when not the one filed")


class TransitionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal[
        "accept",
        "reject",
        "investigate",
        "substantiate",
        "unsubstantiate",
        "close",
        "extend",
        "pause",
        "resume",
        "flag_violation",
        "extend_check",
        "notify",
    ]
    note: Text(5000) | None = None  # type: ignore[valid-type]
    outcome: Text(1000) | None = Field(None, description="public outcome shown on the tracking page")  # type: ignore[valid-type]
    finding: Finding | None = None


class TargetSet(BaseModel):
    """A handler names the enterprise a case is about (the code a credit event needs)."""

    model_config = ConfigDict(extra="forbid")

    target_uscc: Annotated[
        UsccFormat,  # type: ignore[valid-type]
        Field(
            description="the enterprise's code; its check characters are verified unless"
            " check_override_reason is given",
            json_schema_extra={"format": USCC_FORMAT},
        ),
    ]
    target_name: Line(200) | None = None  # type: ignore[valid-type]
    check_override_reason: Line(500) | None = Field(  # type: ignore[valid-type]
        None, description="why a code that fails the check characters is right (early pilot codes)"
    )
    note: Text(5000) | None = None  # type: ignore[valid-type]


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
    rule_set: str = Field(description="rules that govern the case by its date of receipt: order20 | order121")
    deadlines: Deadlines
    overdue: bool
    duplicate_of: uuid.UUID | None


TraceStatus = Literal["traced", "not_found", "restricted", "unavailable", "named"]


class Tracing(BaseModel):
    """The barcode a case named and the enterprise the registry traced it to."""

    gtin: str
    batch: str | None
    status: TraceStatus = Field(
        description="named: the filer gave the enterprise as well, nothing was traced"
    )
    uscc: str | None
    name: str | None


class ReporterOut(BaseModel):
    name: str | None
    phone: str | None
    email: str | None


class ComplaintDetail(ComplaintSummary):
    """The handler's view: everything, reporter identity included."""

    tracking_code: str
    category_as_filed: str | None = Field(
        description="the free text a case was filed under before categories were codes (older cases)"
    )
    description: str
    reporter: ReporterOut | None
    anonymous: bool
    finding: Finding | None
    outcome: str | None
    transitions: list[TransitionOut]
    attachments: list[AttachmentOut]
    feed_status: str | None = Field(description="delivery of the credit event to the registry")
    allowed_actions: list[str] = Field(description="what the workflow and the case's clock allow now")
    filed_by: str | None = Field(description="the handler who filed it from the platform or a hotline")
    platform_ref: str | None
    tracing: Tracing | None = Field(None, description="the barcode named and whom it traced to")
