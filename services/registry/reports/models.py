"""Issued credit reports: the signed document, its PDF and who asked for it, kept per enterprise."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from services.common.db import UTCDateTime
from services.registry.database import Base


class CreditReport(Base):
    """One report. The number embeds the code, so a public look-up by number finds its shard."""

    __tablename__ = "credit_report"

    uscc: Mapped[str] = mapped_column(String(18), ForeignKey("enterprise.uscc"), primary_key=True)
    number: Mapped[str] = mapped_column(String(48), primary_key=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_by: Mapped[str] = mapped_column(String(200))
    issuer_role: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    # The canonical JSON text that was signed, byte for byte, its SHA-256 and the record part's.
    document: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    record_sha256: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str] = mapped_column(String(128))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))

    __table_args__ = (
        Index("ix_credit_report_pdf_sha256", "pdf_sha256"),
        Index("ix_credit_report_uscc_issued_at", "uscc", "issued_at"),
    )
