"""Reporter rewards: the claim secret issued at intake, and one reward case per report.

Amounts are integers in fen (分): exact on both databases, converted to yuan at the API edge.
Nothing here ever leaves the complaints service.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.common.db import UTCDateTime
from services.complaints.database import Base


class ClaimSecret(Base):
    """The scrypt hash of the secret a real-name reporter was shown once at intake."""

    __tablename__ = "reward_claim_secret"

    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaint.id"), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Reward(Base):
    __tablename__ = "reward"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    complaint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("complaint.id"), unique=True)
    rules_version: Mapped[str] = mapped_column(String(16))
    # The outcome of the case the report led to, as the handler recorded it.
    decision_no: Mapped[str | None] = mapped_column(String(100))
    fines_fen: Mapped[int] = mapped_column(BigInteger)
    confiscations_fen: Mapped[int] = mapped_column(BigInteger)
    measures: Mapped[list[str]] = mapped_column(JSON)
    referred_for_prosecution: Mapped[bool] = mapped_column(Boolean)
    violator_type: Mapped[str] = mapped_column(String(16))
    evidence_level: Mapped[int] = mapped_column(Integer)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The service's decision: every check with its reason, and the amount by the rules.
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    eligible: Mapped[bool] = mapped_column(Boolean)
    proposed_fen: Mapped[int | None] = mapped_column(BigInteger)
    calculation: Mapped[str | None] = mapped_column(Text)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    needs_finance: Mapped[bool] = mapped_column(Boolean)
    # ineligible | proposed | awaiting_finance | approved | rejected | claimed | paid
    status: Mapped[str] = mapped_column(String(20), index=True)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approval_note: Mapped[str | None] = mapped_column(Text)
    finance_by: Mapped[str | None] = mapped_column(String(200))
    finance_ref: Mapped[str | None] = mapped_column(String(100))
    finance_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_by: Mapped[str | None] = mapped_column(String(200))
    payment_ref: Mapped[str | None] = mapped_column(String(100))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
