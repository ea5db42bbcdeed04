"""Credit events (never deleted, only revoked) and the history of grade changes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.common.db import BigId, UTCDateTime
from services.registry.database import Base


class CreditEvent(Base):
    __tablename__ = "credit_event"

    id: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4)
    uscc: Mapped[str] = mapped_column(String(18), ForeignKey("enterprise.uscc"))
    kind: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    authority: Mapped[str] = mapped_column(String(200))
    source_ref: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    # The product an event is about, when known (spot checks, recalls, traced complaints).
    gtin: Mapped[str | None] = mapped_column(String(14))
    batch: Mapped[str | None] = mapped_column(String(64))
    test_report_no: Mapped[str | None] = mapped_column(String(100))
    product_name: Mapped[str | None] = mapped_column(String(200))

    # Idempotency: one event per (enterprise, issuing authority, source_ref), enforced by the
    # database, not by a read; `issuer` is the authority's key (token issuer | authority), not the officer.
    __table_args__ = (
        PrimaryKeyConstraint("uscc", "id"),  # distributed by uscc (registry/distribution.py)
        UniqueConstraint("uscc", "issuer", "source_ref"),
        Index("ix_credit_event_uscc_occurred_at", "uscc", "occurred_at"),
        Index("ix_credit_event_kind_occurred_at", "kind", "occurred_at"),
    )


class GradeChange(Base):
    __tablename__ = "grade_change"

    # (uscc, id): distributed by uscc. SQLite keeps `id` alone as its key (its rowid), the only
    # key it autoincrements; SQLite is never distributed (see the distributable-keys revision).
    id: Mapped[int] = mapped_column(BigId, autoincrement=True)
    uscc: Mapped[str] = mapped_column(String(18), ForeignKey("enterprise.uscc"))
    old_score: Mapped[int | None] = mapped_column(Integer)
    old_grade: Mapped[str | None] = mapped_column(String(4))
    new_score: Mapped[int] = mapped_column(Integer)
    new_grade: Mapped[str] = mapped_column(String(4))
    rule_version: Mapped[str] = mapped_column(String(32))
    cause: Mapped[str] = mapped_column(String(32))
    cause_ref: Mapped[str | None] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (PrimaryKeyConstraint("uscc", "id"), Index("ix_grade_change_uscc_id", "uscc", "id"))
