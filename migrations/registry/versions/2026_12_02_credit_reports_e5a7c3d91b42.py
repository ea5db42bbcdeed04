"""credit reports: the signed document, its PDF and its issuer, per enterprise

Revision ID: e5a7c3d91b42
Revises: 7c41d2e9a5b0
Create Date: 2026-12-02 15:20:00

Populated data: a new table only; existing rows are untouched.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.common.db

revision: str = "e5a7c3d91b42"
down_revision: str | None = "7c41d2e9a5b0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_report",
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("number", sa.String(length=48), nullable=False),
        sa.Column("issued_at", services.common.db.UTCDateTime(), nullable=False),
        sa.Column("valid_until", services.common.db.UTCDateTime(), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("issuer_role", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("record_sha256", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["uscc"], ["enterprise.uscc"], name=op.f("fk_credit_report_uscc_enterprise")),
        sa.PrimaryKeyConstraint("uscc", "number", name=op.f("pk_credit_report")),
    )
    op.create_index("ix_credit_report_pdf_sha256", "credit_report", ["pdf_sha256"])
    op.create_index("ix_credit_report_uscc_issued_at", "credit_report", ["uscc", "issued_at"])


def downgrade() -> None:
    op.drop_index("ix_credit_report_uscc_issued_at", table_name="credit_report")
    op.drop_index("ix_credit_report_pdf_sha256", table_name="credit_report")
    op.drop_table("credit_report")
