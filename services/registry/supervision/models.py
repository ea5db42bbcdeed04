"""Risk classes, inspectors, inspection plans (with their committed draw) and inspection tasks."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlmodel import Field

from services.common.db import UTCDateTime, deferred_columns
from services.registry.database import RegistryModel


class RiskClass(RegistryModel, table=True):
    """The stored risk class of an enterprise, with the inputs and rules that made it."""

    __tablename__ = "risk_class"

    uscc: str = Field(sa_type=String(18), foreign_key="enterprise.uscc", primary_key=True)
    risk_class: str = Field(sa_type=String(2), index=True)
    points: int = Field(sa_type=Integer)
    grade: str = Field(sa_type=String(4))
    list_status: str = Field(sa_type=String(8))
    product_level: str = Field(sa_type=String(8))
    categories: list[str] = Field(sa_type=JSON)
    explanation: list[dict[str, Any]] = Field(sa_type=JSON)
    rules_version: str = Field(sa_type=String(32))
    catalogue_version: str = Field(sa_type=String(32))
    computed_at: datetime = Field(sa_type=UTCDateTime())


class Inspector(RegistryModel, table=True):
    __tablename__ = "inspector"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid, primary_key=True)
    name: str = Field(sa_type=String(100))
    badge_no: str = Field(sa_type=String(40), unique=True)
    region: str = Field(sa_type=String(6))  # division prefix the inspector works in
    specialties: list[str] = Field(sa_type=JSON)  # catalogue category names
    active: bool = Field(default=True, sa_type=Boolean)
    created_at: datetime = Field(sa_type=UTCDateTime())


class InspectionPlan(RegistryModel, table=True):
    """A plan: draft → approved (seed committed, candidates frozen) → drawn (seed revealed) → closed."""

    __tablename__ = "inspection_plan"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid, primary_key=True)
    title: str = Field(sa_type=String(200))
    kind: str = Field(sa_type=String(16))  # random | directed
    status: str = Field(sa_type=String(16))
    authority: str = Field(sa_type=String(200))
    region: str | None = Field(default=None, sa_type=String(6))
    categories: list[str] = Field(sa_type=JSON)
    statuses: list[str] = Field(sa_type=JSON)
    targets: list[str] = Field(sa_type=JSON)  # directed plans: the enterprises behind a warning
    period_start: date = Field(sa_type=Date)
    period_end: date = Field(sa_type=Date)
    ratios: dict[str, str] = Field(sa_type=JSON)
    cap: int | None = Field(default=None, sa_type=Integer)
    inspector_pool: list[str] = Field(sa_type=JSON)
    warning_id: uuid.UUID | None = Field(default=None, sa_type=Uuid, index=True)
    rules_version: str = Field(sa_type=String(32))
    # The draw: the seed is secret until drawn; the candidates are frozen at approval.
    method: str | None = Field(default=None, sa_type=String(40))
    seed: str | None = Field(default=None, sa_type=String(64))
    seed_sha256: str | None = Field(default=None, sa_type=String(64))
    candidate_count: int | None = Field(default=None, sa_type=Integer)
    candidates_sha256: str | None = Field(default=None, sa_type=String(64))
    candidates: list[dict[str, str]] | None = Field(default=None, sa_type=JSON)
    quotas: dict[str, int] | None = Field(default=None, sa_type=JSON)
    chosen: list[str] | None = Field(default=None, sa_type=JSON)
    note: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime())
    created_by: str = Field(sa_type=String(200))
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    approved_by: str | None = Field(default=None, sa_type=String(200))
    drawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    drawn_by: str | None = Field(default=None, sa_type=String(200))

    __mapper_args__ = deferred_columns("candidates")  # loaded only when read
    __table_args__ = (Index("ix_inspection_plan_status_created_at", "status", "created_at"),)


class InspectionTask(RegistryModel, table=True):
    """One drawn enterprise: sampled → tested → (objection → retested) → final."""

    __tablename__ = "inspection_task"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid)
    plan_id: uuid.UUID = Field(sa_type=Uuid, foreign_key="inspection_plan.id")  # a reference table
    uscc: str = Field(sa_type=String(18), foreign_key="enterprise.uscc")
    risk_class: str = Field(sa_type=String(2))
    inspectors: list[str] = Field(sa_type=JSON)
    status: str = Field(sa_type=String(16))
    product: str | None = Field(default=None, sa_type=String(100))
    category: str | None = Field(default=None, sa_type=String(64))
    sample_ref: str | None = Field(default=None, sa_type=String(100))
    sampled_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    test_result: str | None = Field(default=None, sa_type=String(8))
    severity: str | None = Field(default=None, sa_type=String(10))
    findings: str | None = Field(default=None, sa_type=Text)
    tested_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    objection_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    objection: str | None = Field(default=None, sa_type=Text)
    retest_result: str | None = Field(default=None, sa_type=String(8))
    final_result: str | None = Field(default=None, sa_type=String(8))
    finalised_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    publish_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    credit_event_id: uuid.UUID | None = Field(default=None, sa_type=Uuid)
    updated_at: datetime = Field(sa_type=UTCDateTime())

    __table_args__ = (
        PrimaryKeyConstraint("uscc", "id"),  # distributed by uscc (registry/distribution.py)
        ForeignKeyConstraint(["uscc", "credit_event_id"], ["credit_event.uscc", "credit_event.id"]),
        UniqueConstraint("plan_id", "uscc"),
        Index("ix_inspection_task_uscc_finalised_at", "uscc", "finalised_at"),
        Index("ix_inspection_task_category_finalised_at", "category", "finalised_at"),
    )


class TaskInspector(RegistryModel, table=True):
    """Who was sent where, when: what the rotation rule looks at."""

    __tablename__ = "task_inspector"

    task_id: uuid.UUID = Field(sa_type=Uuid)
    inspector_id: uuid.UUID = Field(sa_type=Uuid, foreign_key="inspector.id")  # a reference table
    uscc: str = Field(sa_type=String(18))
    assigned_at: datetime = Field(sa_type=UTCDateTime())

    __table_args__ = (
        PrimaryKeyConstraint("uscc", "task_id", "inspector_id"),
        ForeignKeyConstraint(["uscc", "task_id"], ["inspection_task.uscc", "inspection_task.id"]),
        Index("ix_task_inspector_inspector_id_uscc", "inspector_id", "uscc"),
    )
