"""access log: one row per lookup with every code in one array column (text[] + GIN on PostgreSQL,
a JSON array on SQLite), instead of a row per code in access_log_code

Revision ID: e5a7c3b91f24
Revises: e21a7c3b9d40
Create Date: 2026-12-02 15:30:00

Populated data: each lookup's `usccs` (until now its first 50 codes) becomes the full sorted list
of its codes from access_log_code, so "who looked at this code" keeps answering for every code
ever logged; then access_log_code is dropped. Downgrade rebuilds access_log_code from the arrays
and keeps the first 50 codes in `usccs`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5a7c3b91f24"
down_revision: str | None = "e21a7c3b9d40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # A type change cannot read another table, so the arrays go into a new column first.
        op.add_column("access_log", sa.Column("codes", sa.ARRAY(sa.String(length=18))))
        op.execute(
            "UPDATE access_log SET codes = coalesce((SELECT array_agg(c.uscc ORDER BY c.uscc) "
            "FROM access_log_code c WHERE c.access_id = access_log.id), ARRAY[]::varchar(18)[])"
        )
        op.drop_column("access_log", "usccs")
        op.alter_column("access_log", "codes", new_column_name="usccs", nullable=False)
        op.create_index("ix_access_log_usccs", "access_log", ["usccs"], postgresql_using="gin")
    else:
        op.execute(
            "UPDATE access_log SET usccs = coalesce((SELECT json_group_array(uscc) FROM "
            "(SELECT c.uscc FROM access_log_code c WHERE c.access_id = access_log.id ORDER BY c.uscc)), "
            "'[]')"
        )
        op.create_index("ix_access_log_usccs", "access_log", ["usccs"])
    op.drop_index("ix_access_log_code_uscc_access_id", table_name="access_log_code")
    op.drop_table("access_log_code")


def downgrade() -> None:
    op.create_table(
        "access_log_code",
        sa.Column("access_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.PrimaryKeyConstraint("access_id", "uscc", name="pk_access_log_code"),
    )
    op.create_index("ix_access_log_code_uscc_access_id", "access_log_code", ["uscc", "access_id"])
    op.drop_index("ix_access_log_usccs", table_name="access_log")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "INSERT INTO access_log_code (access_id, uscc) SELECT DISTINCT id, unnest(usccs) FROM access_log"
        )
        op.execute("ALTER TABLE access_log ALTER COLUMN usccs TYPE json USING to_json(usccs[1:50])")
    else:
        op.execute(
            "INSERT INTO access_log_code (access_id, uscc) "
            "SELECT DISTINCT a.id, j.value FROM access_log a, json_each(a.usccs) j"
        )
        op.execute(
            "UPDATE access_log SET usccs = (SELECT json_group_array(value) FROM "
            "(SELECT value FROM json_each(access_log.usccs) LIMIT 50))"
        )
