"""The access-log revision migrates a populated registry: every code ever logged stays findable."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from services.common import migrate
from services.common.db import UTCDateTime
from services.common.roles import Role
from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from tests.support import Backend, Tokens, code, drop_pg_database, fresh_database_url, running

BEFORE, REVISION = "e21a7c3b9d40", "e5a7c3b91f24"
AT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
CODES = [code(n) for n in range(1, 61)]  # more than the 50 the old row kept in its JSON column


async def _seed(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            log = sa.table(
                "access_log",
                *(
                    sa.column(c, t)
                    for c, t in [
                        ("id", sa.Integer),
                        ("at", UTCDateTime()),
                        ("partner", sa.String),
                        ("lookup", sa.String),
                        ("purpose", sa.String),
                        ("usccs", sa.JSON),
                        ("code_count", sa.Integer),
                    ]
                ),
            )
            await conn.execute(
                log.insert(),
                [
                    {
                        "id": 1,
                        "at": AT,
                        "partner": "bank",
                        "lookup": "batch",
                        "purpose": "贷款审查",
                        "usccs": CODES[:50],
                        "code_count": 60,
                    },
                    {
                        "id": 2,
                        "at": AT,
                        "partner": "bureau",
                        "lookup": "single",
                        "purpose": "p",
                        "usccs": [CODES[59]],
                        "code_count": 1,
                    },
                ],
            )
            pairs = sa.table(
                "access_log_code", sa.column("access_id", sa.Integer), sa.column("uscc", sa.String)
            )
            await conn.execute(
                pairs.insert(),
                [{"access_id": 1, "uscc": c} for c in CODES] + [{"access_id": 2, "uscc": CODES[59]}],
            )
    finally:
        await engine.dispose()


async def _who_looked(settings: RegistrySettings, tokens: Tokens, uscc: str) -> list[dict[str, object]]:
    async with running(create_app(settings)) as client:
        answer = await client.get("/v1/access-log", params={"uscc": uscc}, headers=tokens(Role.regulator))
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]


def test_codes_past_the_first_fifty_are_still_found_after_the_migration(
    backend: Backend, tmp_path: Path, tokens: Tokens, keys_dir: Path
) -> None:
    url, pg_name = fresh_database_url(backend.name, tmp_path, "access_log_migration")
    try:
        migrate.upgrade("registry", url, BEFORE)
        asyncio.run(_seed(url))
        migrate.upgrade("registry", url, REVISION)
        settings = RegistrySettings(
            environment="test",
            data_dir=keys_dir,
            database_url=url,
            webhooks_enabled=False,
            sweep_interval_seconds=0,
        )
        late = asyncio.run(_who_looked(settings, tokens, CODES[59]))  # the 60th code of lookup 1
        assert [(i["id"], i["partner"]) for i in late] == [(2, "bureau"), (1, "bank")]
        assert late[1]["code_count"] == 60 and late[1]["usccs"] == sorted(CODES)[:50]
        assert [i["id"] for i in asyncio.run(_who_looked(settings, tokens, CODES[0]))] == [1]

        migrate.downgrade("registry", url, BEFORE)
        migrate.upgrade("registry", url, REVISION)
        assert [i["id"] for i in asyncio.run(_who_looked(settings, tokens, CODES[59]))] == [2, 1]
    finally:
        if pg_name:
            drop_pg_database(pg_name)
