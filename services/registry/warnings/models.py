"""Warnings (open → assessed → disposed → closed), consumer risk notices, and the signal job's lease."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlmodel import Field

from services.common.db import UTCDateTime
from services.registry.database import RegistryModel


class RiskWarning(RegistryModel, table=True):
    __tablename__ = "risk_warning"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid, primary_key=True)
    signal: str = Field(sa_type=String(32))
    # What the signal counted: region and category, or one enterprise (`uscc`).
    region: str | None = Field(default=None, sa_type=String(6))
    category: str | None = Field(default=None, sa_type=String(64))
    uscc: str | None = Field(default=None, sa_type=String(18))
    window_start: date = Field(sa_type=Date)
    window_end: date = Field(sa_type=Date)
    count: int = Field(sa_type=Integer)
    baseline: float = Field(sa_type=Float)
    p_value: float = Field(sa_type=Float)
    level: str = Field(sa_type=String(8))
    evidence: dict[str, Any] = Field(sa_type=JSON)
    thresholds_version: str = Field(sa_type=String(32))
    status: str = Field(sa_type=String(16))
    assessment: str | None = Field(default=None, sa_type=Text)
    measures: list[dict[str, Any]] = Field(sa_type=JSON)
    raised_at: datetime = Field(sa_type=UTCDateTime())
    updated_at: datetime = Field(sa_type=UTCDateTime())
    history: list[dict[str, Any]] = Field(sa_type=JSON)
    # One warning per signal, subject and window, however often the job runs.
    subject_key: str = Field(sa_type=String(120))

    __table_args__ = (
        UniqueConstraint("signal", "subject_key", "window_end"),
        Index("ix_risk_warning_status_raised_at", "status", "raised_at"),
    )


class RiskNotice(RegistryModel, table=True):
    """A consumer risk notice (消费提示) published from a warning, in Chinese and English."""

    __tablename__ = "risk_notice"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid, primary_key=True)
    warning_id: uuid.UUID = Field(sa_type=Uuid, foreign_key="risk_warning.id", index=True)
    level: str = Field(sa_type=String(8))
    region: str | None = Field(default=None, sa_type=String(6))
    category: str | None = Field(default=None, sa_type=String(64))
    title_zh: str = Field(sa_type=String(200))
    body_zh: str = Field(sa_type=Text)
    title_en: str = Field(sa_type=String(200))
    body_en: str = Field(sa_type=Text)
    authority: str = Field(sa_type=String(200))
    published_at: datetime = Field(sa_type=UTCDateTime(), index=True)
    published_by: str = Field(sa_type=String(200))


class JobLease(RegistryModel, table=True):
    """Who runs a periodic job until when: replicas skip a run another one holds."""

    __tablename__ = "job_lease"

    name: str = Field(sa_type=String(40), primary_key=True)
    holder: str | None = Field(default=None, sa_type=String(120))
    leased_until: datetime | None = Field(default=None, sa_type=UTCDateTime())
    last_run_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
