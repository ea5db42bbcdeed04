"""A new registry database on a Citus cluster: created on every node, the nodes registered in it.

A Citus database is one per node, and a new one is not yet part of any cluster. `CREATE DATABASE`
on the coordinator reaches the workers only with `citus.enable_create_database_propagation` (Citus
13.2: tried), and even then the new database has the `citus` extension on no node; a worker whose
database lacks it cannot be added (`citus_add_node` fails: "failure on connection marked as
essential"). So: the database and the extension on every node, then the nodes registered from it.
The test suite's `citus` backend and `bench.citus` create their databases so; an operator adding
a registry database to a cluster does the same steps by hand. `admin_dsn` is the coordinator's
`postgres` database, where the workers are registered.
"""

from __future__ import annotations

import asyncpg

Node = tuple[str, int]


def dsn_at(admin_dsn: str, host: str, port: int, database: str) -> str:
    """The admin DSN's user at another node and database."""
    rest = admin_dsn.split("://", 1)[1]
    user = rest.split("@", 1)[0] if "@" in rest else "postgres"
    return f"postgresql://{user}@{host}:{port}/{database}"


def in_database(admin_dsn: str, database: str) -> str:
    """The admin DSN with another database."""
    return admin_dsn.rsplit("/", 1)[0] + "/" + database


async def nodes(admin_dsn: str) -> tuple[Node, list[Node]]:
    """(coordinator, workers) as registered in the coordinator's `postgres` database."""
    connection = await asyncpg.connect(admin_dsn, timeout=10)
    try:
        rows = await connection.fetch("SELECT nodename, nodeport, groupid FROM pg_dist_node WHERE isactive")
    finally:
        await connection.close()
    coordinator = next(((str(r["nodename"]), int(r["nodeport"])) for r in rows if r["groupid"] == 0), None)
    if coordinator is None:
        host_port = admin_dsn.split("@", 1)[-1].split("/", 1)[0]
        host, _, port = host_port.partition(":")
        coordinator = (host, int(port or 5432))
    return coordinator, [(str(r["nodename"]), int(r["nodeport"])) for r in rows if r["groupid"] != 0]


async def _on_node(dsn: str, *statements: str) -> None:
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        for sql in statements:
            await connection.execute(sql)
    finally:
        await connection.close()


async def create_database(admin_dsn: str, name: str, *, shard_count: int | None = None) -> None:
    """`name` on the coordinator and every worker, with the extension, and the nodes registered in it."""
    coordinator, workers = await nodes(admin_dsn)
    for host, port in [coordinator, *workers]:
        await _on_node(dsn_at(admin_dsn, host, port, "postgres"), f'CREATE DATABASE "{name}"')
        await _on_node(dsn_at(admin_dsn, host, port, name), "CREATE EXTENSION citus")
    connection = await asyncpg.connect(dsn_at(admin_dsn, *coordinator, name), timeout=10)
    try:
        if shard_count is not None:
            await connection.execute(f'ALTER DATABASE "{name}" SET citus.shard_count = {int(shard_count)}')
        await connection.execute("SELECT citus_set_coordinator_host($1, $2)", coordinator[0], coordinator[1])
        for host, port in workers:
            await connection.execute("SELECT citus_add_node($1, $2)", host, port)
    finally:
        await connection.close()


async def drop_database(admin_dsn: str, name: str) -> None:
    """`name` dropped on the coordinator and on every worker (where it exists)."""
    coordinator, workers = await nodes(admin_dsn)
    for host, port in [coordinator, *workers]:
        await _on_node(
            dsn_at(admin_dsn, host, port, "postgres"), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        )
