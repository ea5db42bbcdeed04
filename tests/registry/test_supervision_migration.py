"""The supervision revision migrates a populated database: recorded standards draws keep their seed."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.common import migrate
from tests.support import Backend, drop_database, fresh_database_url

BEFORE = "7c1b9e4d2f60"  # the head before classified supervision
REVISION = "2c219891085d"


async def _run(url: str, sql: str, **params: object) -> list[tuple]:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(sql), params)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        await engine.dispose()


def test_recorded_standards_draws_become_drawn_commitments(backend: Backend, tmp_path: Path) -> None:
    url, pg_name = fresh_database_url(backend.name, tmp_path, "populated")
    sample_id = uuid.uuid4()
    stored_id = sample_id.hex if backend.name == "sqlite" else sample_id
    try:
        migrate.upgrade("registry", url, BEFORE)
        asyncio.run(
            _run(
                url,
                "INSERT INTO standard_sample (id, method, seed, size, filters, cooldown_days,"
                " candidate_count, candidates_sha256, candidates, chosen, note, drawn_at, drawn_by)"
                " VALUES (:id, 'sha256-rank', 'lottery-1', 1, '{}', 365, 0, :digest, '[]', '[]', NULL,"
                " :at, 'regulator:x')",
                id=stored_id,
                digest="0" * 64,
                at=datetime(2026, 11, 1)
                if backend.name == "sqlite"
                else datetime.fromisoformat("2026-11-01T00:00:00+00:00"),
            )
        )
        migrate.upgrade("registry", url, REVISION)
        rows = asyncio.run(_run(url, "SELECT status, seed_sha256, committed_by FROM standard_sample"))
        assert rows == [("drawn", hashlib.sha256(b"lottery-1").hexdigest(), "regulator:x")]
        migrate.downgrade("registry", url, BEFORE)
        assert asyncio.run(_run(url, "SELECT seed, drawn_by FROM standard_sample")) == [
            ("lottery-1", "regulator:x")
        ]
    finally:
        if pg_name:
            drop_database(backend.name, pg_name)
