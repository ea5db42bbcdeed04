"""The access log: one row per lookup, its codes in one array column.

PostgreSQL keeps the codes as `text[]` with a GIN index, so "who looked at this code" is an index
search (`usccs @> ARRAY[code]`); SQLite keeps them as a JSON array (searched with `json_each`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.common.db import BigId, UTCDateTime
from services.registry.database import Base

Codes = JSON().with_variant(ARRAY(String(18)), "postgresql")


class AccessLog(Base):
    """One partner lookup (single, batch or feed page): accountable access to credit data."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    partner: Mapped[str] = mapped_column(String(200))
    lookup: Mapped[str] = mapped_column(String(16))  # single | batch | feed | events | history
    purpose: Mapped[str] = mapped_column(String(200))
    usccs: Mapped[list[str]] = mapped_column(Codes)  # every code looked up, sorted, each once
    code_count: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_access_log_partner_at", "partner", "at"),
        Index("ix_access_log_usccs", "usccs", postgresql_using="gin"),
    )
