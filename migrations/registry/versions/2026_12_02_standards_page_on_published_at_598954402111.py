"""standards search pages on published_at (stable), not updated_at (changes under the reader)

Revision ID: 598954402111
Revises: 2c219891085d
Create Date: 2026-12-02 04:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "598954402111"
down_revision: str | None = "2c219891085d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("standard_declaration", schema=None) as batch_op:
        batch_op.create_index("ix_standard_declaration_published_at_id", ["published_at", "id"], unique=False)
        batch_op.drop_index("ix_standard_declaration_updated_at_id")


def downgrade() -> None:
    with op.batch_alter_table("standard_declaration", schema=None) as batch_op:
        batch_op.create_index("ix_standard_declaration_updated_at_id", ["updated_at", "id"], unique=False)
        batch_op.drop_index("ix_standard_declaration_published_at_id")
