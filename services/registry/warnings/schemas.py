"""API models of early warning: warnings, their steps, consumer risk notices."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.common.text import Line, Text

Level = Literal["blue", "yellow", "orange", "red"]
LEVEL_ZH = {"blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"}


class WarningOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    signal: str
    region: str | None
    category: str | None
    uscc: str | None
    window_start: date
    window_end: date
    count: int
    baseline: float
    p_value: float
    level: Level
    evidence: dict[str, Any]
    thresholds_version: str
    status: Literal["open", "assessed", "disposed", "closed"]
    assessment: str | None
    measures: list[dict[str, Any]]
    history: list[dict[str, Any]]
    raised_at: datetime
    updated_at: datetime


class WarningTransition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["assess", "dispose", "close"]
    note: Text(2000) | None = None  # type: ignore[valid-type]
    measures: list[Line(500)] = Field(  # type: ignore[valid-type]
        default_factory=list, max_length=20, description="other measures, in words"
    )


class NoticeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    authority: Line(200)  # type: ignore[valid-type]
    title_zh: Line(200)  # type: ignore[valid-type]
    body_zh: Text(5000) = Field(min_length=1)  # type: ignore[valid-type]
    title_en: Line(200)  # type: ignore[valid-type]
    body_en: Text(5000) = Field(min_length=1)  # type: ignore[valid-type]


class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    warning_id: uuid.UUID
    level: Level
    region: str | None
    category: str | None
    title_zh: str
    body_zh: str
    title_en: str
    body_en: str
    authority: str
    published_at: datetime


class DirectedPlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    authority: Line(200)  # type: ignore[valid-type]
    inspector_pool: list[uuid.UUID] = Field(min_length=2, max_length=500)
    title: Line(200) | None = None  # type: ignore[valid-type]
    period_start: date | None = None
    period_end: date | None = None


class SignalRunOut(BaseModel):
    ran: bool = Field(description="false when another replica holds the job's lease")
    raised: int
    series: int
    complaints_available: bool
