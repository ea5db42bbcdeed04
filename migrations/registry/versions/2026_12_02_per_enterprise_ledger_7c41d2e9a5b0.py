"""per-enterprise ledger: chains on the enterprise row, feed and audit positions, checkpoints, leases,
idempotency per issuing authority

Revision ID: 7c41d2e9a5b0
Revises: 598954402111
Create Date: 2026-12-02 03:40:00

Populated data: every existing audit entry is re-linked into its enterprise's chain (versions 1…n in
the old global order, hashes recomputed, the head stored on the enterprise row) and given its old
number as its position; existing changes keep their number as their feed position, so partners'
cursors stay valid. Credit events move to the per-authority key `issuer|authority`; where two
officers of one bureau had recorded the same source_ref for one enterprise, the later event keeps
its old per-officer key (it stays a distinct, already-counted event; nothing is deleted).
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import services.common.db

revision: str = "7c41d2e9a5b0"
down_revision: str | None = "598954402111"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _at(value: object) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _hash(**fields: object) -> str:
    return hashlib.sha256(_canonical(fields).encode()).hexdigest()


def _relink() -> None:
    """Re-link the global chain into per-enterprise chains (hashes as services.registry.ledger.chain)."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT seq, at, actor, action, uscc, subject, data, prev_hash FROM audit_entry ORDER BY seq")
    ).all()
    heads: dict[str, tuple[int, str]] = {}
    for seq, at, actor, action, uscc, subject, data, _ in rows:
        data = json.loads(data) if isinstance(data, str) else data
        chain = uscc or ""
        version, prev = heads.get(chain, (0, GENESIS))
        version += 1
        digest = _hash(
            chain=chain,
            version=version,
            at=_at(at).isoformat(),
            actor=actor,
            action=action,
            uscc=uscc,
            subject=subject,
            data=data,
            prev_hash=prev,
        )
        conn.execute(
            sa.text(
                "UPDATE audit_entry SET chain = :c, version = :v, position = :seq, prev_hash = :p, hash = :h "
                "WHERE seq = :seq"
            ),
            {"c": chain, "v": version, "seq": seq, "p": prev, "h": digest},
        )
        heads[chain] = (version, digest)
    for chain, (version, head) in heads.items():
        if chain:
            conn.execute(
                sa.text("UPDATE enterprise SET version = :v, chain_head = :h WHERE uscc = :c"),
                {"v": version, "h": head, "c": chain},
            )
        else:
            conn.execute(
                sa.text("INSERT INTO audit_chain (name, version, head) VALUES ('', :v, :h)"),
                {"v": version, "h": head},
            )


def _authority_keys() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, uscc, issuer, authority, source_ref FROM credit_event ORDER BY recorded_at, id")
    ).all()
    taken: set[tuple[str, str, str]] = set()
    for event_id, uscc, issuer, authority, source_ref in rows:
        token_issuer = issuer.rsplit("/", 1)[0]
        key = f"{token_issuer}|{' '.join(authority.split())}"
        if (uscc, key, source_ref) in taken:
            continue  # a second officer's duplicate: it keeps its per-officer key
        taken.add((uscc, key, source_ref))
        conn.execute(sa.text("UPDATE credit_event SET issuer = :k WHERE id = :i"), {"k": key, "i": event_id})


