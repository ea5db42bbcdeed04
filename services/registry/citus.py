"""Placing the registry's tables on a Citus cluster (`qcr citus distribute`, and every migration).

Idempotent: a table already placed is left as it is, a table not created yet is skipped, and
nothing happens at all on a database without the `citus` extension (plain PostgreSQL, SQLite).
What goes where is decided in `distribution.py` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, MetaData, text

from services.registry.distribution import COLOCATE_WITH, DISTRIBUTED, REFERENCE


@dataclass
class Placed:
    distributed: list[str] = field(default_factory=list)
    reference: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)


def has_citus(conn: Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    return bool(conn.execute(text("SELECT count(*) FROM pg_extension WHERE extname = 'citus'")).scalar_one())


def _exists(conn: Connection, table: str) -> bool:
    return conn.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": table}).scalar_one()


def _placed(conn: Connection, table: str) -> bool:
    found = conn.execute(
        text("SELECT count(*) FROM pg_dist_partition WHERE logicalrelid = to_regclass(:t)"), {"t": table}
    ).scalar_one()
    return bool(found)


def distribute_table(conn: Connection, table: str) -> str | None:
    """Place one table as distribution.py says (a migration adding a table calls this); None if no Citus.

    Returns 'distributed', 'reference', 'already' or None (no Citus, or the table does not exist).
    """
    if not has_citus(conn) or not _exists(conn, table):
        return None
    if _placed(conn, table):
        return "already"
    # Tables with foreign keys between them are placed in one transaction: Citus needs its
    # sequential mode for that (one connection per worker, so the keys see each other's shards).
    conn.execute(text("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'"))
    if table in REFERENCE:
        conn.execute(text("SELECT create_reference_table(:t)"), {"t": table})
        kind = "reference"
    elif table in DISTRIBUTED:
        colocate = "default" if table == COLOCATE_WITH else COLOCATE_WITH
        conn.execute(
            text("SELECT create_distributed_table(:t, :c, colocate_with => :w)"),
            {"t": table, "c": DISTRIBUTED[table], "w": colocate},
        )
        kind = "distributed"
    else:
        return None  # local: stays on the coordinator
    # The rows were copied into the shards; the coordinator's own copy is no longer read.
    conn.execute(text("SELECT truncate_local_data_after_distributing_table(:t)"), {"t": table})
    return kind


def distribute(conn: Connection, metadata: MetaData) -> Placed:
    """Place every registry table, parents before the tables whose foreign keys refer to them."""
    placed = Placed()
    if not has_citus(conn):
        return placed
    order = [t.name for t in metadata.sorted_tables]
    # Reference tables first (distributed tables refer to them), then the colocation anchor.
    names = [t for t in order if t in REFERENCE] + [COLOCATE_WITH] + [
        t for t in order if t in DISTRIBUTED and t != COLOCATE_WITH
    ]
    for table in names:
        kind = distribute_table(conn, table)
        if kind == "distributed":
            placed.distributed.append(table)
        elif kind == "reference":
            placed.reference.append(table)
        elif kind == "already":
            placed.already.append(table)
    return placed
