"""Issued credit reports: the signed document, its PDF and who asked for it, kept per enterprise."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, String, Text
from sqlmodel import Field

from services.common.db import UTCDateTime, deferred_columns
from services.registry.database import RegistryModel


class CreditReport(RegistryModel, table=True):
    """One report. The number embeds the code, so a public look-up by number finds its shard."""

    __tablename__ = "credit_report"

    uscc: str = Field(sa_type=String(18), foreign_key="enterprise.uscc", primary_key=True)
    number: str = Field(sa_type=String(48), primary_key=True)
    issued_at: datetime = Field(sa_type=UTCDateTime())
    valid_until: datetime = Field(sa_type=UTCDateTime())
    issued_by: str = Field(sa_type=String(200))
    issuer_role: str = Field(sa_type=String(16))
    purpose: str = Field(sa_type=String(200))
    language: str = Field(sa_type=String(2))
    # The canonical JSON text that was signed, byte for byte, its SHA-256 and the record part's.
    document: str = Field(sa_type=Text)
    content_sha256: str = Field(sa_type=String(64))
    record_sha256: str = Field(sa_type=String(64))
    key_id: str = Field(sa_type=String(32))
    signature: str = Field(sa_type=String(128))
    pdf_sha256: str = Field(sa_type=String(64))
    pdf: bytes = Field(sa_type=LargeBinary, nullable=False)

    __mapper_args__ = deferred_columns("pdf")  # loaded only when read
    __table_args__ = (
        Index("ix_credit_report_pdf_sha256", "pdf_sha256"),
        Index("ix_credit_report_uscc_issued_at", "uscc", "issued_at"),
    )
