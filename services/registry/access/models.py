"""The access log's tables: one row per lookup, and its codes one row each."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.common.db import BigId, UTCDateTime
from services.registry.database import Base


class AccessLog(Base):
    """One partner lookup (single, batch or feed page): accountable access to credit data."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    partner: Mapped[str] = mapped_column(String(200))
    lookup: Mapped[str] = mapped_column(String(16))  # single | batch | feed
    purpose: Mapped[str] = mapped_column(String(200))
    usccs: Mapped[list[str]] = mapped_column(JSON)
    code_count: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_access_log_partner_at", "partner", "at"),)


class AccessLogCode(Base):
    """The codes of a lookup, one row each, so an enterprise can find who looked at it."""

    __tablename__ = "access_log_code"

    access_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)

    __table_args__ = (Index("ix_access_log_code_uscc_access_id", "uscc", "access_id"),)
