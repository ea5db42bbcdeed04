"""Credit-report answers: what issuing returns, and what the public verification says."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ReportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Literal["zh", "en"] = Field(
        default="zh", description="the PDF's language (the document is the same)"
    )


class ReportOut(BaseModel):
    number: str
    uscc: str
    issued_at: datetime
    valid_until: datetime
    language: str
    content_sha256: str = Field(description="SHA-256 of `document_text`, the canonical JSON that was signed")
    key_id: str = Field(description="`kid` of the signing key in GET /v1/credit-report-keys")
    signature: str = Field(description="Ed25519 signature of `document_text`, base64url")
    document_text: str = Field(description="the canonical JSON document, byte for byte as signed")
    document: dict[str, Any]
    verification_url: str
    pdf_url: str
    pdf_sha256: str


class ReportVerification(BaseModel):
    number: str
    genuine: bool = Field(description="issued by this registry, signature good under a published key")
    reason: str | None = Field(default=None, description="why not genuine")
    uscc: str | None = None
    name: str | None = None
    issued_at: datetime | None = None
    valid_until: datetime | None = None
    valid: bool = Field(description="genuine and not past its validity")
    record_changed_since_issue: bool | None = Field(
        None, description="whether the enterprise's record, as the report shows it, is different now"
    )
    content_sha256: str | None = None
    key_id: str | None = None
    checked_at: datetime
