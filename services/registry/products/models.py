"""Company prefixes (厂商识别代码) held by enterprises, and the items (GTINs) published under them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.common.db import UTCDateTime
from services.registry.database import Base


class CompanyPrefix(Base):
    """One prefix, registered to one enterprise.

    Keyed by (uscc, prefix) like every registry table; the prefix alone is unique as well, because
    第十六条 "系统成员对其厂商识别代码、商品代码和相应的商品条码享有专用权" (one holder per prefix).
    """

    __tablename__ = "company_prefix"

    uscc: Mapped[str] = mapped_column(String(18), ForeignKey("enterprise.uscc"), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(12), primary_key=True)
    registered_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    # valid | cancelled as recorded; "expired" is derived from valid_until at read time.
    status: Mapped[str] = mapped_column(String(12))
    cancelled_on: Mapped[date | None] = mapped_column(Date)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    # One holder per prefix across enterprises: a unique index on `prefix` alone cannot exist on a
    # table distributed by uscc, so the writer takes a lock on the prefix and checks (service.py).
    __table_args__ = (Index("ix_company_prefix_prefix", "prefix"),)


class Product(Base):
    """An item: its GTIN (kept in the 14-digit form as the key), what it is and what it follows."""

    __tablename__ = "product"

    uscc: Mapped[str] = mapped_column(String(18), ForeignKey("enterprise.uscc"), primary_key=True)
    gtin14: Mapped[str] = mapped_column(String(14), primary_key=True)
    gtin: Mapped[str] = mapped_column(String(14))
    name: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(64))
    standards: Mapped[list[str]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    # One item per GTIN: enforced like the prefix (a lock on the key, then a check; service.py).
    __table_args__ = (Index("ix_product_gtin14", "gtin14"),)
