"""Partner-side tables: who looked up what and why; webhook subscriptions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String, Text, Uuid
from sqlmodel import Field

from services.common.db import BigId, UTCDateTime
from services.registry.database import RegistryModel


class Subscription(RegistryModel, table=True):
    """A partner's webhook: which change kinds to deliver where, and how far it has got."""

    __tablename__ = "subscription"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid, primary_key=True)
    partner: str = Field(sa_type=String(200))
    url: str = Field(sa_type=String(500))
    kinds: list[str] = Field(sa_type=JSON)
    # The signing secret is needed in clear to compute HMACs; it is shown to the partner once.
    secret: str = Field(sa_type=String(64))
    active: bool = Field(default=True, sa_type=Boolean)
    cursor: int = Field(default=0, sa_type=BigId)
    attempts: int = Field(default=0, sa_type=Integer)
    next_attempt_at: datetime = Field(sa_type=UTCDateTime())
    leased_until: datetime | None = Field(default=None, sa_type=UTCDateTime())
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime())
