"""distributable keys: every per-enterprise key includes the enterprise's code; the feed horizon

Revision ID: e5c1d7a3b9f2
Revises: e5a7c3b91f24
Create Date: 2026-12-02 15:00:00

Primary keys become (uscc, id) (audit entries: (chain, seq)), unique constraints and foreign keys
between per-enterprise tables include uscc, so the registry can be distributed by uscc on Citus
(services/registry/distribution.py). Global unique indexes that cannot hold on a sharded table are
replaced: feed and audit positions are unique by construction (one sequencer under a lock), company
prefixes and GTINs by a lock on the key before the check (services/common/db.py `lock_keys`).

Populated data: nothing is rewritten except a child row's uscc where it disagreed with its parent's
(it never should: the services write both from the same enterprise); `feed_horizon` starts at the
highest position already given. On a database with the citus extension the tables are then placed
(services/registry/citus.py), data included.

SQLite is never distributed: its autoincrement tables (grade_change, list_transition,
standard_version, change, audit_entry) keep their single-column key, the rowid, which is the only
key SQLite autoincrements (and which the standards' FTS5 index refers to); their composite foreign
keys and unique constraints change as on PostgreSQL.
"""

import warnings
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5c1d7a3b9f2"
down_revision: str | None = "e5a7c3b91f24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table → (old primary key, new primary key, also on SQLite)
KEYS: dict[str, tuple[list[str], list[str], bool]] = {
    "credit_event": (["id"], ["uscc", "id"], True),
    "grade_change": (["id"], ["uscc", "id"], False),
    "list_entry": (["id"], ["uscc", "id"], True),
    "list_transition": (["id"], ["uscc", "id"], False),
    "list_statement": (["id"], ["uscc", "id"], True),
    "repair_application": (["id"], ["uscc", "id"], True),
    "standard_declaration": (["id"], ["uscc", "id"], True),
    "standard_document": (["id"], ["uscc", "id"], True),
    "standard_version": (["id"], ["uscc", "id"], False),
    "standard_flag": (["id"], ["uscc", "id"], True),
    "standard_sampled": (["sample_id", "declaration_id"], ["uscc", "sample_id", "declaration_id"], True),
    "inspection_task": (["id"], ["uscc", "id"], True),
    "task_inspector": (["task_id", "inspector_id"], ["uscc", "task_id", "inspector_id"], True),
    "change": (["seq"], ["uscc", "seq"], False),
    "audit_entry": (["seq"], ["chain", "seq"], False),
}

# (table, old name, old columns, parent, new name, new columns, parent's new columns)
FKS: list[tuple[str, str, list[str], str, str, list[str], list[str]]] = [
    (
        "list_transition",
        "fk_list_transition_entry_id_list_entry",
        ["entry_id"],
        "list_entry",
        "fk_list_transition_uscc_list_entry",
        ["uscc", "entry_id"],
        ["uscc", "id"],
    ),
    (
        "list_statement",
        "fk_list_statement_entry_id_list_entry",
        ["entry_id"],
        "list_entry",
        "fk_list_statement_uscc_list_entry",
        ["uscc", "entry_id"],
        ["uscc", "id"],
    ),
    (
        "repair_application",
        "fk_repair_application_entry_id_list_entry",
        ["entry_id"],
        "list_entry",
        "fk_repair_application_uscc_list_entry",
        ["uscc", "entry_id"],
        ["uscc", "id"],
    ),
    (
        "standard_version",
        "fk_standard_version_declaration_id_standard_declaration",
        ["declaration_id"],
        "standard_declaration",
        "fk_standard_version_uscc_standard_declaration",
        ["uscc", "declaration_id"],
        ["uscc", "id"],
    ),
    (
        "standard_version",
        "fk_standard_version_document_id_standard_document",
        ["document_id"],
        "standard_document",
        "fk_standard_version_uscc_standard_document",
        ["uscc", "document_id"],
        ["uscc", "id"],
    ),
    (
        "standard_flag",
        "fk_standard_flag_declaration_id_standard_declaration",
        ["declaration_id"],
        "standard_declaration",
        "fk_standard_flag_uscc_standard_declaration",
        ["uscc", "declaration_id"],
        ["uscc", "id"],
    ),
    (
        "standard_flag",
        "fk_standard_flag_credit_event_id_credit_event",
        ["credit_event_id"],
        "credit_event",
        "fk_standard_flag_uscc_credit_event",
        ["uscc", "credit_event_id"],
        ["uscc", "id"],
    ),
    (
        "standard_sampled",
        "fk_standard_sampled_declaration_id_standard_declaration",
        ["declaration_id"],
        "standard_declaration",
        "fk_standard_sampled_uscc_standard_declaration",
        ["uscc", "declaration_id"],
        ["uscc", "id"],
    ),
    (
        "inspection_task",
        "fk_inspection_task_credit_event_id_credit_event",
        ["credit_event_id"],
        "credit_event",
        "fk_inspection_task_uscc_credit_event",
        ["uscc", "credit_event_id"],
        ["uscc", "id"],
    ),
    (
        "task_inspector",
        "fk_task_inspector_task_id_inspection_task",
        ["task_id"],
        "inspection_task",
        "fk_task_inspector_uscc_inspection_task",
        ["uscc", "task_id"],
        ["uscc", "id"],
    ),
]

