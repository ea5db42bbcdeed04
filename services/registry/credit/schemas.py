"""Credit API models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.common.gtin import GtinChecked
from services.common.text import Line, Text
from services.common.timestamps import Timestamp

Severity = Literal["minor", "major", "severe"]


class CreditEventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=40, description="a kind named in the rules file")
    severity: Severity
    authority: Line(200)  # type: ignore[valid-type]
    source_ref: Line(200) = Field(description="decision number or complaint id; idempotency key")  # type: ignore[valid-type]
    occurred_at: Timestamp
    expires_at: Timestamp | None = None
    summary: Text(2000) | None = None  # type: ignore[valid-type]
    gtin: GtinChecked | None = None
    batch: Line(64) | None = Field(None, description="batch or lot number of the product")  # type: ignore[valid-type]
    test_report_no: Line(100) | None = Field(None, description="test report number (spot checks)")  # type: ignore[valid-type]
    product_name: Line(200) | None = None  # type: ignore[valid-type]


class CreditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    uscc: str
    kind: str
    severity: str
    authority: str
    source_ref: str
    summary: str | None
    occurred_at: datetime
    expires_at: datetime | None
    recorded_at: datetime
    recorded_by: str
    status: Literal["active", "expired", "revoked"]
    revoked_at: datetime | None
    revocation_reason: str | None
    gtin: str | None = None
    batch: str | None = None
    test_report_no: str | None = None
    product_name: str | None = None


class RevocationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Line(1000)  # type: ignore[valid-type]


class ExplanationItem(BaseModel):
    event_id: str
    kind: str
    severity: str
    authority: str
    source_ref: str
    occurred_at: str
    expires_at: str | None
    effect: int
    reason: str


class ListStatus(BaseModel):
    list: Literal["black", "red"]
    entry_id: str
    status: str
    since: datetime | None = None
    until: datetime | None = Field(default=None, description="end of the publication term, if it has one")
    reason: str | None = None


class CreditAnswer(BaseModel):
    uscc: str
    name: str
    status: str
    score: int
    grade: str
    grade_label: dict[str, str]
    rule_version: str
    lists: list[ListStatus]
    explanation: list[ExplanationItem]
    as_of: datetime
    feed_cursor: str = Field(description="the change feed position this answer reflects (at least)")
    version: int = Field(
        description="the enterprise's record version: grows with every credit-affecting write to it"
    )


class GradeChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    old_score: int | None
    old_grade: str | None
    new_score: int
    new_grade: str
    rule_version: str
    cause: str
    cause_ref: str | None
    changed_at: datetime
