"""rule sets by date of receipt, the case clock, platform intake

Each case records the rule set that governs it (Order 121 Art. 46: Order 20 for cases received
before 2026-04-15, China time; Order 121 from that day). Existing rows get theirs from received_at.
Their deadlines are left as they were, with deadlines_calendar NULL, so the service's calendar watch
recomputes them with the governing rules at its next start (services/complaints/calendar_watch.py).

Revision ID: 5c1e2a9d7b40
Revises: 3e8a5c1d9b27
Create Date: 2026-12-02 03:40:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import services.common.db

revision: str = "5c1e2a9d7b40"
down_revision: str | None = "3e8a5c1d9b27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 2026-04-15 00:00 China time (UTC+8): the first instant Order 121 governs.
ORDER_121_FROM = datetime(2026, 4, 14, 16, 0, tzinfo=UTC)

_BOOLEANS = (
    "accept_due_provisional",
    "resolve_due_provisional",
    "notify_due_provisional",
    "violation_check_provisional",
    "violation_check_extended",
    "case_extended",
)
_TIMES = ("notify_due_at", "notified_at", "violation_found_at", "violation_check_due_at", "paused_at")


def upgrade() -> None:
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rule_set", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("filed_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("platform_ref", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("decision_period_from", services.common.db.UTCDateTime(timezone=True), nullable=True)
        )
        for name in _TIMES:
            batch_op.add_column(sa.Column(name, services.common.db.UTCDateTime(timezone=True), nullable=True))
        for name in _BOOLEANS:
            batch_op.add_column(sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("deadlines_calendar", sa.String(length=32), nullable=True))

    complaint = sa.table(
        "complaint",
        sa.column("received_at", services.common.db.UTCDateTime(timezone=True)),
        sa.column("rule_set", sa.String()),
        sa.column("decision_period_from", services.common.db.UTCDateTime(timezone=True)),
    )
    cutoff = sa.bindparam("cutoff", ORDER_121_FROM, type_=services.common.db.UTCDateTime(timezone=True))
    op.execute(
        complaint.update().values(
            rule_set=sa.case((complaint.c.received_at < cutoff, "order20"), else_="order121"),
            decision_period_from=complaint.c.received_at,
        )
    )
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.alter_column("rule_set", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column(
            "decision_period_from",
            existing_type=services.common.db.UTCDateTime(timezone=True),
            nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        for name in ("deadlines_calendar", *_BOOLEANS, *_TIMES):
            batch_op.drop_column(name)
        for name in ("decision_period_from", "platform_ref", "filed_by", "rule_set"):
            batch_op.drop_column(name)
