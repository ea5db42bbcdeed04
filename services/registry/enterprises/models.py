"""Enterprise table: the code, what it says, and the current grade kept beside it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.common.db import UTCDateTime
from services.registry.database import Base


class Enterprise(Base):
    __tablename__ = "enterprise"

    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    division: Mapped[str] = mapped_column(String(6), index=True)
    registration_authority: Mapped[str] = mapped_column(String(1))
    entity_type: Mapped[str] = mapped_column(String(1))
    address: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="active")
    check_override_reason: Mapped[str | None] = mapped_column(Text)
    # The grade is derived from events and rules; it is stored, in the same transaction as the
    # event that changes it, so a lookup is one indexed row read.
    score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(4), index=True)
    rule_version: Mapped[str] = mapped_column(String(32))
    explanation: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    graded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    regrade_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The enterprise's audit chain, kept on its row (the row every write locks first): how many
    # entries it has and the hash of the last, so appending reads nothing else and two enterprises'
    # writes never touch a shared row.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    chain_head: Mapped[str] = mapped_column(String(64), default="0" * 64, server_default="0" * 64)

    # Name search is a substring match (LIKE '%…%'): a trigram GIN index serves it on PostgreSQL
    # (EXPLAIN at 1,000,000 rows: parallel seq scan 846 ms without it; see bench/NOTES.md).
    __table_args__ = (
        Index(
            "ix_enterprise_name_gin", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}
        ),
    )
