"""The transactional outbox: credit events waiting to be delivered to the registry."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, Uuid
from sqlmodel import Field

from services.common.db import BigId, UTCDateTime
from services.complaints.database import ComplaintsModel


class OutboxMessage(ComplaintsModel, table=True):
    __tablename__ = "outbox_message"

    id: int = Field(sa_type=BigId, primary_key=True, sa_column_kwargs={"autoincrement": True})
    complaint_id: uuid.UUID = Field(sa_type=Uuid, foreign_key="complaint.id", unique=True)
    uscc: str = Field(sa_type=String(18))
    payload: dict[str, Any] = Field(sa_type=JSON)
    status: str = Field(sa_type=String(16))  # pending | sent | failed
    attempts: int = Field(default=0, sa_type=Integer)
    next_attempt_at: datetime = Field(sa_type=UTCDateTime())
    # A claim is a lease: a dispatcher that dies mid-delivery lets it lapse and another retries.
    leased_until: datetime | None = Field(default=None, sa_type=UTCDateTime())
    leased_by: str | None = Field(default=None, sa_type=String(64))
    last_error: str | None = Field(default=None, sa_type=Text)
    registry_event_id: str | None = Field(default=None, sa_type=String(64))
    created_at: datetime = Field(sa_type=UTCDateTime())
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime())

    __table_args__ = (Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),)
