"""Notification API models: the handler's view (no address, no text), the respondent's contact."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from services.complaints.cases.schemas import _email, _phone


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
    model_config = ConfigDict(extra="forbid")

    phone: Annotated[str, Field(max_length=24), AfterValidator(_phone)] | None = None
    email: Annotated[str, Field(max_length=254), AfterValidator(_email)] | None = None

    @model_validator(mode="after")
    def _one(self) -> ContactIn:
        if not (self.phone or self.email):
            raise ValueError("give phone or email")
        return self


class ContactOut(BaseModel):
    party: str
    channel: str
