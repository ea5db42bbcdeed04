"""classified supervision and early warning

Revision ID: 2c219891085d
Revises: 7c1b9e4d2f60
Create Date: 2026-12-02 03:50:39.954971
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.common.db

revision: str = "2c219891085d"
down_revision: str | None = "7c1b9e4d2f60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inspection_plan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=True),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("statuses", sa.JSON(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("ratios", sa.JSON(), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=True),
        sa.Column("inspector_pool", sa.JSON(), nullable=False),
        sa.Column("warning_id", sa.Uuid(), nullable=True),
        sa.Column("rules_version", sa.String(length=32), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=True),
        sa.Column("seed", sa.String(length=64), nullable=True),
        sa.Column("seed_sha256", sa.String(length=64), nullable=True),
        sa.Column("candidate_count", sa.Integer(), nullable=True),
        sa.Column("candidates_sha256", sa.String(length=64), nullable=True),
        sa.Column("candidates", sa.JSON(), nullable=True),
        sa.Column("quotas", sa.JSON(), nullable=True),
        sa.Column("chosen", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("approved_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("drawn_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("drawn_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_plan")),
    )
    with op.batch_alter_table("inspection_plan", schema=None) as batch_op:
        batch_op.create_index("ix_inspection_plan_status_created_at", ["status", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspection_plan_warning_id"), ["warning_id"], unique=False)

    op.create_table(
        "inspector",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("badge_no", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("specialties", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspector")),
        sa.UniqueConstraint("badge_no", name=op.f("uq_inspector_badge_no")),
    )
    op.create_table(
        "job_lease",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=True),
        sa.Column("leased_until", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_lease")),
    )
    op.create_table(
        "risk_warning",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("signal", sa.String(length=32), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("thresholds_version", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assessment", sa.Text(), nullable=True),
        sa.Column("measures", sa.JSON(), nullable=False),
        sa.Column("raised_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("subject_key", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_warning")),
        sa.UniqueConstraint(
            "signal", "subject_key", "window_end", name=op.f("uq_risk_warning_signal_subject_key_window_end")
        ),
    )
    with op.batch_alter_table("risk_warning", schema=None) as batch_op:
        batch_op.create_index("ix_risk_warning_status_raised_at", ["status", "raised_at"], unique=False)

    op.create_table(
        "risk_class",
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("risk_class", sa.String(length=2), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=4), nullable=False),
        sa.Column("list_status", sa.String(length=8), nullable=False),
        sa.Column("product_level", sa.String(length=8), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("rules_version", sa.String(length=32), nullable=False),
        sa.Column("catalogue_version", sa.String(length=32), nullable=False),
        sa.Column("computed_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["uscc"], ["enterprise.uscc"], name=op.f("fk_risk_class_uscc_enterprise")),
        sa.PrimaryKeyConstraint("uscc", name=op.f("pk_risk_class")),
    )
    with op.batch_alter_table("risk_class", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_class_risk_class"), ["risk_class"], unique=False)

    op.create_table(
        "risk_notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("warning_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("body_zh", sa.Text(), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.Column("published_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["warning_id"], ["risk_warning.id"], name=op.f("fk_risk_notice_warning_id_risk_warning")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_notice")),
    )
    with op.batch_alter_table("risk_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_notice_published_at"), ["published_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_notice_warning_id"), ["warning_id"], unique=False)

    op.create_table(
        "inspection_task",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("risk_class", sa.String(length=2), nullable=False),
        sa.Column("inspectors", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("product", sa.String(length=100), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("sample_ref", sa.String(length=100), nullable=True),
        sa.Column("sampled_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("test_result", sa.String(length=8), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=True),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("tested_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("objection_due_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("objection", sa.Text(), nullable=True),
        sa.Column("retest_result", sa.String(length=8), nullable=True),
        sa.Column("final_result", sa.String(length=8), nullable=True),
        sa.Column("finalised_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("publish_due_at", services.common.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("credit_event_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credit_event_id"],
            ["credit_event.id"],
            name=op.f("fk_inspection_task_credit_event_id_credit_event"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["inspection_plan.id"], name=op.f("fk_inspection_task_plan_id_inspection_plan")
        ),
        sa.ForeignKeyConstraint(
            ["uscc"], ["enterprise.uscc"], name=op.f("fk_inspection_task_uscc_enterprise")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_task")),
        sa.UniqueConstraint("plan_id", "uscc", name=op.f("uq_inspection_task_plan_id_uscc")),
    )
    with op.batch_alter_table("inspection_task", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inspection_task_category_finalised_at", ["category", "finalised_at"], unique=False
        )
        batch_op.create_index("ix_inspection_task_uscc_finalised_at", ["uscc", "finalised_at"], unique=False)

    op.create_table(
        "task_inspector",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("inspector_id", sa.Uuid(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("assigned_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspector_id"], ["inspector.id"], name=op.f("fk_task_inspector_inspector_id_inspector")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["inspection_task.id"], name=op.f("fk_task_inspector_task_id_inspection_task")
        ),
        sa.PrimaryKeyConstraint("task_id", "inspector_id", name=op.f("pk_task_inspector")),
    )
    with op.batch_alter_table("task_inspector", schema=None) as batch_op:
        batch_op.create_index("ix_task_inspector_inspector_id_uscc", ["inspector_id", "uscc"], unique=False)

    # Spot-check draws become commit-reveal: existing draws were drawn at once, so they are "drawn",
    # committed when drawn, and their seed hash is computed from the seed they recorded.
    with op.batch_alter_table("standard_sample", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("seed_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("committed_at", services.common.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("committed_by", sa.String(length=200), nullable=True))
    samples = sa.table(
        "standard_sample",
        sa.column("id", sa.Uuid()),
        sa.column("seed", sa.String()),
        sa.column("seed_sha256", sa.String()),
        sa.column("status", sa.String()),
    )
    connection = op.get_bind()
    for sample_id, seed in connection.execute(sa.select(samples.c.id, samples.c.seed)).all():
        connection.execute(
            samples.update()
            .where(samples.c.id == sample_id)
            .values(seed_sha256=hashlib.sha256(seed.encode()).hexdigest(), status="drawn")
        )
    op.execute("UPDATE standard_sample SET committed_at = drawn_at, committed_by = drawn_by")
    with op.batch_alter_table("standard_sample", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column("seed_sha256", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column(
            "committed_at", existing_type=services.common.db.UTCDateTime(timezone=True), nullable=False
        )
        batch_op.alter_column("committed_by", existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column(
            "drawn_at", existing_type=services.common.db.UTCDateTime(timezone=True), nullable=True
        )
        batch_op.alter_column("drawn_by", existing_type=sa.String(length=200), nullable=True)


def downgrade() -> None:
    # Draws still committed (never drawn) cannot be represented before this revision: drop them.
    op.execute("DELETE FROM standard_sample WHERE status = 'committed'")
    with op.batch_alter_table("standard_sample", schema=None) as batch_op:
        batch_op.alter_column("drawn_by", existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column(
            "drawn_at", existing_type=services.common.db.UTCDateTime(timezone=True), nullable=False
        )
        batch_op.drop_column("committed_by")
        batch_op.drop_column("committed_at")
        batch_op.drop_column("seed_sha256")
        batch_op.drop_column("status")

    with op.batch_alter_table("task_inspector", schema=None) as batch_op:
        batch_op.drop_index("ix_task_inspector_inspector_id_uscc")

    op.drop_table("task_inspector")
    with op.batch_alter_table("inspection_task", schema=None) as batch_op:
        batch_op.drop_index("ix_inspection_task_uscc_finalised_at")
        batch_op.drop_index("ix_inspection_task_category_finalised_at")

    op.drop_table("inspection_task")
    with op.batch_alter_table("risk_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_notice_warning_id"))
        batch_op.drop_index(batch_op.f("ix_risk_notice_published_at"))

    op.drop_table("risk_notice")
    with op.batch_alter_table("risk_class", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_class_risk_class"))

    op.drop_table("risk_class")
    with op.batch_alter_table("risk_warning", schema=None) as batch_op:
        batch_op.drop_index("ix_risk_warning_status_raised_at")

    op.drop_table("risk_warning")
    op.drop_table("job_lease")
    op.drop_table("inspector")
    with op.batch_alter_table("inspection_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_plan_warning_id"))
        batch_op.drop_index("ix_inspection_plan_status_created_at")

    op.drop_table("inspection_plan")
