"""The ceiling: the least a server can do to give the same answers from the same tables.

Starlette + asyncpg, no auth, no logging, no metrics, no validation beyond what the answer needs:
what the hardware and PostgreSQL allow. It answers the same JSON content as the product for the
same request (same fields, list status, grade label, record version and feed position), with the
product's own statements (`reads_pg`; on Citus `reads_citus`' batch and session settings), so the
product / ceiling ratio measures the product's overhead and not a cheaper query; `bench.run` compares the two bodies before measuring
(`same_answers`). Used by bench/run.py only; not part of the product.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.common.pagination import encode_cursor
from services.common.text import search_text
from services.registry.answers import reads_citus
from services.registry.answers.reads_pg import BATCH, CREDIT, FEED_POSITION, active_lists, keep_session
from services.registry.credit.rulebook import load_rule_book
from services.registry.enterprises.divisions import describe
from services.registry.settings import RegistrySettings

DSN = os.environ.get("CEILING_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
RULES = load_rule_book(RegistrySettings.model_fields["rules_file"].default)
SEARCH = (
    "SELECT uscc, name, status, grade FROM enterprise WHERE name LIKE $1 ESCAPE '\\' ORDER BY uscc LIMIT 20"
)
_Z = orjson.OPT_UTC_Z
_horizon = [0, float("-inf")]


def _json(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body, option=_Z), status_code=status, media_type="application/json")


async def _feed_position(conn: asyncpg.Connection) -> int:
    if time.monotonic() - _horizon[1] >= 0.2:
        _horizon[:] = [await conn.fetchval(FEED_POSITION), time.monotonic()]
    return int(_horizon[0])


async def credit(request: Request) -> Response:
    now = datetime.now(UTC)
    async with request.app.state.pool.acquire() as conn:
        horizon = await _feed_position(conn)
        row = await conn.fetchrow(CREDIT, request.path_params["uscc"], now)
    if row is None:
        return _json({"detail": "not found"}, 404)
    grade = RULES.in_force(now).grade_for(row[3])
    return _json(
        {
            "uscc": row[0],
            "name": row[1],
            "status": row[2],
            "score": row[3],
            "grade": row[4],
            "grade_label": {"zh": grade.zh, "en": grade.en},
            "rule_version": row[5],
            "lists": [
                {"list": k, "entry_id": i, "status": s, "since": a, "until": b, "reason": r}
                for k, i, s, a, b, r in active_lists(row[8])
            ],
            "explanation": orjson.Fragment(row[6]),
            "as_of": now,
            "feed_cursor": str(horizon),
            "version": row[7],
        }
    )


_ABSENT = {"reason": None, "name": None, "status": None, "score": None, "grade": None, "rule_version": None}
_NO_MEASURES = {"measures": None}


async def batch(request: Request) -> Response:
    now = datetime.now(UTC)
    codes = orjson.loads(await request.body())["usccs"]
    pool = request.app.state.pool
    if request.app.state.citus:  # the product's batch on Citus: one router statement per shard group
        async with pool.acquire() as conn:
            horizon = await _feed_position(conn)
        rows = {r[0]: r for r in await reads_citus.routed_batch(pool, sorted(set(codes)), now)}
    else:
        async with pool.acquire() as conn:
            horizon = await _feed_position(conn)
            rows = {r[0]: r for r in await conn.fetch(BATCH, sorted(set(codes)), now)}
    items = []
    for code in codes:
        r = rows.get(code)
        if r is None:
            items.append({"uscc": code, "result": "not_found", **_ABSENT, "lists": [], **_NO_MEASURES})
        else:
            items.append(
                {
                    "uscc": code,
                    "result": "found",
                    "reason": None,
                    "name": r[1],
                    "status": r[2],
                    "score": r[3],
                    "grade": r[4],
                    "rule_version": r[5],
                    "lists": r[6],
                    "measures": None,
                }
            )
    return _json({"items": items, "as_of": now, "feed_cursor": str(horizon)})


def _public(row: asyncpg.Record) -> dict[str, object]:
    facts = describe(row[0])
    return {
        "uscc": row[0],
        "name": row[1],
        "region": {"division": facts.division, "province": facts.province},
        "entity_type": {
            "registration_authority": facts.registration_authority,
            "registration_authority_label": facts.authority_label,
            "code": facts.entity_type,
            "label": facts.entity_type_label,
        },
        "status": row[2],
        "grade": row[3],
    }


async def search(request: Request) -> Response:
    q = search_text(request.query_params.get("q", ""))
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    async with request.app.state.pool.acquire() as conn:
        rows = await conn.fetch(SEARCH, pattern)
    return _json(
        {
            "items": [_public(r) for r in rows],
            "next_cursor": encode_cursor(rows[-1][0]) if len(rows) == 20 else None,
        }
    )


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    size = int(os.environ.get("POOL", "8"))
    probe = await asyncpg.connect(DSN)
    try:
        app.state.citus = await reads_citus.is_distributed(probe)
    finally:
        await probe.close()
    session = {"timezone": "UTC", **(reads_citus.SESSION if app.state.citus else {})}  # the product's
    app.state.pool = await asyncpg.create_pool(
        DSN, min_size=size, max_size=size, reset=keep_session, server_settings=session
    )
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
