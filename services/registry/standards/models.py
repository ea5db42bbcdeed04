"""Declarations of standards, their versions and documents, supervision findings, spot-check draws.

Nothing is deleted: a revision adds a version, a withdrawal marks the declaration, a finding adds a
flag. The full-text index over versions is dialect-specific and lives in the migration only (see
`search.py`): a trigram GIN index on PostgreSQL, an FTS5 trigram table on SQLite kept in sync by
triggers on `standard_version`. A later SQLite batch migration that recreates `standard_version`
drops those triggers: it must create them again.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from services.common.db import BigId, UTCDateTime
from services.registry.database import Base

# The composite key a per-declaration row refers to (tables are distributed by uscc).
DECLARATION_KEY = ["standard_declaration.uscc", "standard_declaration.id"]


class StandardDeclaration(Base):
    """One standard an enterprise declares it follows; its content is in its versions."""

    __tablename__ = "standard_declaration"

    id: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4)
    uscc: Mapped[str] = mapped_column(String(18), ForeignKey("enterprise.uscc"))
    # Positions 3–8 of the code, for the region filter of searches and spot-check draws.
    division: Mapped[str] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(16))  # published | withdrawn
    current_version: Mapped[int] = mapped_column(Integer)
    # The latest finding: none | under_review | non_compliant | compliant.
    supervision: Mapped[str] = mapped_column(String(16))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        PrimaryKeyConstraint("uscc", "id"),  # distributed by uscc (registry/distribution.py)
        # The search pages on (published_at, id): fixed at first publication, unlike updated_at.
        Index("ix_standard_declaration_published_at_id", "published_at", "id"),
        Index("ix_standard_declaration_uscc_updated_at", "uscc", "updated_at"),
        Index("ix_standard_declaration_division", "division"),
    )


class StandardDocument(Base):
    """The text of a standard (a PDF) and its SHA-256, so anyone can check the published text."""

    __tablename__ = "standard_document"

    id: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4)
    uscc: Mapped[str] = mapped_column(String(18), ForeignKey("enterprise.uscc"))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uploaded_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        PrimaryKeyConstraint("uscc", "id"),
        Index("ix_standard_document_uscc_sha256", "uscc", "sha256"),
    )


class StandardVersion(Base):
    """The content of a declaration as published at one time; a revision adds the next version."""

    __tablename__ = "standard_version"

    # Keyed (uscc, id). On SQLite `id` alone stays the key: an INTEGER PRIMARY KEY is the rowid,
    # which the FTS5 index refers to (SQLite is never distributed).
    id: Mapped[int] = mapped_column(BigId, autoincrement=True)
    declaration_id: Mapped[uuid.UUID] = mapped_column()
    uscc: Mapped[str] = mapped_column(String(18))
    version: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))  # enterprise | group | national | industry | local
    title: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(8))  # product | service
    products: Mapped[list[str]] = mapped_column(JSON)
    category: Mapped[str | None] = mapped_column(String(64))
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    implemented_on: Mapped[date] = mapped_column(Date)
    # Order 83 第十四条第三款: the enterprise says so when its indicators are fewer or lower than the
    # recommended standard it cites; shown publicly.
    below_recommended: Mapped[bool] = mapped_column(Boolean, default=False)
    below_recommended_note: Mapped[str | None] = mapped_column(Text)
    recommended_standard: Mapped[str | None] = mapped_column(String(64))
    # Order 83 第十五条: disclosed before the product is supplied; a later disclosure shows as late.
    supply_starts_on: Mapped[date | None] = mapped_column(Date)
    document_id: Mapped[uuid.UUID | None] = mapped_column()
    revision_note: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by: Mapped[str] = mapped_column(String(200))
    # What searches match, normalised (NFKC, case-folded): number, title, products and category.
    search_text: Mapped[str] = mapped_column(Text)
    # Products and category alone, for the product filter.
    products_text: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        PrimaryKeyConstraint("uscc", "id"),
        UniqueConstraint("uscc", "declaration_id", "version"),
        ForeignKeyConstraint(["uscc", "declaration_id"], DECLARATION_KEY),
        ForeignKeyConstraint(["uscc", "document_id"], ["standard_document.uscc", "standard_document.id"]),
    )


class StandardFlag(Base):
    """A supervision finding on a declaration: by a regulator, or by the automatic comparison."""

    __tablename__ = "standard_flag"

    id: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4)
    declaration_id: Mapped[uuid.UUID] = mapped_column()
    # 1, 2, … per declaration, in the order the findings were made (the latest one is in force).
    number: Mapped[int] = mapped_column(Integer)
    uscc: Mapped[str] = mapped_column(String(18))
    version: Mapped[int] = mapped_column(Integer)
    finding: Mapped[str] = mapped_column(String(16))  # under_review | non_compliant | compliant
    source: Mapped[str] = mapped_column(String(16))  # regulator | comparison
    reason: Mapped[str] = mapped_column(Text)
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    reference: Mapped[str | None] = mapped_column(String(200))
    # The mandatory-values version a comparison flag was raised under (one flag per version each).
    reference_version: Mapped[str | None] = mapped_column(String(32))
    credit_event_id: Mapped[uuid.UUID | None] = mapped_column()
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    flagged_by: Mapped[str] = mapped_column(String(200))
    # An order to correct by a deadline (责令限期改正, Order 83 第三十条 to 第三十三条): the last day,
    # the article (a key of order83.toml [corrections]), and when a later compliant finding closed it.
    # Past the day and not closed: the failure is published (GET /v1/standards/uncorrected).
    correction_due_on: Mapped[date | None] = mapped_column(Date)
    correction_basis: Mapped[str | None] = mapped_column(String(16))
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    corrected_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        PrimaryKeyConstraint("uscc", "id"),
        UniqueConstraint("uscc", "declaration_id", "number"),
        ForeignKeyConstraint(["uscc", "declaration_id"], DECLARATION_KEY),
        ForeignKeyConstraint(["uscc", "credit_event_id"], ["credit_event.uscc", "credit_event.id"]),
        Index("ix_standard_flag_correction_due_on", "correction_due_on"),
    )


class StandardSample(Base):
    """A spot-check draw: committed (seed hash, frozen candidates), then drawn (seed revealed)."""

    __tablename__ = "standard_sample"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    method: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # committed → drawn
    # The seed stays secret until the draw; only its SHA-256 is shown before (commit-reveal).
    seed: Mapped[str] = mapped_column(String(64))
    seed_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    cooldown_days: Mapped[int] = mapped_column(Integer)
    candidate_count: Mapped[int] = mapped_column(Integer)
    candidates_sha256: Mapped[str] = mapped_column(String(64))
    candidates: Mapped[list[str]] = deferred(mapped_column(JSON, nullable=False))
    chosen: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    committed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    committed_by: Mapped[str] = mapped_column(String(200))
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    drawn_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_standard_sample_drawn_at", "drawn_at"),)


class StandardSampled(Base):
    """One declaration picked by a draw: what the cooldown looks at."""

    __tablename__ = "standard_sampled"

    sample_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("standard_sample.id"))  # a reference table
    declaration_id: Mapped[uuid.UUID] = mapped_column()
    uscc: Mapped[str] = mapped_column(String(18))
    sampled_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        PrimaryKeyConstraint("uscc", "sample_id", "declaration_id"),
        ForeignKeyConstraint(["uscc", "declaration_id"], DECLARATION_KEY),
        Index("ix_standard_sampled_declaration_id_sampled_at", "declaration_id", "sampled_at"),
    )
