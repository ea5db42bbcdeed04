"""Test helpers: databases per backend, apps on them, tokens."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from fastapi import FastAPI
from sqlalchemy import MetaData, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.cli.tokens import mint
from services.common import migrate
from services.common.roles import Role
from services.registry import citus_nodes

PG_ADMIN_DSN = os.environ.get("QCR_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
# A Citus coordinator with its workers registered (in its `postgres` database); unset: not tested.
CITUS_DSN = os.environ.get("QCR_TEST_CITUS_DSN", "")


@dataclass(frozen=True)
class Backend:
    name: str
    registry_url: str
    complaints_url: str


def pg_url(database: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


async def _pg_admin(sql: str) -> None:
    try:
        connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        raise RuntimeError(
            f"PostgreSQL is required for the test suite and is unreachable at {PG_ADMIN_DSN}: {exc}"
        ) from exc
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def create_pg_database(label: str) -> str:
    name = f"qcr_test_{label}_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    return name


def drop_pg_database(name: str) -> None:
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def fresh_database_url(backend_name: str, tmp: Path, label: str) -> tuple[str, str | None]:
    """A new empty database; returns (url, pg database name to drop later or None)."""
    if backend_name == "sqlite":
        return f"sqlite+aiosqlite:///{tmp / (label + '-' + uuid.uuid4().hex[:6] + '.db')}", None
    if backend_name == "citus":
        name = asyncio.run(_create_citus_database(label))
        return citus_url(name), name
    name = create_pg_database(label)
    return pg_url(name), name


def drop_database(backend_name: str, name: str) -> None:
    if backend_name == "citus":
        asyncio.run(_drop_citus_database(name))
    else:
        drop_pg_database(name)


def citus_url(database: str) -> str:
    base = CITUS_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


async def _create_citus_database(label: str) -> str:
    """A new database on the coordinator and on every worker, with the workers registered in it."""
    name = f"qcr_test_{label}_{uuid.uuid4().hex[:10]}"
    # Few shards: the tests hold a handful of rows, and every wipe touches every shard.
    await citus_nodes.create_database(CITUS_DSN, name, shard_count=4)
    return name


async def _drop_citus_database(name: str) -> None:
    await citus_nodes.drop_database(CITUS_DSN, name)


def migrated(service: str, url: str) -> str:
    migrate.upgrade(service, url)
    return url


async def wipe(engine: AsyncEngine, metadata: MetaData) -> None:
    # A background step of the app still finishing (a feed sequencer pass) can meet the TRUNCATE in a
    # deadlock; PostgreSQL then aborts one of the two, and the wipe simply runs again.
    for attempt in range(5):
        try:
            await _wipe_once(engine, metadata)
            return
        except DBAPIError as exc:
            if "deadlock detected" not in str(exc) or attempt == 4:
                raise
            await asyncio.sleep(0.2)


async def _wipe_once(engine: AsyncEngine, metadata: MetaData) -> None:
    async with engine.begin() as conn:
        tables = list(reversed(metadata.sorted_tables))
        citus = conn.dialect.name == "postgresql" and bool(
            (await conn.execute(text("SELECT count(*) FROM pg_extension WHERE extname = 'citus'"))).scalar()
        )
        if citus:  # TRUNCATE locks and commits on every shard; deleting a test's few rows is quicker
            # (one connection per worker, so reference tables may be written after the shards)
            await conn.execute(text("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'"))
            for table in tables:
                await conn.execute(table.delete())
        elif conn.dialect.name == "postgresql":
            if tables:
                names = ", ".join(f'"{t.name}"' for t in tables)
                await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await conn.execute(table.delete())


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


class Tokens:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir

    def __call__(
        self,
        role: Role | str,
        uscc: str | None = None,
        subject: str | None = None,
        ttl: int = 600,
        audience: str | None = None,
    ) -> dict[str, str]:
        token = mint(self.data_dir, Role(role), uscc=uscc, subject=subject, ttl=ttl, audience=audience)
        headers = {"Authorization": f"Bearer {token}"}
        if Role(role) is Role.partner:
            headers["X-Purpose"] = "procurement%20TEST-2026-001"  # partners must say why (percent-encoded)
        return headers


def code(n: int, division: str = "450100") -> str:
    """A valid code (both check characters right) for test enterprise number n."""
    from services.common.uscc import with_check_characters

    return with_check_characters(f"91{division}{n:08d}")


async def register(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    uscc: str,
    name: str = "测试企业有限公司",
    **extra: object,
) -> httpx.Response:
    response = await client.post(
        "/v1/enterprises", json={"uscc": uscc, "name": name, **extra}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response


def event_body(
    source_ref: str = "罚字〔2026〕1号",
    kind: str = "spot_check_failed",
    severity: str = "severe",
    **extra: object,
) -> dict[str, object]:
    return {
        "kind": kind,
        "severity": severity,
        "authority": "南宁市市场监督管理局",
        "source_ref": source_ref,
        "occurred_at": "2026-11-01T00:00:00Z",
        **extra,
    }


def complaint_body(**over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "kind": "complaint",
        "channel": "12315",
        "target_uscc": code(1),
        "category": "food_safety",
        "product": "鲜牛奶",
        "description": "购买的鲜牛奶在保质期内变质，商家拒绝退换。",
        "reporter": {"name": "王小明", "phone": "13800138000", "email": "wxm@example.cn"},
    }
    body.update(over)
    return body


async def move(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    complaint_id: str,
    *actions: str,
    severity: str = "major",
) -> httpx.Response:
    response = None
    for action in actions:
        body: dict[str, object] = {"action": action, "note": f"内部备注：{action}"}
        if action == "substantiate":
            body["finding"] = {"severity": severity}
        response = await client.post(f"/v1/complaints/{complaint_id}/transitions", json=body, headers=headers)
        assert response.status_code == 200, response.text
    assert response is not None
    return response
