"""Complaint cases, their evidence and every workflow step."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.common.db import BigId, UTCDateTime
from services.complaints.database import Base


class Complaint(Base):
    __tablename__ = "complaint"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tracking_code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    target_uscc: Mapped[str | None] = mapped_column(String(18))
    target_name: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))  # a code of categories.toml
    # Before categories were codes: the text the case was filed under (migrated rows only).
    category_as_filed: Mapped[str | None] = mapped_column(String(64))
    product: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    # Reporter identity: encrypted at rest, readable by handlers only, never sent anywhere.
    reporter_name_enc: Mapped[str | None] = mapped_column(Text)
    reporter_phone_enc: Mapped[str | None] = mapped_column(Text)
    reporter_email_enc: Mapped[str | None] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(Boolean)
    duplicate_of: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("complaint.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Which rules govern the case, by its date of receipt (rules.toml [rule_sets]; Order 121 Art. 46).
    rule_set: Mapped[str] = mapped_column(String(16))
    # Who filed it for the reporter (a handler, for a case from the 12315 platform or a hotline).
    filed_by: Mapped[str | None] = mapped_column(String(200))
    platform_ref: Mapped[str | None] = mapped_column(String(64))
    # Where a report's decision period starts: received_at, or the last merged report (Art. 35).
    decision_period_from: Mapped[datetime] = mapped_column(UTCDateTime())
    # The deadlines (services/complaints/deadlines.py); *_provisional when past the calendar's end.
    accept_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accept_due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    resolve_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolve_due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notify_due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    violation_found_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    violation_check_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    violation_check_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    violation_check_extended: Mapped[bool] = mapped_column(Boolean, default=False)
    # The calendar (its fingerprint) the deadlines were computed with; a newer one recomputes them.
    deadlines_calendar: Mapped[str | None] = mapped_column(String(32))
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    case_extended: Mapped[bool] = mapped_column(Boolean, default=False)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finding_severity: Mapped[str | None] = mapped_column(String(10))
    finding_category: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(Text)
    # A barcode named instead of (or as well as) the enterprise; see cases/tracing.py.
    gtin: Mapped[str | None] = mapped_column(String(14))
    batch: Mapped[str | None] = mapped_column(String(64))
    trace_status: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_complaint_status_received_at", "status", "received_at"),
        Index("ix_complaint_target_uscc_category", "target_uscc", "category"),
    )


class Attachment(Base):
    __tablename__ = "complaint_attachment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaint.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Transition(Base):
    __tablename__ = "complaint_transition"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaint.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
