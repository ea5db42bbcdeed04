"""enterprise name search by trigram

Revision ID: 5e1f0a2b7c3d
Revises: 4d3f1fbac9fd
Create Date: 2026-11-27 10:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5e1f0a2b7c3d"
down_revision: str | None = "4d3f1fbac9fd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A btree on name cannot serve LIKE '%…%'; pg_trgm's GIN index can (PostgreSQL). On SQLite the
    # same declaration is a plain index.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.drop_index("ix_enterprise_name")
        batch_op.create_index(
            "ix_enterprise_name_gin",
            ["name"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        )


def downgrade() -> None:
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.drop_index("ix_enterprise_name_gin", postgresql_using="gin")
        batch_op.create_index("ix_enterprise_name", ["name"], unique=False)
