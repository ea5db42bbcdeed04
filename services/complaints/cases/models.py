"""Complaint cases, their evidence and every workflow step."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
)
from sqlmodel import Field

from services.common.db import BigId, UTCDateTime
from services.complaints.database import ComplaintsModel


class Complaint(ComplaintsModel, table=True):
    __tablename__ = "complaint"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid, primary_key=True)
    tracking_code: str = Field(sa_type=String(32), unique=True)
    kind: str = Field(sa_type=String(16))
    channel: str = Field(sa_type=String(16))
    target_uscc: str | None = Field(default=None, sa_type=String(18))
    target_name: str | None = Field(default=None, sa_type=String(200))
    category: str = Field(sa_type=String(64))  # a code of categories.toml
    # Before categories were codes: the text the case was filed under (migrated rows only).
    category_as_filed: str | None = Field(default=None, sa_type=String(64))
    product: str | None = Field(default=None, sa_type=String(200))
    description: str = Field(sa_type=Text)
    status: str = Field(sa_type=String(16))
    # Reporter identity: encrypted at rest, readable by handlers only, never sent anywhere.
    reporter_name_enc: str | None = Field(default=None, sa_type=Text)
    reporter_phone_enc: str | None = Field(default=None, sa_type=Text)
    reporter_email_enc: str | None = Field(default=None, sa_type=Text)
    anonymous: bool = Field(sa_type=Boolean)
    duplicate_of: uuid.UUID | None = Field(default=None, sa_type=Uuid, foreign_key="complaint.id")
    received_at: datetime = Field(sa_type=UTCDateTime())
    # Which rules govern the case, by its date of receipt (rules.toml [rule_sets]; Order 121 Art. 46).
    rule_set: str = Field(sa_type=String(16))
    # Who filed it for the reporter (a handler, for a case from the 12315 platform or a hotline).
    filed_by: str | None = Field(default=None, sa_type=String(200))
    platform_ref: str | None = Field(default=None, sa_type=String(64))
    # Where a report's decision period starts: received_at, or the last merged report (Art. 35).
    decision_period_from: datetime = Field(sa_type=UTCDateTime())
    # The deadlines (services/complaints/deadlines.py); *_provisional when past the calendar's end.
    accept_due_at: datetime = Field(sa_type=UTCDateTime())
    accept_due_provisional: bool = Field(default=False, sa_type=Boolean)
    resolve_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    resolve_due_provisional: bool = Field(default=False, sa_type=Boolean)
    notify_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    notify_due_provisional: bool = Field(default=False, sa_type=Boolean)
    notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    violation_found_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    violation_check_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    violation_check_provisional: bool = Field(default=False, sa_type=Boolean)
    violation_check_extended: bool = Field(default=False, sa_type=Boolean)
    # The calendar (its fingerprint) the deadlines were computed with; a newer one recomputes them.
    deadlines_calendar: str | None = Field(default=None, sa_type=String(32))
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    extended: bool = Field(default=False, sa_type=Boolean)
    case_extended: bool = Field(default=False, sa_type=Boolean)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    concluded_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    finding_severity: str | None = Field(default=None, sa_type=String(10))
    finding_category: str | None = Field(default=None, sa_type=String(64))
    outcome: str | None = Field(default=None, sa_type=Text)
    # A barcode named instead of (or as well as) the enterprise; see cases/tracing.py.
    gtin: str | None = Field(default=None, sa_type=String(14))
    batch: str | None = Field(default=None, sa_type=String(64))
    trace_status: str | None = Field(default=None, sa_type=String(16))
    updated_at: datetime = Field(sa_type=UTCDateTime())

    __table_args__ = (
        Index("ix_complaint_status_received_at", "status", "received_at"),
        Index("ix_complaint_target_uscc_category", "target_uscc", "category"),
    )


class Attachment(ComplaintsModel, table=True):
    __tablename__ = "complaint_attachment"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid, primary_key=True)
    complaint_id: uuid.UUID = Field(sa_type=Uuid, foreign_key="complaint.id", index=True)
    filename: str = Field(sa_type=String(200))
    media_type: str = Field(sa_type=String(64))
    size: int = Field(sa_type=Integer)
    sha256: str = Field(sa_type=String(64))
    content: bytes = Field(sa_type=LargeBinary)


class Transition(ComplaintsModel, table=True):
    __tablename__ = "complaint_transition"

    id: int = Field(sa_type=BigId, primary_key=True, sa_column_kwargs={"autoincrement": True})
    complaint_id: uuid.UUID = Field(sa_type=Uuid, foreign_key="complaint.id", index=True)
    action: str = Field(sa_type=String(16))
    from_status: str = Field(sa_type=String(16))
    to_status: str = Field(sa_type=String(16))
    note: str | None = Field(default=None, sa_type=Text)
    actor: str = Field(sa_type=String(200))
    at: datetime = Field(sa_type=UTCDateTime())
