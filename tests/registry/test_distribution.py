"""The migrated registry schema can be distributed by uscc (Citus), checked on plain PostgreSQL too.

Every table is placed in services/registry/distribution.py; a distributed table's primary key,
unique constraints and indexes and foreign keys all include its distribution column, so each write
and each join of one enterprise's rows stays on one shard; foreign keys go only where Citus allows
them. On the citus backend the cluster's placement must also be what distribution.py says.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from services.registry import distribution
from tests.conftest import BACKENDS
from tests.support import Backend

POSTGRES_BACKENDS = [b for b in BACKENDS if b != "sqlite"]


@dataclass(frozen=True)
class Key:
    table: str
    name: str
    kind: str  # p | u | i (unique index) | f
    columns: tuple[str, ...]
    parent: str | None = None
    parent_columns: tuple[str, ...] = ()


_KEYS = """
SELECT c.conrelid::regclass::text, c.conname::text, c.contype::text,
       ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),
       c.confrelid::regclass::text,
       ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i)
FROM pg_constraint c
WHERE c.connamespace = 'public'::regnamespace AND c.contype IN ('p', 'u', 'f')
UNION ALL
SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, 'i',
       ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(n, o)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o),
       NULL, ARRAY[]::text[]
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relnamespace = 'public'::regnamespace AND i.indisunique
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""

_TABLES = """
SELECT c.relname FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
"""


async def problems(conn: AsyncConnection) -> list[str]:
    """Everything in the connected schema that would stop it distributing as distribution.py says."""
    tables = set((await conn.execute(text(_TABLES))).scalars())
    found = [
        f"table {t}: not placed in services/registry/distribution.py"
        for t in sorted(tables)
        if distribution.classification(t) is None
    ]
    keys = [
        Key(r[0], r[1], r[2], tuple(r[3]), r[4], tuple(r[5])) for r in (await conn.execute(text(_KEYS))).all()
    ]
    for key in keys:
        place = distribution.classification(key.table)
        column = distribution.DISTRIBUTED.get(key.table)
        if key.kind == "f":
            parent_place = distribution.classification(key.parent or "")
            if place == "distributed" and parent_place == "distributed":
                parent_column = distribution.DISTRIBUTED[key.parent or ""]
                pairs = dict(zip(key.columns, key.parent_columns, strict=True))
                if pairs.get(column or "") != parent_column:
                    found.append(f"{key.table}.{key.name}: foreign key to {key.parent} without {column}")
            elif place == "distributed" and parent_place != "reference":
                found.append(
                    f"{key.table}.{key.name}: a distributed table may refer to a reference table only"
                )
            elif place == "reference" and parent_place != "reference":
                found.append(f"{key.table}.{key.name}: a reference table may refer to reference tables only")
            elif place == "local" and parent_place == "distributed":
                found.append(f"{key.table}.{key.name}: a local table cannot refer to a distributed one")
        elif place == "distributed" and column not in key.columns:
            what = {"p": "primary key", "u": "unique constraint", "i": "unique index"}[key.kind]
            found.append(f"{key.table}.{key.name}: {what} {key.columns} without {column}")
    anchor_type = await _column_type(conn, distribution.COLOCATE_WITH, "uscc")
    for table, column in distribution.DISTRIBUTED.items():
        if table not in tables:
            continue
        kind, nullable = await _column_type(conn, table, column)
        if (kind, nullable) != anchor_type:
            found.append(f"{table}.{column}: {kind} (nullable: {nullable}); colocation needs {anchor_type}")
    return found


async def _column_type(conn: AsyncConnection, table: str, column: str) -> tuple[str, bool]:
    row = (
        await conn.execute(
            text(
                "SELECT format_type(atttypid, atttypmod), NOT attnotnull FROM pg_attribute "
                "WHERE attrelid = CAST(:t AS regclass) AND attname = :c"
            ),
            {"t": table, "c": column},
        )
    ).one()
    return str(row[0]), bool(row[1])


