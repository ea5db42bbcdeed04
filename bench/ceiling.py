"""The ceiling: the least a server can do to answer the same lookups from the same tables.

Starlette + asyncpg, no ORM, no validation, no auth: what the hardware and PostgreSQL allow.
Used by bench/run.py only; not part of the product.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DSN = os.environ.get("CEILING_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
CREDIT = "SELECT uscc, name, score, grade, rule_version, explanation FROM enterprise WHERE uscc = $1"
BATCH = "SELECT uscc, name, status, score, grade, rule_version FROM enterprise WHERE uscc = ANY($1::text[])"
SEARCH = "SELECT uscc, name, grade FROM enterprise WHERE name LIKE $1 ORDER BY uscc LIMIT 20"


def _json(body: object, status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, default=str), status_code=status, media_type="application/json"
    )


async def credit(request: Request) -> Response:
    async with request.app.state.pool.acquire() as conn:
        row = await conn.fetchrow(CREDIT, request.path_params["uscc"])
    if row is None:
        return _json({"detail": "not found"}, 404)
    return _json(
        {
            **dict(row),
            "explanation": json.loads(row["explanation"]),
            "lists": [],
            "as_of": datetime.now(UTC).isoformat(),
        }
    )


async def batch(request: Request) -> Response:
    codes = (json.loads(await request.body()))["usccs"]
    async with request.app.state.pool.acquire() as conn:
        rows = {r["uscc"]: dict(r) for r in await conn.fetch(BATCH, codes)}
    return _json({"items": [rows.get(c, {"uscc": c, "result": "not_found"}) for c in codes]})


async def search(request: Request) -> Response:
    async with request.app.state.pool.acquire() as conn:
        rows = await conn.fetch(SEARCH, f"%{request.query_params.get('q', '')}%")
    return _json({"items": [dict(r) for r in rows]})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(DSN, min_size=4, max_size=int(os.environ.get("POOL", "10")))
    yield
    await app.state.pool.close()


app = Starlette(
    lifespan=lifespan,
    routes=[
        Route("/v1/enterprises/{uscc}/credit", credit),
        Route("/v1/credit-status:batch", batch, methods=["POST"]),
        Route("/v1/enterprises", search),
    ],
)
