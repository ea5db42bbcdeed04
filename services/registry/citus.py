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


def _placed(conn: Connection, table: str) -> str | None:
    """'distributed', 'reference', or None: not placed, or only a citus local table.

    Citus turns local tables that refer to a reference table (and the tables connected to them by
    foreign keys) into "citus local tables" by itself; those are still to be distributed.
    """
    row = conn.execute(
        text(
            "SELECT partmethod::text, repmodel::text FROM pg_dist_partition "
            "WHERE logicalrelid = to_regclass(:t)"
        ),
        {"t": table},
    ).one_or_none()
    if row is None:
        return None
    method, model = str(row[0]), str(row[1])
    if method == "h":
        return "distributed"
    return "reference" if model == "t" else None


def distribute_table(conn: Connection, table: str) -> str | None:
    """Place one table as distribution.py says (a migration adding a table calls this); None if no Citus.

    Returns 'distributed', 'reference', 'already' or None (no Citus, or the table does not exist).
    """
    if not has_citus(conn) or not _exists(conn, table):
        return None
    wanted = "reference" if table in REFERENCE else "distributed" if table in DISTRIBUTED else None
    if wanted is not None and _placed(conn, table) == wanted:
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
    return kind


def _keys_to_reference_tables(conn: Connection) -> list[tuple[str, str, str]]:
    """(table, constraint, definition) of foreign keys from tables to distribute to tables that will
    be reference tables but are not yet."""
    rows = conn.execute(
        text(
            "SELECT conrelid::regclass::text, conname::text, pg_get_constraintdef(oid), "
            "confrelid::regclass::text FROM pg_constraint "
            "WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
        )
    ).all()
    return [
        (table, name, definition)
        for table, name, definition, parent in rows
        if table in DISTRIBUTED and parent in REFERENCE and _placed(conn, parent) != "reference"
    ]


def distribute(conn: Connection, metadata: MetaData) -> Placed:
    """Place every registry table, parents before the tables whose foreign keys refer to them.

    The distributed tables go first. Their foreign keys to future reference tables are set aside
    meanwhile and added back at the end: made first, a reference table would turn every local table
    connected to it by foreign keys (enterprise included) into a citus local table, which cannot then
    be distributed while the others still refer to it.
    """
    placed = Placed()
    if not has_citus(conn):
        return placed
    set_aside = _keys_to_reference_tables(conn)
    for table, name, _definition in set_aside:
        conn.execute(text(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"'))
    order = [t.name for t in metadata.sorted_tables]
    names = [COLOCATE_WITH] + [t for t in order if t in DISTRIBUTED and t != COLOCATE_WITH]
    names += [t for t in order if t in REFERENCE]
    for table in names:
        kind = distribute_table(conn, table)
        if kind == "distributed":
            placed.distributed.append(table)
        elif kind == "reference":
            placed.reference.append(table)
        elif kind == "already":
            placed.already.append(table)
    for table, name, definition in set_aside:
        conn.execute(text(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'))
    # The rows were copied into the shards; the coordinator's own copies are no longer read.
    for table in reversed([t for t in names if t in placed.distributed or t in placed.reference]):
        conn.execute(text("SELECT truncate_local_data_after_distributing_table(:t)"), {"t": table})
    return placed


def register_nodes(
    conn: Connection, *, coordinator: tuple[str, int] | None, workers: list[tuple[str, int]]
) -> int:
    """Register the coordinator's own address and the workers (each once); returns how many were new."""
    known = {
        (str(h), int(p)) for h, p in conn.execute(text("SELECT nodename, nodeport FROM pg_dist_node")).all()
    }
    added = 0
    if coordinator is not None and coordinator not in known:
        conn.execute(
            text("SELECT citus_set_coordinator_host(:h, :p)"), {"h": coordinator[0], "p": coordinator[1]}
        )
        added += 1
    for host, port in workers:
        if (host, port) not in known:
            conn.execute(text("SELECT citus_add_node(:h, :p)"), {"h": host, "p": port})
            added += 1
    return added
