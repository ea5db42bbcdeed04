"""API models of classified supervision: risk classes, inspectors, plans, tasks and their results."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.common.decimals import Fraction
from services.common.text import Line, Text
from services.common.text import Prose as ProseText
from services.registry.credit.schemas import Severity
from services.registry.supervision.rules import load_catalogue

RiskClassName = Literal["A", "B", "C", "D"]
# A sampling ratio: a share of the class in [0, 1].
Share = Fraction(12)
REGION = r"^\d{2,6}$"


class RiskClassOut(BaseModel):
    uscc: str
    risk_class: RiskClassName
    points: int
    grade: str
    list_status: Literal["none", "red", "black"]
    product_level: Literal["high", "medium", "low", "none"]
    categories: list[str]
    explanation: list[dict[str, Any]]
    rules_version: str
    catalogue_version: str
    computed_at: datetime


class CatalogueCategoryOut(BaseModel):
    name: str
    aliases: list[str]
    risk_level: str
    source: str


class CatalogueOut(BaseModel):
    version: str
    categories: list[CatalogueCategoryOut]


class InspectorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line(100)  # type: ignore[valid-type]
    badge_no: str = Field(pattern=r"^[0-9A-Za-z-]{1,40}$", description="law-enforcement certificate number")
    region: str = Field(pattern=REGION, description="division code prefix the inspector works in")
    specialties: list[Line(64)] = Field(default_factory=list, max_length=20)  # type: ignore[valid-type]


class InspectorOut(BaseModel):
    id: uuid.UUID
    name: str
    badge_no: str
    region: str
    specialties: list[str]
    active: bool
    created_at: datetime


# A category or alias of the product catalogue (the names `Catalogue.get` takes).
CatalogueName = Annotated[
    str,
    Field(
        json_schema_extra={
            "enum": sorted({n for c in load_catalogue().categories for n in (c.name, *c.aliases)})
        }
    ),
]


class PlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Line(200)  # type: ignore[valid-type]
    authority: Line(200)  # type: ignore[valid-type]
    region: str | None = Field(default=None, pattern=REGION, description="division code prefix")
    categories: list[CatalogueName] = Field(default_factory=list, max_length=20)
    statuses: list[Literal["active", "deregistered"]] = Field(default=["active"], min_length=1)
    period_start: date
    period_end: date
    ratios: dict[RiskClassName, Share] | None = Field(
        default=None, description="per-class sampling ratio in [0, 1]; defaults from the rules file"
    )
    cap: int | None = Field(default=None, ge=1, le=100000, description="at most this many tasks")
    inspector_pool: list[uuid.UUID] = Field(min_length=2, max_length=500)
    note: Text(2000) | None = None  # type: ignore[valid-type]


class PlanOut(BaseModel):
    id: uuid.UUID
    title: str
    kind: Literal["random", "directed"]
    status: Literal["draft", "approved", "drawn", "closed"]
    authority: str
    region: str | None
    categories: list[str]
    statuses: list[str]
    targets: list[str]
    period_start: date
    period_end: date
    ratios: dict[str, str]
    cap: int | None
    inspector_pool: list[uuid.UUID]
    warning_id: uuid.UUID | None
    rules_version: str
    method: str | None
    seed_sha256: str | None = Field(description="SHA-256 of the server seed, published at approval")
    seed: str | None = Field(description="revealed at the draw")
    candidate_count: int | None
    candidates_sha256: str | None
    quotas: dict[str, int] | None
    chosen: list[str] | None
    note: str | None
    created_at: datetime
    approved_at: datetime | None
    drawn_at: datetime | None


class Candidate(BaseModel):
    uscc: str
    risk_class: RiskClassName


class PlanCandidates(BaseModel):
    plan_id: uuid.UUID
    method: str | None
    seed_sha256: str | None
    seed: str | None
    quotas: dict[str, int] | None
    candidates_sha256: str | None
    candidates: list[Candidate]
    chosen: list[str] | None


class TaskOut(BaseModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    uscc: str
    risk_class: str
    inspectors: list[uuid.UUID]
    status: Literal["assigned", "sampled", "tested", "objection", "final"]
    product: str | None
    category: str | None
    sample_ref: str | None
    sampled_at: datetime | None
    test_result: Literal["pass", "fail"] | None
    severity: str | None
    findings: str | None
    tested_at: datetime | None
    objection_due_at: datetime | None
    objection: str | None
    retest_result: Literal["pass", "fail"] | None
    final_result: Literal["pass", "fail"] | None
    finalised_at: datetime | None
    publish_due_at: datetime | None
    credit_event_id: uuid.UUID | None


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sample_ref: Line(100) | None = None  # type: ignore[valid-type]
    product: Line(100) | None = None  # type: ignore[valid-type]
    category: Line(64) | None = None  # type: ignore[valid-type]
    result: Literal["pass", "fail"] | None = None
    severity: Severity | None = None
    findings: Text(2000) | None = None  # type: ignore[valid-type]
    objection: Text(2000) | None = None  # type: ignore[valid-type]
    at: AwareDatetime | None = Field(default=None, description="when it happened (default: now)")


class SampledStep(_Step):
    """The sample is taken: its reference is required."""

    step: Literal["sampled"]
    sample_ref: Line(100)  # type: ignore[valid-type]


class ResultGivenStep(_Step):
    """A test or a retest: its result is required."""

    step: Literal["tested", "retested"]
    result: Literal["pass", "fail"]


class ObjectionStep(_Step):
    """The enterprise objects: its objection is required."""

    step: Literal["objection"]
    objection: ProseText(2000)  # type: ignore[valid-type]


class FinalStep(_Step):
    step: Literal["final"]


# One step of the spot-check procedure on a task; what each step requires is told apart by `step`.
ResultStep = Annotated[SampledStep | ResultGivenStep | ObjectionStep | FinalStep, Field(discriminator="step")]


class PublishedResult(BaseModel):
    """What the public sees of a task (一公开): the enterprise, the product and the final result."""

    task_id: uuid.UUID
    uscc: str
    name: str
    product: str | None
    category: str | None
    final_result: Literal["pass", "fail"]
    finalised_at: datetime


class PlanResults(BaseModel):
    """The public face of a plan from its approval: the commitment, then the seed and the results."""

    plan_id: uuid.UUID
    status: Literal["approved", "drawn", "closed"]
    seed_sha256: str | None = Field(description="published at approval, before anyone sees the draw")
    seed: str | None = Field(description="revealed at the draw")
    candidate_count: int | None
    candidates_sha256: str | None
    quotas: dict[str, int] | None
    title: str
    authority: str
    period_start: date
    period_end: date
    publish_within_working_days: int
    results: list[PublishedResult]
