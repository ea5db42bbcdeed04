"""self-declared standards

Declarations, versions, documents, findings and spot-check draws; and the full-text index over
versions, which differs by database: pg_trgm with a GIN index on PostgreSQL, an FTS5 table with the
trigram tokenizer (kept in sync by triggers) on SQLite. See services/registry/standards/search.py.

Revision ID: 4d3f1fbac9fd
Revises: a9358f7d523c
Create Date: 2026-11-27 10:12:07.782629
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.common.db

revision: str = "4d3f1fbac9fd"
down_revision: str | None = "a9358f7d523c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FTS_TABLE = "standard_version_fts"
TRGM_INDEX = "ix_standard_version_search_text_trgm"
SQLITE_TRIGGERS = {
    "standard_version_fts_ai": f"""
        AFTER INSERT ON standard_version BEGIN
            INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
    "standard_version_fts_ad": f"""
        AFTER DELETE ON standard_version BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        END""",
    "standard_version_fts_au": f"""
        AFTER UPDATE OF search_text ON standard_version BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
            INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
}


def _create_search_index() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # Trigrams of any characters the database locale counts as letters (CJK under C.UTF-8 and
        # the usual UTF-8 locales); LIKE '%…%' uses the index for patterns of three characters or more.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX {TRGM_INDEX} ON standard_version USING gin (search_text gin_trgm_ops)")
    elif dialect == "sqlite":
        # External content: the text stays in standard_version (whose INTEGER PRIMARY KEY is the rowid).
        op.execute(
            f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
            "search_text, content='standard_version', content_rowid='id', tokenize='trigram')"
        )
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def _drop_search_index() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # pg_trgm stays: other objects may use it, and it holds no data of ours.
        op.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")
    elif dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


def upgrade() -> None:
    op.create_table(
        "standard_sample",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("cooldown_days", sa.Integer(), nullable=False),
        sa.Column("candidate_count", sa.Integer(), nullable=False),
        sa.Column("candidates_sha256", sa.String(length=64), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("chosen", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("drawn_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("drawn_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standard_sample")),
    )
    with op.batch_alter_table("standard_sample", schema=None) as batch_op:
        batch_op.create_index("ix_standard_sample_drawn_at", ["drawn_at"], unique=False)

    op.create_table(
        "standard_declaration",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("division", sa.String(length=6), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("supervision", sa.String(length=16), nullable=False),
        sa.Column("published_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=200), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["uscc"], ["enterprise.uscc"], name=op.f("fk_standard_declaration_uscc_enterprise")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standard_declaration")),
    )
    with op.batch_alter_table("standard_declaration", schema=None) as batch_op:
        batch_op.create_index("ix_standard_declaration_division", ["division"], unique=False)
        batch_op.create_index("ix_standard_declaration_updated_at_id", ["updated_at", "id"], unique=False)
        batch_op.create_index("ix_standard_declaration_uscc_updated_at", ["uscc", "updated_at"], unique=False)

    op.create_table(
        "standard_document",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["uscc"], ["enterprise.uscc"], name=op.f("fk_standard_document_uscc_enterprise")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standard_document")),
    )
    with op.batch_alter_table("standard_document", schema=None) as batch_op:
        batch_op.create_index("ix_standard_document_uscc_sha256", ["uscc", "sha256"], unique=False)

    op.create_table(
        "standard_flag",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("declaration_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("finding", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("reference_version", sa.String(length=32), nullable=True),
        sa.Column("credit_event_id", sa.Uuid(), nullable=True),
        sa.Column("flagged_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("flagged_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["credit_event_id"],
            ["credit_event.id"],
            name=op.f("fk_standard_flag_credit_event_id_credit_event"),
        ),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["standard_declaration.id"],
            name=op.f("fk_standard_flag_declaration_id_standard_declaration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standard_flag")),
        sa.UniqueConstraint("declaration_id", "number", name=op.f("uq_standard_flag_declaration_id_number")),
    )

    op.create_table(
        "standard_sampled",
        sa.Column("sample_id", sa.Uuid(), nullable=False),
        sa.Column("declaration_id", sa.Uuid(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("sampled_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["standard_declaration.id"],
            name=op.f("fk_standard_sampled_declaration_id_standard_declaration"),
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["standard_sample.id"], name=op.f("fk_standard_sampled_sample_id_standard_sample")
        ),
        sa.PrimaryKeyConstraint("sample_id", "declaration_id", name=op.f("pk_standard_sampled")),
    )
    with op.batch_alter_table("standard_sampled", schema=None) as batch_op:
        batch_op.create_index(
            "ix_standard_sampled_declaration_id_sampled_at", ["declaration_id", "sampled_at"], unique=False
        )

    op.create_table(
        "standard_version",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("declaration_id", sa.Uuid(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("products", sa.JSON(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("implemented_on", sa.Date(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("revision_note", sa.Text(), nullable=True),
        sa.Column("published_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("products_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["standard_declaration.id"],
            name=op.f("fk_standard_version_declaration_id_standard_declaration"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["standard_document.id"],
            name=op.f("fk_standard_version_document_id_standard_document"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standard_version")),
        sa.UniqueConstraint(
            "declaration_id", "version", name=op.f("uq_standard_version_declaration_id_version")
        ),
    )
    _create_search_index()


def downgrade() -> None:
    _drop_search_index()
    op.drop_table("standard_version")
    with op.batch_alter_table("standard_sampled", schema=None) as batch_op:
        batch_op.drop_index("ix_standard_sampled_declaration_id_sampled_at")

    op.drop_table("standard_sampled")
    op.drop_table("standard_flag")
    with op.batch_alter_table("standard_document", schema=None) as batch_op:
        batch_op.drop_index("ix_standard_document_uscc_sha256")

    op.drop_table("standard_document")
    with op.batch_alter_table("standard_declaration", schema=None) as batch_op:
        batch_op.drop_index("ix_standard_declaration_uscc_updated_at")
        batch_op.drop_index("ix_standard_declaration_updated_at_id")
        batch_op.drop_index("ix_standard_declaration_division")

    op.drop_table("standard_declaration")
    with op.batch_alter_table("standard_sample", schema=None) as batch_op:
        batch_op.drop_index("ix_standard_sample_drawn_at")

    op.drop_table("standard_sample")
