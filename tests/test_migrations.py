"""Migrations round-trip on both databases, and models never drift from them."""

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from services.common import migrate
from services.complaints.database import load_models as complaints_models
from services.registry.database import load_models as registry_models
from tests.support import Backend, drop_pg_database, fresh_database_url

MODELS = {"registry": registry_models, "complaints": complaints_models}


@pytest.mark.parametrize("service", ["registry", "complaints"])
def test_upgrade_downgrade_upgrade(service: str, backend: Backend, tmp_path: Path) -> None:
    url, pg_name = fresh_database_url(backend.name, tmp_path, f"roundtrip_{service}")
    try:
        migrate.upgrade(service, url)
        tables_at_head = asyncio.run(_tables(url))
        migrate.downgrade(service, url, "base")
        assert asyncio.run(_tables(url)) <= {"alembic_version"}
        migrate.upgrade(service, url)
        assert asyncio.run(_tables(url)) == tables_at_head
        assert set(MODELS[service]().tables) <= tables_at_head
    finally:
        if pg_name:
            drop_pg_database(pg_name)


@pytest.mark.parametrize("service", ["registry", "complaints"])
def test_models_match_migrations(service: str, backend: Backend) -> None:
    asyncio.run(_assert_no_drift(service, backend))


async def _assert_no_drift(service: str, backend: Backend) -> None:
    url = backend.registry_url if service == "registry" else backend.complaints_url
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync, opts={"compare_type": True, "include_name": migrate.include_name}
                    ),
                    MODELS[service](),
                )
            )
    finally:
        await engine.dispose()
    assert diff == [], f"models and migrations drift; add a revision: {diff}"


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()