async def _problems(url: str, extra_sql: str | None = None) -> list[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            transaction = await conn.begin()
            try:
                if extra_sql:
                    await conn.execute(text(extra_sql))
                return await problems(conn)
            finally:
                await transaction.rollback()
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", POSTGRES_BACKENDS, indirect=True)
def test_every_table_is_placed_and_every_key_includes_the_distribution_column(backend: Backend) -> None:
    assert asyncio.run(_problems(backend.registry_url)) == []


@pytest.mark.parametrize("backend", POSTGRES_BACKENDS, indirect=True)
def test_a_new_table_nobody_placed_fails(backend: Backend) -> None:
    found = asyncio.run(
        _problems(
            backend.registry_url,
            "CREATE TABLE report_probe (id uuid PRIMARY KEY, uscc varchar(18) REFERENCES enterprise (uscc))",
        )
    )
    assert found == ["table report_probe: not placed in services/registry/distribution.py"]


@pytest.mark.parametrize("backend", POSTGRES_BACKENDS, indirect=True)
def test_a_key_without_uscc_on_a_distributed_table_fails(backend: Backend) -> None:
    bad_key = "ALTER TABLE list_entry ADD UNIQUE (decision_no)"
    if backend.name == "citus":  # the cluster itself refuses it
        with pytest.raises(DBAPIError, match="cannot create constraint"):
            asyncio.run(_problems(backend.registry_url, bad_key))
        return
    found = asyncio.run(_problems(backend.registry_url, bad_key))
    assert found == ["list_entry.list_entry_decision_no_key: unique constraint ('decision_no',) without uscc"]


def test_every_placed_table_is_a_table_of_the_registry() -> None:
    from services.registry.database import load_models

    names = set(load_models().tables) | {"alembic_version"}
    placed = set(distribution.DISTRIBUTED) | set(distribution.REFERENCE) | set(distribution.LOCAL)
    assert placed == names


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b == "citus"] or ["postgresql"], indirect=True)
def test_the_cluster_places_the_tables_as_classified(backend: Backend) -> None:
    """On Citus: what the migrations distributed is what distribution.py says (plain PG: nothing)."""
    placed = asyncio.run(_placement(backend.registry_url))
    if backend.name != "citus":
        assert placed is None
        return
    expected = {t: ("h", c) for t, c in distribution.DISTRIBUTED.items()}
    expected |= dict.fromkeys(distribution.REFERENCE, ("n", None))
    assert placed == expected


async def _placement(url: str) -> dict[str, tuple[str, str | None]] | None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            if not (
                await conn.execute(text("SELECT count(*) FROM pg_extension WHERE extname = 'citus'"))
            ).scalar():
                return None
            rows = await conn.execute(
                text(
                    "SELECT logicalrelid::regclass::text, partmethod::text, "
                    "CASE WHEN partmethod = 'h' THEN column_to_column_name(logicalrelid, partkey) END "
                    "FROM pg_dist_partition"
                )
            )
            return {r[0]: (r[1], r[2]) for r in rows.all()}
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", POSTGRES_BACKENDS, indirect=True)
def test_qcr_citus_distribute_places_nothing_twice(
    backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    """The migrations placed everything already; the command confirms it (plain PostgreSQL: refused)."""
    from services.cli.citus import _distribute

    status = asyncio.run(_distribute(backend.registry_url, coordinator=None, workers=[]))
    out = capsys.readouterr().out
    if backend.name != "citus":
        assert (status, out.strip()) == (
            1,
            "citus: the registry database has no citus extension; nothing to distribute",
        )
        return
    placed = len(distribution.DISTRIBUTED) + len(distribution.REFERENCE)
    assert status == 0
    assert out.strip() == f"citus: 0 tables distributed by uscc, 0 reference tables, {placed} already placed"
