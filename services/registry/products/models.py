"""Company prefixes (厂商识别代码) held by enterprises, and the items (GTINs) published under them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Index, String, Text
from sqlmodel import Field

from services.common.db import UTCDateTime
from services.registry.database import RegistryModel


class CompanyPrefix(RegistryModel, table=True):
    """One prefix, registered to one enterprise.

    Keyed by (uscc, prefix) like every registry table; the prefix alone is unique as well, because
    第十六条 "系统成员对其厂商识别代码、商品代码和相应的商品条码享有专用权" (one holder per prefix).
    """

    __tablename__ = "company_prefix"

    uscc: str = Field(sa_type=String(18), foreign_key="enterprise.uscc", primary_key=True)
    prefix: str = Field(sa_type=String(12), primary_key=True)
    registered_on: date = Field(sa_type=Date)
    valid_until: date = Field(sa_type=Date)
    # valid | cancelled as recorded; "expired" is derived from valid_until at read time.
    status: str = Field(sa_type=String(12))
    cancelled_on: date | None = Field(default=None, sa_type=Date)
    cancel_reason: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime())
    created_by: str = Field(sa_type=String(200))
    updated_at: datetime = Field(sa_type=UTCDateTime())

    # One holder per prefix across enterprises: a unique index on `prefix` alone cannot exist on a
    # table distributed by uscc, so the writer takes a lock on the prefix and checks (service.py).
    __table_args__ = (Index("ix_company_prefix_prefix", "prefix"),)


class Product(RegistryModel, table=True):
    """An item: its GTIN (kept in the 14-digit form as the key), what it is and what it follows."""

    __tablename__ = "product"

    uscc: str = Field(sa_type=String(18), foreign_key="enterprise.uscc", primary_key=True)
    gtin14: str = Field(sa_type=String(14), primary_key=True)
    gtin: str = Field(sa_type=String(14))
    name: str = Field(sa_type=String(200))
    brand: str | None = Field(default=None, sa_type=String(100))
    category: str | None = Field(default=None, sa_type=String(64))
    standards: list[str] = Field(sa_type=JSON)
    source: str = Field(sa_type=String(16))
    created_at: datetime = Field(sa_type=UTCDateTime())
    created_by: str = Field(sa_type=String(200))
    updated_at: datetime = Field(sa_type=UTCDateTime())

    # One item per GTIN: enforced like the prefix (a lock on the key, then a check; service.py).
    __table_args__ = (Index("ix_product_gtin14", "gtin14"),)