# (table, old unique name, old columns, new unique name or None, new columns)
UNIQUES: list[tuple[str, str, list[str], str | None, list[str]]] = [
    (
        "standard_version",
        "uq_standard_version_declaration_id_version",
        ["declaration_id", "version"],
        "uq_standard_version_uscc_declaration_id_version",
        ["uscc", "declaration_id", "version"],
    ),
    (
        "standard_flag",
        "uq_standard_flag_declaration_id_number",
        ["declaration_id", "number"],
        "uq_standard_flag_uscc_declaration_id_number",
        ["uscc", "declaration_id", "number"],
    ),
    ("change", "uq_change_position", ["position"], None, []),
    ("audit_entry", "uq_audit_entry_position", ["position"], None, []),
]

# Plain indexes that replace a unique one: (table, old unique index or constraint, new index, columns)
INDEXES: list[tuple[str, str, str, list[str]]] = [
    ("change", "uq_change_position", "ix_change_position", ["position"]),
    ("audit_entry", "uq_audit_entry_position", "ix_audit_entry_position", ["position"]),
    ("company_prefix", "uq_company_prefix_prefix", "ix_company_prefix_prefix", ["prefix"]),
    ("product", "uq_product_gtin14", "ix_product_gtin14", ["gtin14"]),
]

# A child's uscc is its parent's (they are written together); align any that is not, before the
# composite keys check it.
ALIGN = [
    ("list_transition", "entry_id", "list_entry"),
    ("list_statement", "entry_id", "list_entry"),
    ("repair_application", "entry_id", "list_entry"),
    ("standard_version", "declaration_id", "standard_declaration"),
    ("standard_flag", "declaration_id", "standard_declaration"),
    ("standard_sampled", "declaration_id", "standard_declaration"),
    ("task_inspector", "task_id", "inspection_task"),
]

FTS_TABLE = "standard_version_fts"
SQLITE_TRIGGERS = {  # as created by 4d3f1fbac9fd; a batch recreate of standard_version drops them
    "standard_version_fts_ai": f"""
        AFTER INSERT ON standard_version BEGIN
            INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
    "standard_version_fts_ad": f"""
        AFTER DELETE ON standard_version BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        END""",
    "standard_version_fts_au": f"""
        AFTER UPDATE OF search_text ON standard_version BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
            INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
}


def _align() -> None:
    for child, column, parent in ALIGN:
        op.execute(
            f"UPDATE {child} SET uscc = (SELECT p.uscc FROM {parent} p WHERE p.id = {child}.{column}) "
            f"WHERE EXISTS (SELECT 1 FROM {parent} p WHERE p.id = {child}.{column} AND p.uscc <> {child}.uscc)"
        )
    # An event a flag or task points to belongs to the same enterprise; a pointer that does not is
    # dropped rather than keep a key the composite foreign key refuses (never seen in practice).
    for child in ("standard_flag", "inspection_task"):
        op.execute(
            f"UPDATE {child} SET credit_event_id = NULL WHERE credit_event_id IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM credit_event e WHERE e.id = {child}.credit_event_id AND e.uscc = {child}.uscc)"
        )


