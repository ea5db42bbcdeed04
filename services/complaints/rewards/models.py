"""Reporter rewards: the claim secret issued at intake, and one reward case per report.

Amounts are integers in fen (分): exact on both databases, converted to yuan at the API edge.
Nothing here ever leaves the complaints service.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String, Text, Uuid
from sqlmodel import Field

from services.common.db import UTCDateTime
from services.complaints.database import ComplaintsModel


class ClaimSecret(ComplaintsModel, table=True):
    """The scrypt hash of the secret a real-name reporter was shown once at intake."""

    __tablename__ = "reward_claim_secret"

    complaint_id: uuid.UUID = Field(sa_type=Uuid, foreign_key="complaint.id", primary_key=True)
    secret_hash: str = Field(sa_type=String(200))
    created_at: datetime = Field(sa_type=UTCDateTime())


class Reward(ComplaintsModel, table=True):
    __tablename__ = "reward"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid, primary_key=True)
    complaint_id: uuid.UUID = Field(sa_type=Uuid, foreign_key="complaint.id", unique=True)
    rules_version: str = Field(sa_type=String(16))
    # The outcome of the case the report led to, as the handler recorded it.
    decision_no: str | None = Field(default=None, sa_type=String(100))
    fines_fen: int = Field(sa_type=BigInteger)
    confiscations_fen: int = Field(sa_type=BigInteger)
    measures: list[str] = Field(sa_type=JSON)
    referred_for_prosecution: bool = Field(sa_type=Boolean)
    violator_type: str = Field(sa_type=String(16))
    evidence_level: int = Field(sa_type=Integer)
    facts: dict[str, Any] = Field(sa_type=JSON)
    # The service's decision: every check with its reason, and the amount by the rules.
    checks: list[dict[str, Any]] = Field(sa_type=JSON)
    eligible: bool = Field(sa_type=Boolean)
    proposed_fen: int | None = Field(default=None, sa_type=BigInteger)
    calculation: str | None = Field(default=None, sa_type=Text)
    amount_fen: int | None = Field(default=None, sa_type=BigInteger)
    needs_finance: bool = Field(sa_type=Boolean)
    # ineligible | proposed | awaiting_finance | approved | rejected | claimed | paid
    status: str = Field(sa_type=String(20), index=True)
    recorded_by: str = Field(sa_type=String(200))
    recorded_at: datetime = Field(sa_type=UTCDateTime())
    approved_by: str | None = Field(default=None, sa_type=String(200))
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    approval_note: str | None = Field(default=None, sa_type=Text)
    finance_by: str | None = Field(default=None, sa_type=String(200))
    finance_ref: str | None = Field(default=None, sa_type=String(100))
    finance_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    claim_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    paid_by: str | None = Field(default=None, sa_type=String(200))
    payment_ref: str | None = Field(default=None, sa_type=String(100))
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    updated_at: datetime = Field(sa_type=UTCDateTime())
