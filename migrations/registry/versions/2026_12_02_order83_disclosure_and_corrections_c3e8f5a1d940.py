"""Order 83 disclosure flags on standard versions, orders to correct on findings

Revision ID: c3e8f5a1d940
Revises: b7c41e9d2a60
Create Date: 2026-12-02 04:30:00

Plain ADD COLUMN on both databases (no batch copy of standard_version, which would drop the SQLite
FTS5 triggers; see services/registry/standards/models.py). Existing versions did not state that they
fall below a recommended standard, nor when supply started: false and null. Existing findings carried
no order to correct: null.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.common.db

revision: str = "c3e8f5a1d940"
down_revision: str | None = "b7c41e9d2a60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "standard_version",
        sa.Column("below_recommended", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("standard_version", sa.Column("below_recommended_note", sa.Text(), nullable=True))
    op.add_column("standard_version", sa.Column("recommended_standard", sa.String(length=64), nullable=True))
    op.add_column("standard_version", sa.Column("supply_starts_on", sa.Date(), nullable=True))
    op.add_column("standard_flag", sa.Column("correction_due_on", sa.Date(), nullable=True))
    op.add_column("standard_flag", sa.Column("correction_basis", sa.String(length=16), nullable=True))
    op.add_column(
        "standard_flag",
        sa.Column("corrected_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("standard_flag", sa.Column("corrected_by", sa.String(length=200), nullable=True))
    op.create_index("ix_standard_flag_correction_due_on", "standard_flag", ["correction_due_on"])


def downgrade() -> None:
    op.drop_index("ix_standard_flag_correction_due_on", table_name="standard_flag")
    for name in ("corrected_by", "corrected_at", "correction_basis", "correction_due_on"):
        op.drop_column("standard_flag", name)
    for name in ("supply_starts_on", "recommended_standard", "below_recommended_note", "below_recommended"):
        op.drop_column("standard_version", name)
