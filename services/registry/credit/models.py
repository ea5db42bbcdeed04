"""Credit events (never deleted, only revoked) and the history of grade changes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Integer, PrimaryKeyConstraint, String, Text, UniqueConstraint, Uuid
from sqlmodel import Field

from services.common.db import BigId, UTCDateTime
from services.registry.database import RegistryModel


class CreditEvent(RegistryModel, table=True):
    __tablename__ = "credit_event"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid)
    uscc: str = Field(sa_type=String(18), foreign_key="enterprise.uscc")
    kind: str = Field(sa_type=String(40))
    severity: str = Field(sa_type=String(10))
    authority: str = Field(sa_type=String(200))
    source_ref: str = Field(sa_type=String(200))
    issuer: str = Field(sa_type=String(200))
    summary: str | None = Field(default=None, sa_type=Text)
    occurred_at: datetime = Field(sa_type=UTCDateTime())
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    recorded_at: datetime = Field(sa_type=UTCDateTime())
    recorded_by: str = Field(sa_type=String(200))
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    revoked_by: str | None = Field(default=None, sa_type=String(200))
    revocation_reason: str | None = Field(default=None, sa_type=Text)
    # The product an event is about, when known (spot checks, recalls, traced complaints).
    gtin: str | None = Field(default=None, sa_type=String(14))
    batch: str | None = Field(default=None, sa_type=String(64))
    test_report_no: str | None = Field(default=None, sa_type=String(100))
    product_name: str | None = Field(default=None, sa_type=String(200))

    # Idempotency: one event per (enterprise, issuing authority, source_ref), enforced by the
    # database, not by a read; `issuer` is the authority's key (token issuer | authority), not the officer.
    __table_args__ = (
        PrimaryKeyConstraint("uscc", "id"),  # distributed by uscc (registry/distribution.py)
        UniqueConstraint("uscc", "issuer", "source_ref"),
        Index("ix_credit_event_uscc_occurred_at", "uscc", "occurred_at"),
        Index("ix_credit_event_kind_occurred_at", "kind", "occurred_at"),
    )


class GradeChange(RegistryModel, table=True):
    __tablename__ = "grade_change"

    # (uscc, id): distributed by uscc. SQLite keeps `id` alone as its key (its rowid), the only
    # key it autoincrements; SQLite is never distributed (see the distributable-keys revision).
    id: int = Field(sa_type=BigId, sa_column_kwargs={"autoincrement": True})
    uscc: str = Field(sa_type=String(18), foreign_key="enterprise.uscc")
    old_score: int | None = Field(default=None, sa_type=Integer)
    old_grade: str | None = Field(default=None, sa_type=String(4))
    new_score: int = Field(sa_type=Integer)
    new_grade: str = Field(sa_type=String(4))
    rule_version: str = Field(sa_type=String(32))
    cause: str = Field(sa_type=String(32))
    cause_ref: str | None = Field(default=None, sa_type=String(200))
    changed_at: datetime = Field(sa_type=UTCDateTime())
    changed_by: str = Field(sa_type=String(200))

    __table_args__ = (PrimaryKeyConstraint("uscc", "id"), Index("ix_grade_change_uscc_id", "uscc", "id"))
