"""complaint categories become configured codes

Free-text categories (and a finding's category) are mapped to the codes of
services/complaints/categories.toml as they stood when this revision was written; a text that
matches none becomes "other". The text a case was filed under is kept, for handlers, in
complaint.category_as_filed (it never leaves the service). Credit events not yet delivered get a
summary that names the code. Downgrade restores the filed text (or the code's Chinese label).

Revision ID: 466bffb8cac9
Revises: 5c1e2a9d7b40
Create Date: 2026-12-02 03:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "466bffb8cac9"
down_revision: str | None = "5c1e2a9d7b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# code -> (zh label, en label): a frozen copy, so this revision does the same on every run.
LABELS = {
    "product_quality": ("产品质量", "product quality"),
    "food_safety": ("食品安全", "food safety"),
    "measurement": ("计量", "measurement"),
    "standards": ("标准", "standards"),
    "special_equipment": ("特种设备", "special equipment"),
    "prices_fees": ("价格收费", "prices and fees"),
    "advertising": ("广告宣传", "advertising"),
    "contract_service": ("合同与售后服务", "contract and after-sales service"),
    "other": ("其他", "other"),
}
FALLBACK = "other"
KNOWN = {text: code for code, labels in LABELS.items() for text in (code, *labels)}

complaint = sa.table(
    "complaint",
    sa.column("id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("category", sa.String()),
    sa.column("category_as_filed", sa.String()),
    sa.column("finding_category", sa.String()),
)
outbox = sa.table(
    "outbox_message",
    sa.column("id", sa.Integer()),
    sa.column("complaint_id", sa.Uuid()),
    sa.column("status", sa.String()),
    sa.column("payload", sa.JSON()),
)


def code_for(text: str) -> str:
    return KNOWN.get(" ".join(text.split()).lower(), FALLBACK)


def _summaries(conn: sa.Connection) -> None:
    """Undelivered credit events: the summary from the case's current category values."""
    rows = conn.execute(
        sa.select(
            outbox.c.id,
            outbox.c.payload,
            complaint.c.kind,
            complaint.c.category,
            complaint.c.finding_category,
        )
        .join(complaint, complaint.c.id == outbox.c.complaint_id)
        .where(outbox.c.status != "sent")
    ).all()
    for row in rows:
        payload = dict(row.payload)
        payload["summary"] = f"{row.kind}: {row.finding_category or row.category}"
        conn.execute(sa.update(outbox).where(outbox.c.id == row.id).values(payload=payload))


def upgrade() -> None:
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("category_as_filed", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    for (text,) in conn.execute(sa.select(complaint.c.category).distinct()).all():
        code = code_for(text)
        if code != text:
            conn.execute(
                sa.update(complaint)
                .where(complaint.c.category == text)
                .values(category=code, category_as_filed=text)
            )
    found = sa.select(complaint.c.finding_category).where(complaint.c.finding_category.is_not(None))
    for (text,) in conn.execute(found.distinct()).all():
        code = code_for(text)
        if code != text:
            conn.execute(
                sa.update(complaint).where(complaint.c.finding_category == text).values(finding_category=code)
            )
    _summaries(conn)


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(
        sa.update(complaint)
        .where(complaint.c.category_as_filed.is_not(None))
        .values(category=complaint.c.category_as_filed)
    )
    for code, (zh, _) in LABELS.items():
        conn.execute(
            sa.update(complaint)
            .where(complaint.c.category == code, complaint.c.category_as_filed.is_(None))
            .values(category=zh)
        )
        conn.execute(
            sa.update(complaint).where(complaint.c.finding_category == code).values(finding_category=zh)
        )
    _summaries(conn)
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_column("category_as_filed")
