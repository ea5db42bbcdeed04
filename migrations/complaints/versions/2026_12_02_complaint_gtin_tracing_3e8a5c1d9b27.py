"""complaint gtin tracing

The barcode (and batch) a complaint names, and how tracing it to an enterprise went. Existing cases
keep NULL (they named the enterprise).

Revision ID: 3e8a5c1d9b27
Revises: c4a1f20e9b73
Create Date: 2026-12-02 03:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3e8a5c1d9b27"
down_revision: str | None = "c4a1f20e9b73"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gtin", sa.String(length=14), nullable=True))
        batch_op.add_column(sa.Column("batch", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("trace_status", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_column("trace_status")
        batch_op.drop_column("batch")
        batch_op.drop_column("gtin")
