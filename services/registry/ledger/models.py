"""The ledger: the partner change feed and the hash-chained audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from services.common.db import BigId, UTCDateTime
from services.registry.database import Base


class Change(Base):
    """One change a partner's decision may depend on, numbered in commit order."""

    __tablename__ = "change"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    uscc: Mapped[str] = mapped_column(String(18))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_change_uscc_seq", "uscc", "seq"),)


class AuditEntry(Base):
    """A credit-affecting write; `hash` covers the content and the previous entry's hash."""

    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    uscc: Mapped[str | None] = mapped_column(String(18))
    subject: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_entry_uscc_seq", "uscc", "seq"),)
