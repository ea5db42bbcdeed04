"""List deadlines: the calendar they were computed with; provisional flags on push and stop deadlines

Revision ID: e5a9c3d71b28
Revises: e5a7c3d91b42
Create Date: 2026-12-02 15:10:00

Plain ADD COLUMN on both databases. Existing rows have no recorded calendar (null): the calendar
watch recomputes their running deadlines once with the calendar in force and records it. Existing
push and stop-publication deadlines were not flagged: false until that recompute.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5a9c3d71b28"
down_revision: str | None = "e5a7c3d91b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for name in ("push_due_provisional", "stop_publication_due_provisional"):
        op.add_column("list_entry", sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()))
    for table in ("list_entry", "repair_application"):
        op.add_column(table, sa.Column("deadlines_calendar", sa.String(length=16), nullable=True))


def downgrade() -> None:
    for table in ("repair_application", "list_entry"):
        op.drop_column(table, "deadlines_calendar")
    for name in ("stop_publication_due_provisional", "push_due_provisional"):
        op.drop_column("list_entry", name)
