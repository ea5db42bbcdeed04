"""Notification API models: the handler's view (no address, no text), the respondent's contact."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, model_validator

from services.complaints.cases.schemas import Email, Phone, present


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    complaint_id: uuid.UUID
    kind: str
    recipient: str
    channel: str | None
    legal_basis: str
    due_at: datetime
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": present("phone", "email")})

    phone: Phone | None = None
    email: Email | None = None

    @model_validator(mode="after")
    def _one(self) -> ContactIn:
        if not (self.phone or self.email):
            raise ValueError("give phone or email")
        return self


class ContactOut(BaseModel):
    party: str
    channel: str
