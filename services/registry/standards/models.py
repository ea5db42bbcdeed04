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
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlmodel import Field

from services.common.db import BigId, UTCDateTime, deferred_columns
from services.registry.database import RegistryModel

# The composite key a per-declaration row refers to (tables are distributed by uscc).
DECLARATION_KEY = ["standard_declaration.uscc", "standard_declaration.id"]


class StandardDeclaration(RegistryModel, table=True):
    """One standard an enterprise declares it follows; its content is in its versions."""

    __tablename__ = "standard_declaration"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid)
    uscc: str = Field(sa_type=String(18), foreign_key="enterprise.uscc")
    # Positions 3–8 of the code, for the region filter of searches and spot-check draws.
    division: str = Field(sa_type=String(6))
    status: str = Field(sa_type=String(16))  # published | withdrawn
    current_version: int = Field(sa_type=Integer)
    # The latest finding: none | under_review | non_compliant | compliant.
    supervision: str = Field(sa_type=String(16))
    published_at: datetime = Field(sa_type=UTCDateTime())
    published_by: str = Field(sa_type=String(200))
    updated_at: datetime = Field(sa_type=UTCDateTime())
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    withdrawn_by: str | None = Field(default=None, sa_type=String(200))
    withdrawal_reason: str | None = Field(default=None, sa_type=Text)

    __table_args__ = (
        PrimaryKeyConstraint("uscc", "id"),  # distributed by uscc (registry/distribution.py)
        # The search pages on (published_at, id): fixed at first publication, unlike updated_at.
        Index("ix_standard_declaration_published_at_id", "published_at", "id"),
        Index("ix_standard_declaration_uscc_updated_at", "uscc", "updated_at"),
        Index("ix_standard_declaration_division", "division"),
    )


class StandardDocument(RegistryModel, table=True):
    """The text of a standard (a PDF) and its SHA-256, so anyone can check the published text."""

    __tablename__ = "standard_document"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid)
    uscc: str = Field(sa_type=String(18), foreign_key="enterprise.uscc")
    sha256: str = Field(sa_type=String(64))
    size: int = Field(sa_type=Integer)
    filename: str = Field(sa_type=String(200))
    media_type: str = Field(sa_type=String(64))
    content: bytes = Field(sa_type=LargeBinary, nullable=False)
    uploaded_at: datetime = Field(sa_type=UTCDateTime())
    uploaded_by: str = Field(sa_type=String(200))

    __mapper_args__ = deferred_columns("content")  # loaded only when read
    __table_args__ = (
        PrimaryKeyConstraint("uscc", "id"),
        Index("ix_standard_document_uscc_sha256", "uscc", "sha256"),
    )


class StandardVersion(RegistryModel, table=True):
    """The content of a declaration as published at one time; a revision adds the next version."""

    __tablename__ = "standard_version"

    # Keyed (uscc, id). On SQLite `id` alone stays the key: an INTEGER PRIMARY KEY is the rowid,
    # which the FTS5 index refers to (SQLite is never distributed).
    id: int = Field(sa_type=BigId, sa_column_kwargs={"autoincrement": True})
    declaration_id: uuid.UUID = Field(sa_type=Uuid)
    uscc: str = Field(sa_type=String(18))
    version: int = Field(sa_type=Integer)
    number: str = Field(sa_type=String(64))
    level: str = Field(sa_type=String(16))  # enterprise | group | national | industry | local
    title: str = Field(sa_type=String(200))
    type: str = Field(sa_type=String(8))  # product | service
    products: list[str] = Field(sa_type=JSON)
    category: str | None = Field(default=None, sa_type=String(64))
    indicators: list[dict[str, Any]] = Field(sa_type=JSON)
    implemented_on: date = Field(sa_type=Date)
    # Order 83 第十四条第三款: the enterprise says so when its indicators are fewer or lower than the
    # recommended standard it cites; shown publicly.
    below_recommended: bool = Field(default=False, sa_type=Boolean)
    below_recommended_note: str | None = Field(default=None, sa_type=Text)
    recommended_standard: str | None = Field(default=None, sa_type=String(64))
    # Order 83 第十五条: disclosed before the product is supplied; a later disclosure shows as late.
    supply_starts_on: date | None = Field(default=None, sa_type=Date)
    document_id: uuid.UUID | None = Field(default=None, sa_type=Uuid)
    revision_note: str | None = Field(default=None, sa_type=Text)
    published_at: datetime = Field(sa_type=UTCDateTime())
    published_by: str = Field(sa_type=String(200))
    # What searches match, normalised (NFKC, case-folded): number, title, products and category.
    search_text: str = Field(sa_type=Text)
    # Products and category alone, for the product filter.
    products_text: str = Field(sa_type=Text)

    __table_args__ = (
        PrimaryKeyConstraint("uscc", "id"),
        UniqueConstraint("uscc", "declaration_id", "version"),
        ForeignKeyConstraint(["uscc", "declaration_id"], DECLARATION_KEY),
        ForeignKeyConstraint(["uscc", "document_id"], ["standard_document.uscc", "standard_document.id"]),
    )


