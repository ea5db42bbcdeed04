"""Run one service's Alembic environment programmatically, and the shared env.py body."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(service: str, url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"), ini_section=service)
    config.set_main_option("script_location", str(ROOT / "migrations" / service))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(service: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service, url), revision)


def downgrade(service: str, url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(service, url), revision)


# Objects a migration creates by hand for one dialect, which models cannot describe: full-text
# indexes (SQLite FTS5 tables "*_fts" with their shadow tables "*_fts_*", PostgreSQL trigram indexes
# "*_trgm"). Autogenerate and the drift check leave them alone.
_HAND_MADE = re.compile(r"_fts(_[a-z]+)?$|_trgm$")


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    return not (type_ in ("table", "index") and name is not None and _HAND_MADE.search(name))


def _configure(connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        include_name=include_name,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str, metadata: MetaData) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_configure, metadata)
    await engine.dispose()


def run_env(metadata: MetaData, default_url: Any) -> None:
    """Body of each env.py: online migrations over an async engine (or a given connection)."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection, metadata)
        return
    url = config.get_main_option("sqlalchemy.url") or default_url()
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_async(url, metadata))
