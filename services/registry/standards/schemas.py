"""Standards API models: declarations and their versions, findings, spot-check draws."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from services.common.decimals import Fixed
from services.common.text import PROSE_PATTERN, Line, Text
from services.common.text import Prose as ProseText
from services.common.timestamps import Timestamp
from services.registry.credit.schemas import Severity
from services.registry.standards import documents, numbers

Comparator = Literal[">=", ">", "<=", "<", "=", "range"]
StandardType = Literal["product", "service"]
Status = Literal["published", "withdrawn"]
Finding = Literal["under_review", "non_compliant", "compliant"]
Supervision = Literal["none", "under_review", "non_compliant", "compliant"]
# Keys of order83.toml [corrections]: the articles that order a correction by a deadline.
CorrectionBasisKey = Literal["art30", "art31", "art32", "art33"]
IndicatorValue = Fixed(12, 12, signed=True)


def _number(value: str) -> str:
    try:
        return numbers.parse(value).text
    except numbers.NumberError as exc:
        raise ValueError(str(exc)) from exc


StandardNumberText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="standard number: Q/… (enterprise), T/… (group), GB, GB/T (national), "
        "industry codes such as QB/T, local DB…/T; normalised (full-width, em dash, case)",
        examples=["Q/ABC 0001S-2026"],
        json_schema_extra={"pattern": numbers.PATTERN},
    ),
    AfterValidator(_number),
]
Prose = ProseText(4000)


# value_max goes with the comparator `range`, and only with it (the check in `_range`).
_RANGE: dict[str, Any] = {
    "if": {"required": ["comparator"], "properties": {"comparator": {"const": "range"}}},
    "then": {"required": ["value_max"], "properties": {"value_max": {"not": {"type": "null"}}}},
    "else": {"properties": {"value_max": {"type": "null"}}},
}


class Indicator(BaseModel):
    """A key technical indicator: name, comparator, value (and upper value of a range), unit, method."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_RANGE)

    name: Line(100)  # type: ignore[valid-type]
    comparator: Comparator = Field(description="'>=' is ≥, '<=' is ≤; 'range' needs value_max")
    value: IndicatorValue
    value_max: IndicatorValue | None = None
    unit: Line(32) | None = Field(default=None, examples=["g/100g"])  # type: ignore[valid-type]
    test_method: Line(200) | None = Field(default=None, examples=["GB 5009.5"])  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _range(self) -> Indicator:
        if (self.comparator == "range") != (self.value_max is not None):
            raise ValueError("value_max goes with comparator 'range', and only with it")
        if self.value_max is not None and self.value_max <= self.value:
            raise ValueError("value_max must be above value")
        return self


class DocumentUpload(BaseModel):
    """The standard's text as a PDF, base64-encoded; checked by content, not by file name."""

    model_config = ConfigDict(extra="forbid")

    filename: Line(200)  # type: ignore[valid-type]
    content_base64: str = Field(
        min_length=1,
        max_length=50_000_000,
        description="a PDF file, base64",
        json_schema_extra={"pattern": documents.BASE64_PATTERN, "format": documents.PDF_FORMAT},
    )


# The disclosure rules of `service._check_content` that hang on another field, as JSON Schema:
# an enterprise (Q/) standard discloses its indicators, each with its test method (Order 83 art. 14
# para 2); below_recommended needs its note (art. 14 para 3).
_DISCLOSURE: dict[str, Any] = {
    "allOf": [
        {
            "if": {"required": ["number"], "properties": {"number": {"pattern": numbers.ENTERPRISE_PATTERN}}},
            "then": {
                "required": ["indicators"],
                "properties": {
                    "indicators": {
                        "minItems": 1,
                        "items": {
                            "required": ["test_method"],
                            "properties": {"test_method": {"type": "string"}},
                        },
                    }
                },
            },
        },
        {
            "if": {"required": ["below_recommended"], "properties": {"below_recommended": {"const": True}}},
            "then": {
                "required": ["below_recommended_note"],
                "properties": {"below_recommended_note": {"type": "string", "pattern": PROSE_PATTERN}},
            },
        },
    ]
}


class StandardCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_DISCLOSURE)

    number: StandardNumberText
    title: Line(200)  # type: ignore[valid-type]
    type: StandardType = "product"
    products: list[Line(100)] = Field(  # type: ignore[valid-type]
        min_length=1, max_length=50, description="the products or services the standard covers"
    )
    category: Line(64) | None = Field(  # type: ignore[valid-type]
        default=None,
        description="product category of the mandatory-values table (GET /v1/standards/mandatory-values) "
        "the products fall under; products named like a category are compared anyway",
    )
    indicators: list[Indicator] = Field(
        default_factory=list,
        max_length=100,
        description="required for enterprise (Q/) standards: their functional and performance indicators, "
        "each with its test method, are public (Order 83 art. 14 para 2); every mandatory indicator of "
        "the product's category must be among them",
    )
    below_recommended: bool = Field(
        default=False,
        description="the indicators are fewer or lower than the recommended standard cited; said publicly "
        "(Order 83 art. 14 para 3)",
    )
    below_recommended_note: Text(2000) | None = Field(  # type: ignore[valid-type]
        default=None, description="which indicators, and how they differ; required with below_recommended"
    )
    recommended_standard: StandardNumberText | None = Field(
        default=None, description="the recommended standard (GB/T …) the comparison refers to"
    )
    supply_starts_on: date | None = Field(
        default=None,
        description="first day the product or service is supplied; a disclosure after it shows as late "
        "(Order 83 art. 15)",
    )
    implemented_on: date
    document: DocumentUpload | None = Field(
        default=None, description="the text (PDF); an enterprise may keep it unpublished"
    )


class StandardRevision(StandardCreate):
    revision_note: Prose = Field(description="what changed and why")  # type: ignore[valid-type]
    base_version: int | None = Field(
        default=None, ge=1, le=1_000_000, description="the version revised; a 409 if it is no longer current"
    )
    document: DocumentUpload | None = Field(
        default=None, description="a new text; omitted keeps the current one"
    )


class Withdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Prose  # type: ignore[valid-type]


class FlagCreditEvent(BaseModel):
    """The credit event a non-compliant finding records (kind standard_noncompliant)."""

    model_config = ConfigDict(extra="forbid")

    severity: Severity
    authority: Line(200)  # type: ignore[valid-type]
    source_ref: Line(200) = Field(description="decision number; idempotency key as for any credit event")  # type: ignore[valid-type]
    occurred_at: Timestamp
    expires_at: Timestamp | None = None
    summary: Text(2000) | None = None  # type: ignore[valid-type]


class _Flag(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Prose  # type: ignore[valid-type]
    indicators: list[Line(100)] = Field(default_factory=list, max_length=100)  # type: ignore[valid-type]
    reference: Line(200) | None = Field(  # type: ignore[valid-type]
        default=None, description="inspection report or decision number"
    )


class ReviewFlag(_Flag):
    """under_review or compliant: a finding only."""

    finding: Literal["under_review", "compliant"]


class NonCompliantFlag(_Flag):
    """non_compliant: may record a credit event and order a correction by a day."""

    # The order to correct is the day and the article together (the schema says so too); neither is null.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "dependentRequired": {
                "correction_due_on": ["correction_basis"],
                "correction_basis": ["correction_due_on"],
            }
        },
    )

    finding: Literal["non_compliant"]
    credit_event: FlagCreditEvent | None = Field(
        default=None, description="record a credit event against the enterprise"
    )
    correction_due_on: date = Field(  # type: ignore[assignment]
        default=None,
        description="the order to correct by this day (责令限期改正), today or later; past it and not "
        "corrected, the failure is published",
    )
    correction_basis: CorrectionBasisKey = Field(  # type: ignore[assignment]
        default=None, description="the article of Order 83 the order rests on; goes with correction_due_on"
    )

    @model_validator(mode="after")
    def _correction_together(self) -> NonCompliantFlag:
        if (self.correction_due_on is None) != (self.correction_basis is None):
            raise ValueError("correction_due_on and correction_basis go together")
        return self


# One body per finding, told apart by `finding`: only a non_compliant one carries an event or an order.
FlagCreate = Annotated[ReviewFlag | NonCompliantFlag, Field(discriminator="finding")]


class SampleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n: int = Field(ge=1, le=1000, description="how many declarations to draw")
    region: str | None = Field(default=None, pattern=r"^\d{2,6}$", description="division code prefix")
    product: Line(100) | None = Field(default=None, description="product word")  # type: ignore[valid-type]
    type: StandardType | None = None
    note: Line(500) | None = None  # type: ignore[valid-type]


