"""products and barcodes

Company prefixes held by enterprises, the items published under them, and the product an event is
about (gtin, batch, test report number, product name) on credit events. Existing events keep NULL.

Revision ID: 7c1b9e4d2f60
Revises: c3e8f5a1d940
Create Date: 2026-12-02 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.common.db

revision: str = "7c1b9e4d2f60"
down_revision: str | None = "c3e8f5a1d940"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "company_prefix",
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("created_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["uscc"], ["enterprise.uscc"], name=op.f("fk_company_prefix_uscc_enterprise")
        ),
        sa.PrimaryKeyConstraint("uscc", "prefix", name=op.f("pk_company_prefix")),
    )
    op.create_index("uq_company_prefix_prefix", "company_prefix", ["prefix"], unique=True)
    op.create_table(
        "product",
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("gtin14", sa.String(length=14), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("brand", sa.String(length=100), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("standards", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["uscc"], ["enterprise.uscc"], name=op.f("fk_product_uscc_enterprise")),
        sa.PrimaryKeyConstraint("uscc", "gtin14", name=op.f("pk_product")),
    )
    op.create_index("uq_product_gtin14", "product", ["gtin14"], unique=True)
    with op.batch_alter_table("credit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gtin", sa.String(length=14), nullable=True))
        batch_op.add_column(sa.Column("batch", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("test_report_no", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("product_name", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_credit_event_kind_occurred_at", ["kind", "occurred_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_event_kind_occurred_at")
        batch_op.drop_column("product_name")
        batch_op.drop_column("test_report_no")
        batch_op.drop_column("batch")
        batch_op.drop_column("gtin")
    op.drop_index("uq_product_gtin14", table_name="product")
    op.drop_table("product")
    op.drop_index("uq_company_prefix_prefix", table_name="company_prefix")
    op.drop_table("company_prefix")
