"""The rewards revision migrates a populated complaints database: existing cases stay, both ways."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.common import migrate
from tests.support import Backend, drop_pg_database, fresh_database_url

BEFORE = "bfdb76d31c30"
AT = datetime(2026, 11, 1, tzinfo=UTC)


async def _insert_case(url: str, case_id: uuid.UUID) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO complaint (id, tracking_code, kind, channel, category, description, status,"
                    " anonymous, received_at, accept_due_at, extended, updated_at)"
                    " VALUES (:id, 'AAAA-BBBB-CCCC-DDDD', 'report', '12315', '食品安全', '旧举报',"
                    " 'received', false, :at, :at, false, :at)"
                ),
                {"id": case_id if conn.dialect.name == "postgresql" else case_id.hex, "at": AT},
            )
    finally:
        await engine.dispose()


async def _counts(url: str) -> tuple[int, int]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            cases = (await conn.execute(text("SELECT count(*) FROM complaint"))).scalar_one()
            rewards = (await conn.execute(text("SELECT count(*) FROM reward"))).scalar_one()
            return int(cases), int(rewards)
    finally:
        await engine.dispose()


def test_rewards_revision_keeps_existing_cases(backend: Backend, tmp_path: Path) -> None:
    url, pg_name = fresh_database_url(backend.name, tmp_path, "reward_migration")
    try:
        migrate.upgrade("complaints", url, BEFORE)
        asyncio.run(_insert_case(url, uuid.uuid4()))
        migrate.upgrade("complaints", url)
        assert asyncio.run(_counts(url)) == (1, 0)
        migrate.downgrade("complaints", url, BEFORE)
        migrate.upgrade("complaints", url)
        assert asyncio.run(_counts(url)) == (1, 0)
    finally:
        if pg_name:
            drop_pg_database(pg_name)
