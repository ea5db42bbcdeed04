"""reporter rewards (claim secrets, reward cases) and the notification outbox (issue 20)

Revision ID: c4a1f20e9b73
Revises: bfdb76d31c30
Create Date: 2026-12-02 03:30:25.576362
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.common.db

revision: str = "c4a1f20e9b73"
down_revision: str | None = "bfdb76d31c30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=True),
        sa.Column("address_enc", sa.Text(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("due_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("leased_until", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("leased_by", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name=op.f("fk_notification_complaint_id_complaint")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint(
            "complaint_id", "kind", "recipient", name=op.f("uq_notification_complaint_id_kind_recipient")
        ),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_complaint_id"), ["complaint_id"], unique=False)
        batch_op.create_index(
            "ix_notification_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "party_contact",
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("party", sa.String(length=16), nullable=False),
        sa.Column("phone_enc", sa.Text(), nullable=True),
        sa.Column("email_enc", sa.Text(), nullable=True),
        sa.Column("updated_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name=op.f("fk_party_contact_complaint_id_complaint")
        ),
        sa.PrimaryKeyConstraint("complaint_id", "party", name=op.f("pk_party_contact")),
    )
    op.create_table(
        "reward",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("rules_version", sa.String(length=16), nullable=False),
        sa.Column("decision_no", sa.String(length=100), nullable=True),
        sa.Column("fines_fen", sa.BigInteger(), nullable=False),
        sa.Column("confiscations_fen", sa.BigInteger(), nullable=False),
        sa.Column("measures", sa.JSON(), nullable=False),
        sa.Column("referred_for_prosecution", sa.Boolean(), nullable=False),
        sa.Column("violator_type", sa.String(length=16), nullable=False),
        sa.Column("evidence_level", sa.Integer(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("proposed_fen", sa.BigInteger(), nullable=True),
        sa.Column("calculation", sa.Text(), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("needs_finance", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("approved_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("approval_note", sa.Text(), nullable=True),
        sa.Column("finance_by", sa.String(length=200), nullable=True),
        sa.Column("finance_ref", sa.String(length=100), nullable=True),
        sa.Column("finance_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claim_due_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paid_by", sa.String(length=200), nullable=True),
        sa.Column("payment_ref", sa.String(length=100), nullable=True),
        sa.Column("paid_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name=op.f("fk_reward_complaint_id_complaint")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward")),
        sa.UniqueConstraint("complaint_id", name=op.f("uq_reward_complaint_id")),
    )
    with op.batch_alter_table("reward", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reward_status"), ["status"], unique=False)

    op.create_table(
        "reward_claim_secret",
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("secret_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name=op.f("fk_reward_claim_secret_complaint_id_complaint")
        ),
        sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_reward_claim_secret")),
    )


def downgrade() -> None:
    op.drop_table("reward_claim_secret")
    with op.batch_alter_table("reward", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reward_status"))

    op.drop_table("reward")
    op.drop_table("party_contact")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_status_next_attempt_at")
        batch_op.drop_index(batch_op.f("ix_notification_complaint_id"))

    op.drop_table("notification")