class DocumentOut(BaseModel):
    sha256: str
    size: int
    filename: str
    media_type: str
    url: str


class IndicatorOut(BaseModel):
    name: str
    comparator: Comparator
    value: Decimal
    value_max: Decimal | None = None
    unit: str | None = None
    test_method: str | None = None


class Disclosure(BaseModel):
    """What Order 83 arts. 14 and 15 ask the declaration itself to say (public)."""

    below_recommended: bool
    below_recommended_note: str | None
    recommended_standard: str | None
    supply_starts_on: date | None
    disclosed_late: bool = Field(description="published after the product was first supplied (art. 15)")
    basis: str


class VersionSummary(BaseModel):
    version: int
    number: str
    title: str
    published_at: datetime
    revision_note: str | None
    document_sha256: str | None


class VersionOut(BaseModel):
    declaration_id: uuid.UUID
    uscc: str
    version: int
    number: str
    level: str
    title: str
    type: StandardType
    products: list[str]
    category: str | None
    indicators: list[IndicatorOut]
    implemented_on: date
    disclosure: Disclosure
    document: DocumentOut | None
    revision_note: str | None
    published_at: datetime


class FlagOut(BaseModel):
    id: uuid.UUID
    declaration_id: uuid.UUID
    version: int
    finding: Finding
    source: Literal["regulator", "comparison"]
    reason: str
    indicators: list[dict[str, Any]]
    reference: str | None
    reference_version: str | None
    credit_event_id: uuid.UUID | None
    flagged_at: datetime
    correction_due_on: date | None
    correction_basis: str | None = Field(description="the article the order to correct rests on, quoted")
    corrected_at: datetime | None
    correction_overdue: bool = Field(
        description="the day to correct has passed without a compliant finding; the failure is published"
    )


class StandardSummary(BaseModel):
    id: uuid.UUID
    uscc: str
    enterprise_name: str
    status: Status
    supervision: Supervision
    version: int
    number: str
    level: str
    title: str
    type: StandardType
    products: list[str]
    category: str | None
    implemented_on: date
    below_recommended: bool
    published_at: datetime
    updated_at: datetime
    withdrawn_at: datetime | None
    document_sha256: str | None


class UncorrectedOut(BaseModel):
    """A declaration whose order to correct has passed uncorrected: published (Order 83 arts. 30–33)."""

    declaration: StandardSummary
    flag: FlagOut
    consequence: str = Field(description="what the article provides once the deadline passes")


class ComparisonOut(BaseModel):
    """The current version against the mandatory values in force (computed when read)."""

    reference_version: str
    weaker: list[dict[str, Any]]
    missing: list[dict[str, Any]] = Field(
        description="mandatory indicators an enterprise standard leaves out (a finding)"
    )


class StandardOut(StandardSummary):
    disclosure: Disclosure
    indicators: list[IndicatorOut]
    document: DocumentOut | None
    revision_note: str | None
    withdrawal_reason: str | None
    flags: list[FlagOut]
    versions: list[VersionSummary]
    comparison: ComparisonOut


class SampleOut(BaseModel):
    id: uuid.UUID
    method: str
    status: Literal["committed", "drawn"]
    seed_sha256: str = Field(description="SHA-256 (hex) of the seed, published before the draw")
    seed: str | None = Field(description="revealed at the draw; null while committed")
    n: int
    filters: dict[str, Any]
    cooldown_days: int
    candidate_count: int
    candidates_sha256: str
    chosen: list[StandardSummary]
    note: str | None
    committed_at: datetime
    drawn_at: datetime | None


class SampleCandidates(BaseModel):
    sample_id: uuid.UUID
    method: str
    status: Literal["committed", "drawn"]
    seed_sha256: str
    seed: str | None
    n: int
    candidates: list[uuid.UUID]
    chosen: list[uuid.UUID]


class MandatoryLimitOut(BaseModel):
    indicator: str
    aliases: list[str]
    comparator: Comparator
    value: str
    value_max: str | None
    unit: str
    text: str
    source: str
    status: str


class MandatoryCategoryOut(BaseModel):
    name: str
    aliases: list[str]
    limits: list[MandatoryLimitOut]


class MandatoryValuesOut(BaseModel):
    version: str
    categories: list[MandatoryCategoryOut]
