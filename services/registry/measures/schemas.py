"""What a measures answer says: each applicable measure, the facts it rests on, its basis, until when."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Use = Literal["government_procurement", "bidding", "licensing", "honours", "notification_commitment"]


class Fact(BaseModel):
    type: Literal["list_entry", "credit_event", "grade", "risk_class"]
    id: str | None = Field(default=None, description="the list entry's or credit event's id")
    value: str | None = Field(default=None, description="the list, the event's kind, the grade or the class")
    reference: str | None = Field(default=None, description="decision number or source reference")
    date: datetime | None = Field(default=None, description="listed at / occurred at")


class LegalBasis(BaseModel):
    title: str
    quote: str = Field(description="the article as it stands in ../shared/legal/ ('' when not quoted)")
    status: Literal["law", "policy"] = Field(description="law: quoted from the text; policy: the registry's")
    text_available: bool = Field(description="false when the article's full text is not held")


class AppliedMeasure(BaseModel):
    id: str
    effect: str = Field(description="restriction | ineligible | check | incentive")
    text_zh: str
    text_en: str
    legal_basis: LegalBasis
    facts: list[Fact]
    until: datetime | None = Field(
        description="when the facts stop applying (null: until the record changes)"
    )


class MeasuresAnswer(BaseModel):
    uscc: str
    use: Use
    catalogue_version: str
    measures: list[AppliedMeasure]
    as_of: datetime
