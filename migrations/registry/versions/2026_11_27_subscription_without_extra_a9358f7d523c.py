"""subscription without extra

Revision ID: a9358f7d523c
Revises: d89d75d035c3
Create Date: 2026-11-27 09:59:45.370324
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import sqlite

revision: str = "a9358f7d523c"
down_revision: str | None = "d89d75d035c3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_column("extra")


def downgrade() -> None:
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extra", sqlite.JSON(), nullable=True))
