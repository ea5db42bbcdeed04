"""Reward API models: the handler's outcome record, decisions, the public claim and its answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.common.decimals import Fixed
from services.common.text import Line, Text

# Yuan and fen, below a trillion: what the schema states (services/common/decimals.py).
Yuan = Fixed(12, 2)
# A reward case's status (models.Reward.status), what the handler's list filters by.
RewardStatus = Literal[
    "ineligible", "proposed", "awaiting_finance", "approved", "rejected", "claimed", "paid"
]
Measure = Literal["suspension", "closure", "licence_revocation", "warning", "order_to_correct", "other"]


class ReporterFacts(BaseModel):
    """What the handler established about the reporter: each exclusion must be answered."""

    model_config = ConfigDict(extra="forbid")

    natural_person: bool = Field(description="the reporter is a natural person (自然人)")
    staff_or_duty_to_report: bool = Field(description="regulator staff, or a person with a duty to report")
    injured_party_or_agent: bool = Field(description="the injured party, its agent or an interested party")
    violator: bool = Field(description="the reporter committed the violation")
    insider: bool = Field(description="the reporter works inside the violator (内部举报人)")
    paid_by_other_market_actor: bool = Field(description="paid by another market actor for the report")
    known_before: bool = Field(description="the regulator already knew what was reported")


class OutcomeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision_no: Line(100) | None = Field(None, description="penalty decision number (处罚决定书文号)")  # type: ignore[valid-type]
    violator_type: Literal["person", "organisation"]
    fines: Yuan = Decimal(0)
    confiscations: Yuan = Decimal(0)
    measures: list[Measure] = Field(default=[], max_length=6)
    referred_for_prosecution: bool = False
    evidence_level: Literal[1, 2, 3] = Field(description="1: detailed facts and direct evidence … 3: basic")
    reporter: ReporterFacts


class Check(BaseModel):
    code: str
    passed: bool
    reason: str


class RewardOut(BaseModel):
    """The handler's view of a reward case."""

    id: uuid.UUID
    complaint_id: uuid.UUID
    rules_version: str
    status: str
    eligible: bool
    checks: list[Check]
    decision_no: str | None
    fines: Decimal
    confiscations: Decimal
    measures: list[str]
    referred_for_prosecution: bool
    violator_type: str
    evidence_level: int
    proposed_amount: Decimal | None
    calculation: str | None
    amount: Decimal | None
    needs_finance: bool
    recorded_by: str
    recorded_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    finance_by: str | None
    finance_ref: str | None
    claim_due_at: datetime | None
    claimed_at: datetime | None
    paid_at: datetime | None
    payment_ref: str | None


class ApprovalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    amount: Yuan | None = Field(None, description="a raised amount for an insider (needs the finance step)")
    note: Text(2000) | None = None  # type: ignore[valid-type]


class FinanceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    finance_ref: Line(100) = Field(description="the finance department's agreement (商本级政府财政部门确定)")  # type: ignore[valid-type]


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_ref: Line(100)  # type: ignore[valid-type]


class ClaimCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tracking_code: str = Field(min_length=1, max_length=40)
    claim_secret: str = Field(min_length=1, max_length=60)


class RewardPublic(BaseModel):
    """What the reporter sees by tracking code: the amount and the status, nothing else."""

    status: Literal["approved", "claimed", "paid", "expired"]
    amount: Decimal
    claim_by: datetime | None
