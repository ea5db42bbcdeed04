"""Partner batch status API models."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    usccs: list[str] = Field(min_length=1, description="codes to look up; at most the configured batch size")


class BatchItem(BaseModel):
    uscc: str = Field(description="the code as normalised (or as sent, when it cannot be)")
    result: Literal["found", "not_found", "invalid"]
    reason: str | None = None
    name: str | None = None
    status: str | None = None
    score: int | None = None
    grade: str | None = None
    rule_version: str | None = None
    lists: list[str] = Field([], description="lists the enterprise is on now: black, red")


class BatchAnswer(BaseModel):
    items: list[BatchItem]
    as_of: datetime
