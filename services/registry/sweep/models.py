"""Leases: which replica runs a periodic job now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from services.common.db import UTCDateTime
from services.registry.database import Base


class Lease(Base):
    """One replica holds the job until `expires_at`; it renews before then, or another takes over."""

    __tablename__ = "lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
