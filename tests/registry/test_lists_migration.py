"""The Order 44 revision migrates a populated registry: entries and repair applications keep their meaning."""

from __future__ import annotations

import asyncio
import importlib.util
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from services.common import migrate
from services.common.db import UTCDateTime
from tests.support import Backend, code, drop_database, fresh_database_url

REVISION = next(
    (Path(__file__).resolve().parents[2] / "migrations" / "registry" / "versions").glob("*_b7c41e9d2a60.py")
)
LISTED_AT = datetime(2025, 11, 3, 2, 0, tzinfo=UTC)
FILED_AT = datetime(2026, 11, 4, 2, 0, tzinfo=UTC)


def _down_revision() -> str:
    spec = importlib.util.spec_from_file_location("order44_revision", REVISION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.down_revision)


def _table(table_name: str, /, **columns: Any) -> sa.TableClause:
    return sa.table(table_name, *(sa.column(k, v) for k, v in columns.items()))


async def _seed(url: str, entry_id: uuid.UUID, application_id: uuid.UUID) -> None:
    engine = create_async_engine(url)
    t = UTCDateTime()
    try:
        async with engine.begin() as conn:
            await conn.execute(
                _table(
                    "enterprise",
                    uscc=sa.String,
                    name=sa.String,
                    division=sa.String,
                    registration_authority=sa.String,
                    entity_type=sa.String,
                    status=sa.String,
                    score=sa.Integer,
                    grade=sa.String,
                    rule_version=sa.String,
                    explanation=sa.JSON,
                    graded_at=t,
                    created_at=t,
                    created_by=sa.String,
                    updated_at=t,
                ).insert(),
                [
                    {
                        "uscc": code(1),
                        "name": "迁移测试企业",
                        "division": "450100",
                        "registration_authority": "9",
                        "entity_type": "1",
                        "status": "active",
                        "score": 100,
                        "grade": "A",
                        "rule_version": "2026.1",
                        "explanation": [],
                        "graded_at": LISTED_AT,
                        "created_at": LISTED_AT,
                        "created_by": "regulator:test",
                        "updated_at": LISTED_AT,
                    }
                ],
            )
            await conn.execute(
                _table(
                    "list_entry",
                    id=sa.Uuid,
                    uscc=sa.String,
                    kind=sa.String,
                    status=sa.String,
                    reason=sa.Text,
                    legal_basis=sa.String,
                    decision_no=sa.String,
                    decided_at=t,
                    proposed_at=t,
                    proposed_by=sa.String,
                    defence_due_provisional=sa.Boolean,
                    listed_at=t,
                    expires_at=t,
                    updated_at=t,
                ).insert(),
                [
                    {
                        "id": entry_id,
                        "uscc": code(1),
                        "kind": "black",
                        "status": "listed",
                        "reason": "情节严重",
                        "legal_basis": "第二条",
                        "decision_no": "罚〔2025〕1号",
                        "decided_at": LISTED_AT,
                        "proposed_at": LISTED_AT,
                        "proposed_by": "regulator:test",
                        "defence_due_provisional": False,
                        "listed_at": LISTED_AT,
                        "expires_at": datetime(2028, 11, 3, 2, 0, tzinfo=UTC),
                        "updated_at": LISTED_AT,
                    }
                ],
            )
            await conn.execute(
                _table(
                    "repair_application",
                    id=sa.Uuid,
                    entry_id=sa.Uuid,
                    uscc=sa.String,
                    status=sa.String,
                    evidence=sa.Text,
                    declarations=sa.JSON,
                    filed_at=t,
                    filed_by=sa.String,
                    decision_due_at=t,
                    decision_due_provisional=sa.Boolean,
                ).insert(),
                [
                    {
                        "id": application_id,
                        "entry_id": entry_id,
                        "uscc": code(1),
                        "status": "pending",
                        "evidence": "已整改",
                        "declarations": {},
                        "filed_at": FILED_AT,
                        "filed_by": f"enterprise:{code(1)}",
                        "decision_due_at": datetime(2026, 11, 25, 15, 59, 59, tzinfo=UTC),
                        "decision_due_provisional": False,
                    }
                ],
            )
    finally:
        await engine.dispose()


async def _read(url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            t = UTCDateTime()
            entry = (
                await conn.execute(
                    sa.select(
                        sa.column("status"),
                        sa.column("listing_decided_at", t),
                        sa.column("publication_due_at", t),
                        sa.column("publication_due_provisional"),
                    ).select_from(sa.table("list_entry"))
                )
            ).one()
            repair = (
                await conn.execute(
                    sa.select(
                        sa.column("status"),
                        sa.column("accepted_at", t),
                        sa.column("accepted_by"),
                        sa.column("acceptance_due_at", t),
                        sa.column("decision_due_at", t),
                    ).select_from(sa.table("repair_application"))
                )
            ).one()
            return dict(entry._mapping), dict(repair._mapping)
    finally:
        await engine.dispose()


def test_a_pending_repair_filed_2026_11_04_becomes_accepted_on_filing_and_listed_entries_were_published(
    backend: Backend, tmp_path: Path
) -> None:
    url, pg_name = fresh_database_url(backend.name, tmp_path, "order44_migration")
    try:
        migrate.upgrade("registry", url, _down_revision())
        asyncio.run(_seed(url, uuid.uuid4(), uuid.uuid4()))
        migrate.upgrade("registry", url, "b7c41e9d2a60")
        entry, repair = asyncio.run(_read(url))
        assert entry["status"] == "listed"
        assert entry["listing_decided_at"] == LISTED_AT and entry["publication_due_at"] == LISTED_AT
        assert not entry["publication_due_provisional"]
        # Under the old rule filing was acceptance: the decision deadline it had stands.
        assert (repair["status"], repair["accepted_by"]) == ("accepted", "system:accepted-on-filing")
        assert repair["accepted_at"] == FILED_AT and repair["acceptance_due_at"] == FILED_AT
        assert repair["decision_due_at"] == datetime(2026, 11, 25, 15, 59, 59, tzinfo=UTC)

        migrate.downgrade("registry", url, _down_revision())
        migrate.upgrade("registry", url, "b7c41e9d2a60")
        assert asyncio.run(_read(url))[1]["status"] == "accepted"
    finally:
        if pg_name:
            drop_database(backend.name, pg_name)
