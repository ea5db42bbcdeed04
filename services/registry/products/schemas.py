"""Product API models: prefixes, items, the barcode lookup and its batch, failed products, recalls."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.common.gtin import TRADE_ITEM_FORMAT, GtinChecked
from services.common.text import WHITESPACE, Line
from services.common.uscc import UsccChecked
from services.registry.credit.schemas import ListStatus

PrefixStatus = Literal["valid", "expired", "cancelled"]


def _prefix(value: str) -> str:
    value = value.strip()
    if not value.isascii() or not value.isdigit() or not 4 <= len(value) <= 12:
        raise ValueError("a company prefix is 4 to 12 digits")
    return value


# What OpenAPI says of a prefix: 4 to 12 ASCII digits, surrounding whitespace (which strip() drops) allowed.
PREFIX_PATTERN = f"^[{WHITESPACE}]*[0-9]{{4,12}}[{WHITESPACE}]*$"
PrefixDigits = Annotated[
    str, Field(max_length=20, json_schema_extra={"pattern": PREFIX_PATTERN}), AfterValidator(_prefix)
]
# A batch answers "invalid" for a code it cannot read; only a NUL, which no body may carry, is a 422.
AnyText = Annotated[str, Field(max_length=40, json_schema_extra={"pattern": "^[^\\u0000]*$"})]


class PrefixCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prefix: PrefixDigits
    uscc: UsccChecked  # type: ignore[valid-type]
    registered_on: date
    valid_until: date | None = Field(None, description="default: two years after registered_on (Art. 24)")


class _PrefixChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    valid_until: date | None = Field(None, description="renew: the new end of validity")
    reason: Line(500) | None = None  # type: ignore[valid-type]


class PrefixRenewal(_PrefixChange):
    action: Literal["renew"]
    valid_until: date = Field(description="the new end of validity, after the current one (else 409)")


class PrefixCancellation(_PrefixChange):
    action: Literal["cancel"]


# Told apart by `action`: a renewal names its new end of validity.
PrefixUpdate = Annotated[PrefixRenewal | PrefixCancellation, Field(discriminator="action")]


class PrefixOut(BaseModel):
    prefix: str
    uscc: str
    enterprise_name: str | None = None
    registered_on: date
    valid_until: date
    status: PrefixStatus
    cancelled_on: date | None


class ProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gtin: GtinChecked = Field(
        description="check digit verified; a trade item's (not a restricted-circulation or coupon number)",
        json_schema_extra={"format": TRADE_ITEM_FORMAT},
    )
    name: Line(200)  # type: ignore[valid-type]
    brand: Line(100) | None = None  # type: ignore[valid-type]
    category: Line(64) | None = None  # type: ignore[valid-type]
    standards: list[Line(64)] = Field(  # type: ignore[valid-type]
        default=[], max_length=20, description="numbers of the standards it follows, e.g. Q/ABC 0001S-2024"
    )


class ProductOut(BaseModel):
    gtin: str
    uscc: str
    name: str
    brand: str | None
    category: str | None
    standards: list[str]
    source: str
    created_at: datetime
    updated_at: datetime


class ProductHolder(BaseModel):
    uscc: str
    name: str
    status: str
    grade: str
    grade_label: dict[str, str]
    lists: list[ListStatus]


class DeclaredStandard(BaseModel):
    id: str
    number: str
    title: str
    status: str


class ProductWarning(BaseModel):
    code: Literal["prefix_expired", "prefix_cancelled", "item_not_notified", "prefix_unknown"]
    message: str
    legal_basis: str


class SpecialRange(BaseModel):
    kind: str
    first: str
    last: str
    label: dict[str, str]


LookupResult = Literal["item", "prefix_holder", "restricted"]


class ProductLookup(BaseModel):
    gtin: str
    result: LookupResult = Field(
        description="item: a published item; prefix_holder: no item, the enterprise holding the prefix; "
        "restricted: a restricted-circulation or coupon number, not looked up"
    )
    uscc: str | None
    item: ProductOut | None
    prefix: PrefixOut | None
    enterprise: ProductHolder | None
    declarations: list[DeclaredStandard]
    warnings: list[ProductWarning]
    restricted: SpecialRange | None = None
    as_of: datetime


class ProductTrace(BaseModel):
    """The service-to-service answer: who answers for a barcode, and nothing about who asked."""

    gtin: str
    result: Literal["item", "prefix_holder", "restricted", "not_found"]
    uscc: str | None
    name: str | None
    product: str | None
    warnings: list[str]


class ProductBatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gtins: list[AnyText] = Field(min_length=1)


class ProductBatchItem(BaseModel):
    gtin: str
    result: Literal["item", "prefix_holder", "restricted", "not_found", "invalid"]
    uscc: str | None = None
    name: str | None = None
    product: str | None = None
    grade: str | None = None
    lists: list[str] = []
    warnings: list[str] = []
    error: str | None = None


class ProductBatchAnswer(BaseModel):
    items: list[ProductBatchItem]
    as_of: datetime


class ProductEvent(BaseModel):
    """One failed product (不合格产品) or one recall, as published."""

    event_id: str
    gtin: str | None
    product: str | None
    batch: str | None
    uscc: str
    enterprise_name: str
    severity: str
    result: str | None = Field(description="the test result or the reason, as recorded")
    test_report_no: str | None
    authority: str
    source_ref: str = Field(description="the spot check (or recall decision) it came from")
    occurred_at: datetime
