"""The revision that turns free-text categories into codes, on a populated database."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.common import migrate
from tests.support import Backend, drop_pg_database, fresh_database_url

REVISION = "466bffb8cac9"
COLUMNS, ORDER = "category, finding_category", "ORDER BY tracking_code"
AT = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
# (category as filed, finding category, code expected, finding code expected)
CASES = [
    ("食品安全", None, "food_safety", None),
    (" Food  Safety ", None, "food_safety", None),
    ("计量", "虚假宣传，夸大功效", "measurement", "other"),
    ("bench-7", "广告宣传", "other", "advertising"),
    ("other", None, "other", None),
]


def _before() -> str:
    script = ScriptDirectory.from_config(migrate.alembic_config("complaints", "sqlite://"))
    down = script.get_revision(REVISION).down_revision
    assert isinstance(down, str)
    return down


async def _sql(url: str, statements: list[tuple[str, dict[str, Any]]]) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for sql, params in statements:
                await conn.execute(text(sql), params)
    finally:
        await engine.dispose()


async def _rows(url: str, sql: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql))).all())
    finally:
        await engine.dispose()


def _seed(url: str) -> list[str]:
    ids, statements = [], []
    for n, (category, finding, _, _) in enumerate(CASES):
        case_id = uuid.UUID(int=n + 1)
        ids.append(str(case_id))
        statements.append(
            (
                "INSERT INTO complaint (id, tracking_code, kind, channel, category, description, status,"
                " anonymous, received_at, accept_due_at, extended, finding_severity, finding_category,"
                " updated_at, rule_set, decision_period_from) VALUES (:id, :code, 'report', '12315',"
                " :category, '描述五个字', :status, :anonymous, :at, :at, :extended, :severity,"
                " :finding, :at, 'order121', :at)",
                {
                    "id": case_id.hex if url.startswith("sqlite") else case_id,
                    "code": f"AAAA-BBBB-CCCC-{n:04d}",
                    "category": category,
                    "status": "substantiated" if finding else "received",
                    "anonymous": True,
                    "extended": False,
                    "severity": "minor" if finding else None,
                    "finding": finding,
                    "at": AT,
                },
            )
        )
    for n, status in ((2, "pending"), (3, "sent")):
        case_id = uuid.UUID(int=n + 1)
        summary = f"report: {CASES[n][1]}"
        statements.append(
            (
                "INSERT INTO outbox_message (complaint_id, uscc, payload, status, attempts, next_attempt_at,"
                " created_at) VALUES (:cid, '91450100000000019X', :payload, :status, 0, :at, :at)",
                {
                    "cid": case_id.hex if url.startswith("sqlite") else case_id,
                    "payload": json.dumps({"kind": "complaint_substantiated", "summary": summary}),
                    "status": status,
                    "at": AT,
                },
            )
        )
    asyncio.run(_sql(url, statements))
    return ids


def _summaries(url: str) -> dict[str, str]:
    rows = asyncio.run(_rows(url, "SELECT status, payload FROM outbox_message"))
    return {
        status: (json.loads(payload) if isinstance(payload, str) else payload)["summary"]
        for status, payload in rows
    }


def test_free_text_categories_become_codes_and_come_back_on_downgrade(
    backend: Backend, tmp_path: Path
) -> None:
    url, pg_name = fresh_database_url(backend.name, tmp_path, "category_codes")
    try:
        migrate.upgrade("complaints", url, _before())
        _seed(url)
        migrate.upgrade("complaints", url, REVISION)
        rows = asyncio.run(
            _rows(
                url,
                "SELECT category, finding_category, category_as_filed FROM complaint ORDER BY tracking_code",
            )
        )
        assert [(r[0], r[1]) for r in rows] == [(c[2], c[3]) for c in CASES]
        # The text a case was filed under stays with the case, for handlers: nothing is lost.
        assert [r[2] for r in rows] == ["食品安全", " Food  Safety ", "计量", "bench-7", None]
        # An undelivered credit event now names the code; a delivered one is history, left alone.
        assert _summaries(url) == {"pending": "report: other", "sent": "report: 广告宣传"}

        migrate.downgrade("complaints", url, _before())
        rows = asyncio.run(
            _rows(url, "SELECT category, finding_category FROM complaint ORDER BY tracking_code")
        )
        # What was filed comes back; a case that held a code gets the code's Chinese label.
        assert [r[0] for r in rows] == ["食品安全", " Food  Safety ", "计量", "bench-7", "其他"]
        assert [r[1] for r in rows] == [None, None, "其他", "广告宣传", None]
        assert _summaries(url)["pending"] == "report: 其他"
    finally:
        if pg_name:
            drop_pg_database(pg_name)
