"""Order 44 listing steps: authority level, consent, publication deadlines, repair acceptance

Revision ID: b7c41e9d2a60
Revises: 5e1f0a2b7c3d
Create Date: 2026-12-02 04:00:00

Existing data: a listed or removed black-list entry was decided and published at once, so its
decision and publication deadline are its listing time. A pending repair application was accepted
when filed (the old rule), so it becomes `accepted`, accepted at its filing time.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.common.db

revision: str = "b7c41e9d2a60"
down_revision: str | None = "5e1f0a2b7c3d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCEPTED_ON_FILING = "system:accepted-on-filing"


def _time(name: str) -> sa.Column:
    return sa.Column(name, services.common.db.UTCDateTime(timezone=True), nullable=True)


def upgrade() -> None:
    with op.batch_alter_table("list_entry") as batch:
        batch.add_column(sa.Column("authority_level", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("authority_division", sa.String(length=6), nullable=True))
        batch.add_column(_time("restriction_ends_at"))
        batch.add_column(sa.Column("consent_by", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("consent_ref", sa.String(length=200), nullable=True))
        batch.add_column(_time("consent_at"))
        batch.add_column(sa.Column("consent_recorded_by", sa.String(length=200), nullable=True))
        batch.add_column(_time("listing_decided_at"))
        batch.add_column(_time("publication_due_at"))
        batch.add_column(
            sa.Column("publication_due_provisional", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(_time("push_due_at"))
        batch.add_column(_time("pushed_at"))
        batch.add_column(_time("stop_publication_due_at"))
        batch.create_index("ix_list_entry_status_publication_due_at", ["status", "publication_due_at"])
    entry = sa.table(
        "list_entry",
        sa.column("kind", sa.String),
        sa.column("listed_at", services.common.db.UTCDateTime(timezone=True)),
        sa.column("listing_decided_at", services.common.db.UTCDateTime(timezone=True)),
        sa.column("publication_due_at", services.common.db.UTCDateTime(timezone=True)),
    )
    op.execute(
        entry.update()
        .where(entry.c.kind == "black", entry.c.listed_at.is_not(None))
        .values(listing_decided_at=entry.c.listed_at, publication_due_at=entry.c.listed_at)
    )

    with op.batch_alter_table("repair_application") as batch:
        batch.add_column(_time("acceptance_due_at"))
        batch.add_column(
            sa.Column("acceptance_due_provisional", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(_time("accepted_at"))
        batch.add_column(sa.Column("accepted_by", sa.String(length=200), nullable=True))
        batch.alter_column(
            "decision_due_at", existing_type=services.common.db.UTCDateTime(timezone=True), nullable=True
        )
        batch.drop_index("ix_repair_application_status_decision_due_at")
        batch.create_index("ix_repair_application_status_filed_at", ["status", "filed_at"])
    repair = sa.table(
        "repair_application",
        sa.column("status", sa.String),
        sa.column("filed_at", services.common.db.UTCDateTime(timezone=True)),
        sa.column("acceptance_due_at", services.common.db.UTCDateTime(timezone=True)),
        sa.column("accepted_at", services.common.db.UTCDateTime(timezone=True)),
        sa.column("accepted_by", sa.String),
    )
    op.execute(repair.update().values(acceptance_due_at=repair.c.filed_at))
    op.execute(
        repair.update()
        .where(repair.c.status == "pending")
        .values(status="accepted", accepted_at=repair.c.filed_at, accepted_by=ACCEPTED_ON_FILING)
    )
    op.execute(
        repair.update()
        .where(repair.c.status.in_(["approved", "rejected", "closed"]))
        .values(accepted_at=repair.c.filed_at, accepted_by=ACCEPTED_ON_FILING)
    )
    with op.batch_alter_table("repair_application") as batch:
        batch.alter_column(
            "acceptance_due_at", existing_type=services.common.db.UTCDateTime(timezone=True), nullable=False
        )


def downgrade() -> None:
    repair = sa.table(
        "repair_application",
        sa.column("status", sa.String),
        sa.column("filed_at", services.common.db.UTCDateTime(timezone=True)),
        sa.column("decision_due_at", services.common.db.UTCDateTime(timezone=True)),
    )
    # The old rule had no acceptance step: a received application was pending (due 15 working days
    # from filing; without the calendar here, the filing time stands in and shows it as overdue).
    op.execute(
        repair.update()
        .where(repair.c.status.in_(["received", "accepted"]))
        .values(
            status="pending", decision_due_at=sa.func.coalesce(repair.c.decision_due_at, repair.c.filed_at)
        )
    )
    op.execute(repair.update().where(repair.c.status == "refused").values(status="rejected"))
    op.execute(repair.update().where(repair.c.status == "revoked").values(status="approved"))
    op.execute(
        repair.update().where(repair.c.decision_due_at.is_(None)).values(decision_due_at=repair.c.filed_at)
    )
    with op.batch_alter_table("repair_application") as batch:
        batch.drop_index("ix_repair_application_status_filed_at")
        batch.create_index("ix_repair_application_status_decision_due_at", ["status", "decision_due_at"])
        batch.alter_column(
            "decision_due_at", existing_type=services.common.db.UTCDateTime(timezone=True), nullable=False
        )
        for name in ("accepted_by", "accepted_at", "acceptance_due_provisional", "acceptance_due_at"):
            batch.drop_column(name)
    entry = sa.table("list_entry", sa.column("status", sa.String))
    # A decided entry had no state of its own: it was still awaiting the listing.
    op.execute(entry.update().where(entry.c.status == "decided").values(status="notice_served"))
    with op.batch_alter_table("list_entry") as batch:
        batch.drop_index("ix_list_entry_status_publication_due_at")
        for name in (
            "stop_publication_due_at",
            "pushed_at",
            "push_due_at",
            "publication_due_provisional",
            "publication_due_at",
            "listing_decided_at",
            "consent_recorded_by",
            "consent_at",
            "consent_ref",
            "consent_by",
            "restriction_ends_at",
            "authority_division",
            "authority_level",
        ):
            batch.drop_column(name)