class StandardFlag(RegistryModel, table=True):
    """A supervision finding on a declaration: by a regulator, or by the automatic comparison."""

    __tablename__ = "standard_flag"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid)
    declaration_id: uuid.UUID = Field(sa_type=Uuid)
    # 1, 2, … per declaration, in the order the findings were made (the latest one is in force).
    number: int = Field(sa_type=Integer)
    uscc: str = Field(sa_type=String(18))
    version: int = Field(sa_type=Integer)
    finding: str = Field(sa_type=String(16))  # under_review | non_compliant | compliant
    source: str = Field(sa_type=String(16))  # regulator | comparison
    reason: str = Field(sa_type=Text)
    indicators: list[dict[str, Any]] = Field(sa_type=JSON)
    reference: str | None = Field(default=None, sa_type=String(200))
    # The mandatory-values version a comparison flag was raised under (one flag per version each).
    reference_version: str | None = Field(default=None, sa_type=String(32))
    credit_event_id: uuid.UUID | None = Field(default=None, sa_type=Uuid)
    flagged_at: datetime = Field(sa_type=UTCDateTime())
    flagged_by: str = Field(sa_type=String(200))
    # An order to correct by a deadline (责令限期改正, Order 83 第三十条 to 第三十三条): the last day,
    # the article (a key of order83.toml [corrections]), and when a later compliant finding closed it.
    # Past the day and not closed: the failure is published (GET /v1/standards/uncorrected).
    correction_due_on: date | None = Field(default=None, sa_type=Date)
    correction_basis: str | None = Field(default=None, sa_type=String(16))
    corrected_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    corrected_by: str | None = Field(default=None, sa_type=String(200))

    __table_args__ = (
        PrimaryKeyConstraint("uscc", "id"),
        UniqueConstraint("uscc", "declaration_id", "number"),
        ForeignKeyConstraint(["uscc", "declaration_id"], DECLARATION_KEY),
        ForeignKeyConstraint(["uscc", "credit_event_id"], ["credit_event.uscc", "credit_event.id"]),
        Index("ix_standard_flag_correction_due_on", "correction_due_on"),
    )


class StandardSample(RegistryModel, table=True):
    """A spot-check draw: committed (seed hash, frozen candidates), then drawn (seed revealed)."""

    __tablename__ = "standard_sample"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, sa_type=Uuid, primary_key=True)
    method: str = Field(sa_type=String(32))
    status: str = Field(sa_type=String(16))  # committed → drawn
    # The seed stays secret until the draw; only its SHA-256 is shown before (commit-reveal).
    seed: str = Field(sa_type=String(64))
    seed_sha256: str = Field(sa_type=String(64))
    size: int = Field(sa_type=Integer)
    filters: dict[str, Any] = Field(sa_type=JSON)
    cooldown_days: int = Field(sa_type=Integer)
    candidate_count: int = Field(sa_type=Integer)
    candidates_sha256: str = Field(sa_type=String(64))
    candidates: list[str] = Field(sa_type=JSON, nullable=False)
    chosen: list[str] = Field(sa_type=JSON)
    note: str | None = Field(default=None, sa_type=Text)
    committed_at: datetime = Field(sa_type=UTCDateTime())
    committed_by: str = Field(sa_type=String(200))
    drawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime())
    drawn_by: str | None = Field(default=None, sa_type=String(200))

    __mapper_args__ = deferred_columns("candidates")  # loaded only when read
    __table_args__ = (Index("ix_standard_sample_drawn_at", "drawn_at"),)


class StandardSampled(RegistryModel, table=True):
    """One declaration picked by a draw: what the cooldown looks at."""

    __tablename__ = "standard_sampled"

    sample_id: uuid.UUID = Field(sa_type=Uuid, foreign_key="standard_sample.id")  # a reference table
    declaration_id: uuid.UUID = Field(sa_type=Uuid)
    uscc: str = Field(sa_type=String(18))
    sampled_at: datetime = Field(sa_type=UTCDateTime())

    __table_args__ = (
        PrimaryKeyConstraint("uscc", "sample_id", "declaration_id"),
        ForeignKeyConstraint(["uscc", "declaration_id"], DECLARATION_KEY),
        Index("ix_standard_sampled_declaration_id_sampled_at", "declaration_id", "sampled_at"),
    )
