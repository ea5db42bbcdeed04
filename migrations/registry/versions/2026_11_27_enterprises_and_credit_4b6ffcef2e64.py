"""enterprises and credit

Revision ID: 4b6ffcef2e64
Revises:
Create Date: 2026-11-27 09:11:33.384140
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.common.db

revision: str = "4b6ffcef2e64"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enterprise",
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("division", sa.String(length=6), nullable=False),
        sa.Column("registration_authority", sa.String(length=1), nullable=False),
        sa.Column("entity_type", sa.String(length=1), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("check_override_reason", sa.Text(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=4), nullable=False),
        sa.Column("rule_version", sa.String(length=32), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("graded_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("regrade_due_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("uscc", name=op.f("pk_enterprise")),
    )
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enterprise_division"), ["division"], unique=False)
        batch_op.create_index(batch_op.f("ix_enterprise_grade"), ["grade"], unique=False)
        batch_op.create_index("ix_enterprise_name", ["name"], unique=False)

    op.create_table(
        "credit_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.Column("source_ref", sa.String(length=200), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("occurred_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("revoked_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["uscc"], ["enterprise.uscc"], name=op.f("fk_credit_event_uscc_enterprise")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_event")),
        sa.UniqueConstraint("issuer", "source_ref", name=op.f("uq_credit_event_issuer_source_ref")),
    )
    with op.batch_alter_table("credit_event", schema=None) as batch_op:
        batch_op.create_index("ix_credit_event_uscc_occurred_at", ["uscc", "occurred_at"], unique=False)

    op.create_table(
        "grade_change",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("old_score", sa.Integer(), nullable=True),
        sa.Column("old_grade", sa.String(length=4), nullable=True),
        sa.Column("new_score", sa.Integer(), nullable=False),
        sa.Column("new_grade", sa.String(length=4), nullable=False),
        sa.Column("rule_version", sa.String(length=32), nullable=False),
        sa.Column("cause", sa.String(length=32), nullable=False),
        sa.Column("cause_ref", sa.String(length=200), nullable=True),
        sa.Column("changed_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["uscc"], ["enterprise.uscc"], name=op.f("fk_grade_change_uscc_enterprise")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grade_change")),
    )
    with op.batch_alter_table("grade_change", schema=None) as batch_op:
        batch_op.create_index("ix_grade_change_uscc_id", ["uscc", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("grade_change", schema=None) as batch_op:
        batch_op.drop_index("ix_grade_change_uscc_id")

    op.drop_table("grade_change")
    with op.batch_alter_table("credit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_event_uscc_occurred_at")

    op.drop_table("credit_event")
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.drop_index("ix_enterprise_name")
        batch_op.drop_index(batch_op.f("ix_enterprise_grade"))
        batch_op.drop_index(batch_op.f("ix_enterprise_division"))

    op.drop_table("enterprise")