def _horizon() -> None:
    op.create_table(
        "feed_horizon",
        sa.Column("log", sa.String(length=8), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("log", name=op.f("pk_feed_horizon")),
    )
    op.execute(
        "INSERT INTO feed_horizon (log, position) SELECT 'change', COALESCE(max(position), 0) FROM change"
    )
    op.execute(
        "INSERT INTO feed_horizon (log, position) SELECT 'audit', COALESCE(max(position), 0) FROM audit_entry"
    )


def _upgrade_postgresql() -> None:
    for table, old, _cols, _parent, _new, _new_cols, _parent_cols in FKS:
        op.drop_constraint(old, table, type_="foreignkey")
    for table, old, _cols, new, new_cols in UNIQUES:
        op.drop_constraint(old, table, type_="unique")
        if new:
            op.create_unique_constraint(new, table, new_cols)
    for table, (_old, new_key, _sqlite) in KEYS.items():
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.create_primary_key(f"pk_{table}", table, new_key)
    for table, old, new, columns in INDEXES:
        if old.startswith("uq_") and table in ("company_prefix", "product"):
            op.drop_index(old, table_name=table)
        op.create_index(new, table, columns)
    for table, _old, _cols, parent, new, new_cols, parent_cols in FKS:
        op.create_foreign_key(new, table, parent, new_cols, parent_cols)


def _upgrade_sqlite() -> None:
    tables = sorted({t for t, *_ in FKS} | {t for t, *_ in UNIQUES} | {t for t, *_ in INDEXES} | set(KEYS))
    for table in tables:
        with op.batch_alter_table(table, recreate="always") as batch:
            for t, old, _cols, _parent, _new, _nc, _pc in FKS:
                if t == table:
                    batch.drop_constraint(old, type_="foreignkey")
            for t, old, _cols, new, new_cols in UNIQUES:
                if t == table:
                    batch.drop_constraint(old, type_="unique")
                    if new:
                        batch.create_unique_constraint(new, new_cols)
            for t, old, new, columns in INDEXES:
                if t == table:
                    if table in ("company_prefix", "product"):
                        batch.drop_index(old)
                    batch.create_index(new, columns)
            if table in KEYS and KEYS[table][2]:
                batch.create_primary_key(f"pk_{table}", KEYS[table][1])
            for t, _old, _cols, parent, new, new_cols, parent_cols in FKS:
                if t == table:
                    batch.create_foreign_key(new, parent, new_cols, parent_cols)
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} {body}")


def _quietly(step: Callable[[], None]) -> None:
    # Batch mode warns that the copied table's key differs from the reflected one: that is the change.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*as primary_key=True, not matching locally specified")
        step()


def upgrade() -> None:
    _align()
    if op.get_bind().dialect.name == "sqlite":
        _quietly(_upgrade_sqlite)
    else:
        _upgrade_postgresql()
    _horizon()
    # On Citus, place the tables now, data included (a no-op without the citus extension).
    from services.registry.citus import distribute
    from services.registry.database import load_models

    distribute(op.get_bind(), load_models())


def _downgrade_postgresql() -> None:
    for table, _old, _cols, _parent, new, _nc, _pc in FKS:
        op.drop_constraint(new, table, type_="foreignkey")
    for table, old, new, _columns in INDEXES:
        op.drop_index(new, table_name=table)
        if table in ("company_prefix", "product"):
            op.create_index(old, table, [_columns[0]], unique=True)
    for table, (old_key, _new, _sqlite) in KEYS.items():
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.create_primary_key(f"pk_{table}", table, old_key)
    for table, old, cols, new, _new_cols in UNIQUES:
        if new:
            op.drop_constraint(new, table, type_="unique")
        op.create_unique_constraint(old, table, cols)
    for table, old, cols, parent, _new, _nc, _pc in FKS:
        op.create_foreign_key(old, table, parent, cols, ["id"])


def _downgrade_sqlite() -> None:
    tables = sorted({t for t, *_ in FKS} | {t for t, *_ in UNIQUES} | {t for t, *_ in INDEXES} | set(KEYS))
    for table in tables:
        with op.batch_alter_table(table, recreate="always") as batch:
            for t, _old, _cols, _parent, new, _nc, _pc in FKS:
                if t == table:
                    batch.drop_constraint(new, type_="foreignkey")
            for t, old, new, columns in INDEXES:
                if t == table:
                    batch.drop_index(new)
                    if table in ("company_prefix", "product"):
                        batch.create_index(old, columns, unique=True)
            for t, old, cols, new, _new_cols in UNIQUES:
                if t == table:
                    if new:
                        batch.drop_constraint(new, type_="unique")
                    batch.create_unique_constraint(old, cols)
            if table in KEYS and KEYS[table][2]:
                batch.create_primary_key(f"pk_{table}", KEYS[table][0])
            for t, old, cols, parent, _new, _nc, _pc in FKS:
                if t == table:
                    batch.create_foreign_key(old, parent, cols, ["id"])
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    # A database distributed on Citus is not taken back apart: undistribute_table first, by hand.
    op.drop_table("feed_horizon")
    if op.get_bind().dialect.name == "sqlite":
        _quietly(_downgrade_sqlite)
    else:
        _downgrade_postgresql()
