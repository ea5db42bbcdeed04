"""Risk classes, inspectors, inspection plans (with their committed draw) and inspection tasks."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from services.common.db import UTCDateTime
from services.registry.database import Base


class RiskClass(Base):
    """The stored risk class of an enterprise, with the inputs and rules that made it."""

    __tablename__ = "risk_class"

    uscc: Mapped[str] = mapped_column(String(18), ForeignKey("enterprise.uscc"), primary_key=True)
    risk_class: Mapped[str] = mapped_column(String(2), index=True)
    points: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(4))
    list_status: Mapped[str] = mapped_column(String(8))
    product_level: Mapped[str] = mapped_column(String(8))
    categories: Mapped[list[str]] = mapped_column(JSON)
    explanation: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    rules_version: Mapped[str] = mapped_column(String(32))
    catalogue_version: Mapped[str] = mapped_column(String(32))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Inspector(Base):
    __tablename__ = "inspector"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100))
    badge_no: Mapped[str] = mapped_column(String(40), unique=True)
    region: Mapped[str] = mapped_column(String(6))  # division prefix the inspector works in
    specialties: Mapped[list[str]] = mapped_column(JSON)  # catalogue category names
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InspectionPlan(Base):
    """A plan: draft → approved (seed committed, candidates frozen) → drawn (seed revealed) → closed."""

    __tablename__ = "inspection_plan"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # random | directed
    status: Mapped[str] = mapped_column(String(16))
    authority: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(6))
    categories: Mapped[list[str]] = mapped_column(JSON)
    statuses: Mapped[list[str]] = mapped_column(JSON)
    targets: Mapped[list[str]] = mapped_column(JSON)  # directed plans: the enterprises behind a warning
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    ratios: Mapped[dict[str, str]] = mapped_column(JSON)
    cap: Mapped[int | None] = mapped_column(Integer)
    inspector_pool: Mapped[list[str]] = mapped_column(JSON)
    warning_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    rules_version: Mapped[str] = mapped_column(String(32))
    # The draw: the seed is secret until drawn; the candidates are frozen at approval.
    method: Mapped[str | None] = mapped_column(String(40))
    seed: Mapped[str | None] = mapped_column(String(64))
    seed_sha256: Mapped[str | None] = mapped_column(String(64))
    candidate_count: Mapped[int | None] = mapped_column(Integer)
    candidates_sha256: Mapped[str | None] = mapped_column(String(64))
    candidates: Mapped[list[dict[str, str]] | None] = deferred(mapped_column(JSON))
    quotas: Mapped[dict[str, int] | None] = mapped_column(JSON)
    chosen: Mapped[list[str] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(200))
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    drawn_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_inspection_plan_status_created_at", "status", "created_at"),)


class InspectionTask(Base):
    """One drawn enterprise: sampled → tested → (objection → retested) → final."""

    __tablename__ = "inspection_task"

    id: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspection_plan.id"))  # a reference table
    uscc: Mapped[str] = mapped_column(String(18), ForeignKey("enterprise.uscc"))
    risk_class: Mapped[str] = mapped_column(String(2))
    inspectors: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    product: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(64))
    sample_ref: Mapped[str | None] = mapped_column(String(100))
    sampled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    test_result: Mapped[str | None] = mapped_column(String(8))
    severity: Mapped[str | None] = mapped_column(String(10))
    findings: Mapped[str | None] = mapped_column(Text)
    tested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    objection_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    objection: Mapped[str | None] = mapped_column(Text)
    retest_result: Mapped[str | None] = mapped_column(String(8))
    final_result: Mapped[str | None] = mapped_column(String(8))
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    publish_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    credit_event_id: Mapped[uuid.UUID | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        PrimaryKeyConstraint("uscc", "id"),  # distributed by uscc (registry/distribution.py)
        ForeignKeyConstraint(["uscc", "credit_event_id"], ["credit_event.uscc", "credit_event.id"]),
        UniqueConstraint("plan_id", "uscc"),
        Index("ix_inspection_task_uscc_finalised_at", "uscc", "finalised_at"),
        Index("ix_inspection_task_category_finalised_at", "category", "finalised_at"),
    )


class TaskInspector(Base):
    """Who was sent where, when: what the rotation rule looks at."""

    __tablename__ = "task_inspector"

    task_id: Mapped[uuid.UUID] = mapped_column()
    inspector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspector.id"))  # a reference table
    uscc: Mapped[str] = mapped_column(String(18))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        PrimaryKeyConstraint("uscc", "task_id", "inspector_id"),
        ForeignKeyConstraint(["uscc", "task_id"], ["inspection_task.uscc", "inspection_task.id"]),
        Index("ix_task_inspector_inspector_id_uscc", "inspector_id", "uscc"),
    )
