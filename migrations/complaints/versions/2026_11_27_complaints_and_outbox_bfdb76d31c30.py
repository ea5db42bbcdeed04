"""complaints and outbox

Revision ID: bfdb76d31c30
Revises:
Create Date: 2026-11-27 09:21:52.309363
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.common.db

revision: str = "bfdb76d31c30"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaint",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tracking_code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("target_uscc", sa.String(length=18), nullable=True),
        sa.Column("target_name", sa.String(length=200), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reporter_name_enc", sa.Text(), nullable=True),
        sa.Column("reporter_phone_enc", sa.Text(), nullable=True),
        sa.Column("reporter_email_enc", sa.Text(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("duplicate_of", sa.Uuid(), nullable=True),
        sa.Column("received_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accept_due_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolve_due_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("extended", sa.Boolean(), nullable=False),
        sa.Column("accepted_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("concluded_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finding_severity", sa.String(length=10), nullable=True),
        sa.Column("finding_category", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("updated_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["duplicate_of"], ["complaint.id"], name=op.f("fk_complaint_duplicate_of_complaint")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint")),
        sa.UniqueConstraint("tracking_code", name=op.f("uq_complaint_tracking_code")),
    )
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.create_index("ix_complaint_status_received_at", ["status", "received_at"], unique=False)
        batch_op.create_index("ix_complaint_target_uscc_category", ["target_uscc", "category"], unique=False)

    op.create_table(
        "complaint_attachment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name=op.f("fk_complaint_attachment_complaint_id_complaint")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_attachment")),
    )
    with op.batch_alter_table("complaint_attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_attachment_complaint_id"), ["complaint_id"], unique=False
        )

    op.create_table(
        "complaint_transition",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name=op.f("fk_complaint_transition_complaint_id_complaint")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_transition")),
    )
    with op.batch_alter_table("complaint_transition", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_transition_complaint_id"), ["complaint_id"], unique=False
        )

    op.create_table(
        "outbox_message",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("leased_until", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("leased_by", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("registry_event_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name=op.f("fk_outbox_message_complaint_id_complaint")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint("complaint_id", name=op.f("uq_outbox_message_complaint_id")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_message_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_status_next_attempt_at")

    op.drop_table("outbox_message")
    with op.batch_alter_table("complaint_transition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_transition_complaint_id"))

    op.drop_table("complaint_transition")
    with op.batch_alter_table("complaint_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_attachment_complaint_id"))

    op.drop_table("complaint_attachment")
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_target_uscc_category")
        batch_op.drop_index("ix_complaint_status_received_at")

    op.drop_table("complaint")