def upgrade() -> None:
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("chain_head", sa.String(length=64), server_default=GENESIS, nullable=False)
        )

    op.create_table(
        "audit_chain",
        sa.Column("name", sa.String(length=18), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_audit_chain")),
    )
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", BIG, autoincrement=True, nullable=False),
        sa.Column("at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("chains", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
    )
    op.create_table(
        "lease",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires_at", services.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_lease")),
    )

    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain", sa.String(length=18), server_default="", nullable=False))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("position", sa.BigInteger(), nullable=True))
    _relink()
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.alter_column("chain", server_default=None)
        batch_op.alter_column("version", server_default=None)
        batch_op.create_unique_constraint(op.f("uq_audit_entry_chain_version"), ["chain", "version"])
        batch_op.create_unique_constraint(op.f("uq_audit_entry_position"), ["position"])
        batch_op.create_index(
            "ix_audit_entry_unsequenced",
            ["seq"],
            unique=False,
            postgresql_where=sa.text("position IS NULL"),
            sqlite_where=sa.text("position IS NULL"),
        )
    if op.get_bind().dialect.name == "postgresql":
        # The entry id now comes from a sequence (no global max+1 read under a lock).
        op.execute("CREATE SEQUENCE audit_entry_seq_seq OWNED BY audit_entry.seq")
        op.execute(
            "SELECT setval('audit_entry_seq_seq', COALESCE((SELECT max(seq) FROM audit_entry), 0) + 1, false)"
        )
        op.execute("ALTER TABLE audit_entry ALTER COLUMN seq SET DEFAULT nextval('audit_entry_seq_seq')")

    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", sa.BigInteger(), nullable=True))
    op.execute("UPDATE change SET position = seq")
    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.create_unique_constraint(op.f("uq_change_position"), ["position"])
        batch_op.create_index(
            "ix_change_unsequenced",
            ["seq"],
            unique=False,
            postgresql_where=sa.text("position IS NULL"),
            sqlite_where=sa.text("position IS NULL"),
        )

    with op.batch_alter_table("credit_event", schema=None) as batch_op:
        batch_op.drop_constraint("uq_credit_event_issuer_source_ref", type_="unique")
    _authority_keys()
    with op.batch_alter_table("credit_event", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            op.f("uq_credit_event_uscc_issuer_source_ref"), ["uscc", "issuer", "source_ref"]
        )


def downgrade() -> None:
    # Downgrading keeps the events' per-authority keys (the old per-officer key is not recoverable),
    # and the old single chain is rebuilt in entry order.
    with op.batch_alter_table("credit_event", schema=None) as batch_op:
        batch_op.drop_constraint("uq_credit_event_uscc_issuer_source_ref", type_="unique")
        batch_op.create_unique_constraint(op.f("uq_credit_event_issuer_source_ref"), ["issuer", "source_ref"])

    with op.batch_alter_table("change", schema=None) as batch_op:
        batch_op.drop_index("ix_change_unsequenced")
        batch_op.drop_constraint("uq_change_position", type_="unique")
        batch_op.drop_column("position")

    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_entry ALTER COLUMN seq DROP DEFAULT")
        op.execute("DROP SEQUENCE audit_entry_seq_seq")
    prev = GENESIS
    for seq, at, actor, action, uscc, subject, data in conn.execute(
        sa.text("SELECT seq, at, actor, action, uscc, subject, data FROM audit_entry ORDER BY seq")
    ).all():
        data = json.loads(data) if isinstance(data, str) else data
        digest = _hash(
            seq=seq,
            at=_at(at).isoformat(),
            actor=actor,
            action=action,
            uscc=uscc,
            subject=subject,
            data=data,
            prev_hash=prev,
        )
        conn.execute(
            sa.text("UPDATE audit_entry SET prev_hash = :p, hash = :h WHERE seq = :s"),
            {"p": prev, "h": digest, "s": seq},
        )
        prev = digest
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_unsequenced")
        batch_op.drop_constraint("uq_audit_entry_position", type_="unique")
        batch_op.drop_constraint("uq_audit_entry_chain_version", type_="unique")
        batch_op.drop_column("position")
        batch_op.drop_column("version")
        batch_op.drop_column("chain")

    op.drop_table("lease")
    op.drop_table("audit_checkpoint")
    op.drop_table("audit_chain")
    with op.batch_alter_table("enterprise", schema=None) as batch_op:
        batch_op.drop_column("chain_head")
        batch_op.drop_column("version")
