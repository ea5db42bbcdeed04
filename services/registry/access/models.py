"""The access log: one row per lookup, its codes in one array column.

PostgreSQL keeps the codes as `text[]` with a GIN index, so "who looked at this code" is an index
search (`usccs @> ARRAY[code]`); SQLite keeps them as a JSON array (searched with `json_each`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field

from services.common.db import BigId, UTCDateTime
from services.registry.database import RegistryModel

Codes = JSON().with_variant(ARRAY(String(18)), "postgresql")


class AccessLog(RegistryModel, table=True):
    """One partner lookup (single, batch or feed page): accountable access to credit data."""

    __tablename__ = "access_log"

    id: int = Field(sa_type=BigId, primary_key=True, sa_column_kwargs={"autoincrement": True})
    at: datetime = Field(sa_type=UTCDateTime())
    partner: str = Field(sa_type=String(200))
    lookup: str = Field(sa_type=String(16))  # single | batch | feed | events | history
    purpose: str = Field(sa_type=String(200))
    usccs: list[str] = Field(sa_type=Codes)  # every code looked up, sorted, each once
    code_count: int = Field(sa_type=Integer)

    __table_args__ = (
        Index("ix_access_log_partner_at", "partner", "at"),
        Index("ix_access_log_usccs", "usccs", postgresql_using="gin"),
    )
