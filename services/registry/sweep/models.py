"""Leases: which replica runs a periodic job now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field

from services.common.db import UTCDateTime
from services.registry.database import RegistryModel


class Lease(RegistryModel, table=True):
    """One replica holds the job until `expires_at`; it renews before then, or another takes over."""

    __tablename__ = "lease"

    name: str = Field(sa_type=String(40), primary_key=True)
    holder: str = Field(sa_type=String(100))
    expires_at: datetime = Field(sa_type=UTCDateTime())
