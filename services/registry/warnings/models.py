"""Warnings (open → assessed → disposed → closed), consumer risk notices, and the signal job's lease."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.common.db import UTCDateTime
from services.registry.database import Base


class RiskWarning(Base):
    __tablename__ = "risk_warning"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    signal: Mapped[str] = mapped_column(String(32))
    # What the signal counted: region and category, or one enterprise (`uscc`).
    region: Mapped[str | None] = mapped_column(String(6))
    category: Mapped[str | None] = mapped_column(String(64))
    uscc: Mapped[str | None] = mapped_column(String(18))
    window_start: Mapped[date] = mapped_column(Date)
    window_end: Mapped[date] = mapped_column(Date)
    count: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(8))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    thresholds_version: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    assessment: Mapped[str | None] = mapped_column(Text)
    measures: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # One warning per signal, subject and window, however often the job runs.
    subject_key: Mapped[str] = mapped_column(String(120))

    __table_args__ = (
        UniqueConstraint("signal", "subject_key", "window_end"),
        Index("ix_risk_warning_status_raised_at", "status", "raised_at"),
    )


class RiskNotice(Base):
    """A consumer risk notice (消费提示) published from a warning, in Chinese and English."""

    __tablename__ = "risk_notice"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    warning_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("risk_warning.id"), index=True)
    level: Mapped[str] = mapped_column(String(8))
    region: Mapped[str | None] = mapped_column(String(6))
    category: Mapped[str | None] = mapped_column(String(64))
    title_zh: Mapped[str] = mapped_column(String(200))
    body_zh: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(String(200))
    body_en: Mapped[str] = mapped_column(Text)
    authority: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    published_by: Mapped[str] = mapped_column(String(200))


class JobLease(Base):
    """Who runs a periodic job until when: replicas skip a run another one holds."""

    __tablename__ = "job_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(120))
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
