"""The notification outbox: messages the rules require, committed with the step that requires them.

The address is sealed with the reporter vault; the dispatcher opens it only to hand it to a sender.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlmodel import Field

from services.common.db import BigId, UTCDateTime
from services.complaints.database import ComplaintsModel


class Notification(ComplaintsModel, table=True):
    __tablename__ = "notification"

    id: int = Field(sa_type=BigId, primary_key=True, sa_column_kwargs={"autoincrement": True})
    complaint_id: uuid.UUID = Field(sa_type=Uuid, foreign_key="complaint.id", index=True)
    kind: str = Field(sa_type=String(32))
    recipient: str = Field(sa_type=String(16))  # complainant | reporter | respondent
    channel: str | None = Field(default=None, sa_type=String(8))  # sms | email; None: no address known
    address_enc: str | None = Field(default=None, sa_type=Text)
    subject: str = Field(sa_type=String(200))
    body: str = Field(sa_type=Text)
    legal_basis: str = Field(sa_type=Text)
    due_at: datetime = Field(sa_type=UTCDateTime())
    # pending | sent | failed | no_address (a handler must deliver it another way, e.g. by letter)
    status: str = Field(sa_type=String(16))
    attempts: int = Field(default=0, sa_type=Integer)
    next_attempt_at: datetime = Field(sa_type=UTCDateTime())
    leased_until: datetime | None = Field(default=None, sa_type=UTCDateTime())
    leased_by: str | None = Field(default=None, sa_type=String(64))
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime())
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime())

    __table_args__ = (
        UniqueConstraint("complaint_id", "kind", "recipient"),
        Index("ix_notification_status_next_attempt_at", "status", "next_attempt_at"),
    )


class PartyContact(ComplaintsModel, table=True):
    """How to reach the other party (the respondent of a complaint), sealed like the reporter's."""

    __tablename__ = "party_contact"

    complaint_id: uuid.UUID = Field(sa_type=Uuid, foreign_key="complaint.id", primary_key=True)
    party: str = Field(sa_type=String(16), primary_key=True)
    phone_enc: str | None = Field(default=None, sa_type=Text)
    email_enc: str | None = Field(default=None, sa_type=Text)
    updated_at: datetime = Field(sa_type=UTCDateTime())
