"""red and black lists

Revision ID: a180e34adeaa
Revises: 4b6ffcef2e64
Create Date: 2026-11-27 09:25:46.421518
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.common.db

revision: str = "a180e34adeaa"
down_revision: str | None = "4b6ffcef2e64"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "list_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.String(length=500), nullable=False),
        sa.Column("decision_no", sa.String(length=200), nullable=False),
        sa.Column("authority", sa.String(length=200), nullable=True),
        sa.Column("decided_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("proposed_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("proposed_by", sa.String(length=200), nullable=False),
        sa.Column("notice_served_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("defence_due_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("defence_due_provisional", sa.Boolean(), nullable=False),
        sa.Column("listed_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.String(length=200), nullable=True),
        sa.Column("exit_kind", sa.String(length=16), nullable=True),
        sa.Column("exit_reason", sa.Text(), nullable=True),
        sa.Column("exit_ref", sa.String(length=200), nullable=True),
        sa.Column("updated_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["uscc"], ["enterprise.uscc"], name=op.f("fk_list_entry_uscc_enterprise")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_entry")),
        sa.UniqueConstraint("kind", "uscc", "decision_no", name=op.f("uq_list_entry_kind_uscc_decision_no")),
    )
    with op.batch_alter_table("list_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_list_entry_kind_status_listed_at", ["kind", "status", "listed_at"], unique=False
        )
        batch_op.create_index("ix_list_entry_status_expires_at", ["status", "expires_at"], unique=False)
        batch_op.create_index("ix_list_entry_uscc_proposed_at", ["uscc", "proposed_at"], unique=False)

    op.create_table(
        "list_statement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("hearing_requested", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("replied_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("replied_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["list_entry.id"], name=op.f("fk_list_statement_entry_id_list_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_statement")),
    )
    with op.batch_alter_table("list_statement", schema=None) as batch_op:
        batch_op.create_index("ix_list_statement_entry_id", ["entry_id"], unique=False)

    op.create_table(
        "list_transition",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["list_entry.id"], name=op.f("fk_list_transition_entry_id_list_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_transition")),
    )
    with op.batch_alter_table("list_transition", schema=None) as batch_op:
        batch_op.create_index("ix_list_transition_entry_id_id", ["entry_id", "id"], unique=False)

    op.create_table(
        "repair_application",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("declarations", sa.JSON(), nullable=False),
        sa.Column("filed_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("filed_by", sa.String(length=200), nullable=False),
        sa.Column("decision_due_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decision_due_provisional", sa.Boolean(), nullable=False),
        sa.Column("decided_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["list_entry.id"], name=op.f("fk_repair_application_entry_id_list_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_application")),
    )
    with op.batch_alter_table("repair_application", schema=None) as batch_op:
        batch_op.create_index("ix_repair_application_entry_id", ["entry_id"], unique=False)
        batch_op.create_index(
            "ix_repair_application_status_decision_due_at", ["status", "decision_due_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("repair_application", schema=None) as batch_op:
        batch_op.drop_index("ix_repair_application_status_decision_due_at")
        batch_op.drop_index("ix_repair_application_entry_id")

    op.drop_table("repair_application")
    with op.batch_alter_table("list_transition", schema=None) as batch_op:
        batch_op.drop_index("ix_list_transition_entry_id_id")

    op.drop_table("list_transition")
    with op.batch_alter_table("list_statement", schema=None) as batch_op:
        batch_op.drop_index("ix_list_statement_entry_id")

    op.drop_table("list_statement")
    with op.batch_alter_table("list_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_list_entry_uscc_proposed_at")
        batch_op.drop_index("ix_list_entry_status_expires_at")
        batch_op.drop_index("ix_list_entry_kind_status_listed_at")

    op.drop_table("list_entry")
