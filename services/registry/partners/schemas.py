"""Partner batch status API models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.common.pagination import MAX_JSON_INT
from services.registry.ledger.service import FEED_KINDS
from services.registry.measures.schemas import AppliedMeasure, Use


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    usccs: list[Annotated[str, Field(pattern=r"^[^\x00]*$")]] = Field(
        min_length=1, description="codes to look up; at most the configured batch size"
    )
    use: Use | None = Field(
        default=None, description="also answer the joint measures for this use, per found code"
    )


class BatchItem(BaseModel):
    uscc: str = Field(description="the code as normalised (or as sent, when it cannot be)")
    result: Literal["found", "not_found", "invalid"]
    reason: str | None = None
    name: str | None = None
    status: str | None = None
    score: int | None = None
    grade: str | None = None
    rule_version: str | None = None
    lists: list[str] = Field(default=[], description="lists the enterprise is on now: black, red")
    measures: list[AppliedMeasure] | None = Field(
        default=None, description="with `use`: the applicable measures"
    )


class BatchAnswer(BaseModel):
    items: list[BatchItem]
    as_of: datetime
    feed_cursor: str = Field(description="continue with GET /v1/changes?after=<feed_cursor> to stay in sync")


class ChangeOut(BaseModel):
    seq: int
    kind: str
    uscc: str
    data: dict[str, Any]
    at: datetime


class ChangePage(BaseModel):
    items: list[ChangeOut]
    next_cursor: str = Field(description="pass as `after` for the next page (unchanged when nothing is new)")
    as_of: datetime


class AccessLogOut(BaseModel):
    id: int
    at: datetime
    partner: str
    lookup: str
    purpose: str
    code_count: int
    usccs: list[str] = Field(description="the codes asked (the first 50)")


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
URL_PATTERN = rf"^https?://(?:\[[0-9A-Fa-f:.]+\]|{_LABEL}(?:\.{_LABEL})*)(?::[0-9]{{1,5}})?(?:/[!-~]*)?$"


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=8,
        max_length=500,
        pattern=URL_PATTERN,
        description="where to POST changes: http(s), a host name or address, an optional port and path",
    )
    kinds: list[Annotated[str, Field(json_schema_extra={"enum": list(FEED_KINDS)})]] = Field(
        min_length=1, max_length=10, description="change kinds to deliver"
    )
    after: int | None = Field(
        None, ge=0, le=MAX_JSON_INT, description="start after this feed cursor (default: now)"
    )


class SubscriptionOut(BaseModel):
    id: str
    url: str
    kinds: list[str]
    active: bool
    cursor: str
    attempts: int
    last_error: str | None
    created_at: datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="HMAC key for QCR-Signature; shown only in this answer")


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after: int = Field(ge=0, le=MAX_JSON_INT, description="deliver again every change after this cursor")
