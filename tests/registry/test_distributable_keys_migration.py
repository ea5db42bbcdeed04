"""The distributable-keys revision migrates a populated registry: every row is still there and still
joined to its parent, now by (uscc, id); the feed's horizon starts where the feed was."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from services.common import migrate
from services.common.db import UTCDateTime
from services.registry.credit.models import CreditEvent
from services.registry.ledger.models import AuditEntry, Change, FeedHorizon
from services.registry.lists.models import ListEntry, ListTransition, RepairApplication
from services.registry.standards.models import StandardDeclaration, StandardFlag, StandardVersion
from tests.support import Backend, code, drop_database, fresh_database_url

BEFORE = "e5a7c3b91f24"  # the revision before distributable keys
AT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
CODES = [code(n) for n in range(1, 4)]


def _filler(column: dict[str, Any]) -> Any:
    """A value for a NOT NULL column the test does not care about."""
    kind = column["type"]
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 1
    if isinstance(kind, sa.DateTime):
        return AT
    if isinstance(kind, sa.Date):
        return date(2026, 11, 20)
    if isinstance(kind, sa.JSON):
        return {}
    if isinstance(kind, sa.LargeBinary):
        return b""
    if isinstance(kind, sa.Uuid) or column["name"].endswith("id"):
        return uuid.uuid4()
    length = getattr(kind, "length", None) or 8
    return "x" * min(length, 8)


async def _insert(conn: AsyncConnection, table: str, **values: Any) -> None:
    columns = await conn.run_sync(lambda sync: sa.inspect(sync).get_columns(table))
    row = {
        c["name"]: _filler(c)
        for c in columns
        if not c["nullable"]
        and c.get("default") is None
        and not (c["name"] in ("id", "seq") and isinstance(c["type"], sa.Integer))  # autoincremented
    }
    row |= values
    types = {c["name"]: (UTCDateTime() if isinstance(c["type"], sa.DateTime) else c["type"]) for c in columns}
    types |= {k: sa.Uuid() for k, v in row.items() if isinstance(v, uuid.UUID)}  # CHAR(32) on SQLite
    clause = sa.table(table, *(sa.column(k, types[k]) for k in row))
    await conn.execute(clause.insert().values(**row))


async def _seed(url: str) -> dict[str, uuid.UUID]:
    ids: dict[str, uuid.UUID] = {}
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for n, uscc in enumerate(CODES, start=1):
                await _insert(conn, "enterprise", uscc=uscc, name=f"企业{n}", grade="A", version=1)
                event, entry, declaration = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
                ids[uscc] = entry
                await _insert(
                    conn,
                    "credit_event",
                    id=event,
                    uscc=uscc,
                    issuer=f"iss|{n}",
                    source_ref=f"罚字{n}",
                    kind="k",
                )
                await _insert(conn, "list_entry", id=entry, uscc=uscc, kind="black", decision_no=f"D{n}")
                await _insert(conn, "list_transition", entry_id=entry, uscc=uscc, action="propose")
                await _insert(conn, "repair_application", id=uuid.uuid4(), entry_id=entry, uscc=uscc)
                await _insert(
                    conn,
                    "standard_declaration",
                    id=declaration,
                    uscc=uscc,
                    division="450100",
                    current_version=1,
                )
                await _insert(
                    conn,
                    "standard_version",
                    declaration_id=declaration,
                    uscc=uscc,
                    version=1,
                    search_text=f"q/t {n}",
                    products=["乳"],
                    indicators=[],
                )
                await _insert(
                    conn,
                    "standard_flag",
                    id=uuid.uuid4(),
                    declaration_id=declaration,
                    uscc=uscc,
                    number=1,
                    credit_event_id=event,
                    indicators=[],
                )
                await _insert(conn, "change", uscc=uscc, kind="grade_changed", position=n)
                await _insert(conn, "audit_entry", chain=uscc, uscc=uscc, version=1, position=n)
    finally:
        await engine.dispose()
    return ids


async def _read(url: str) -> dict[str, Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:

            async def count(statement: Any) -> int:
                return int(
                    (await conn.execute(select(func.count()).select_from(statement.subquery()))).scalar_one()
                )

            return {
                "transitions": await count(
                    select(ListTransition.id).join(
                        ListEntry,
                        and_(ListEntry.uscc == ListTransition.uscc, ListEntry.id == ListTransition.entry_id),
                    )
                ),
                "repairs": await count(
                    select(RepairApplication.id).join(
                        ListEntry,
                        and_(
                            ListEntry.uscc == RepairApplication.uscc,
                            ListEntry.id == RepairApplication.entry_id,
                        ),
                    )
                ),
                "versions": await count(
                    select(StandardVersion.id).join(
                        StandardDeclaration,
                        and_(
                            StandardDeclaration.uscc == StandardVersion.uscc,
                            StandardDeclaration.id == StandardVersion.declaration_id,
                        ),
                    )
                ),
                "flags_with_event": await count(
                    select(StandardFlag.id).join(
                        CreditEvent,
                        and_(
                            CreditEvent.uscc == StandardFlag.uscc,
                            CreditEvent.id == StandardFlag.credit_event_id,
                        ),
                    )
                ),
                "entries": {
                    (u, i) for u, i in (await conn.execute(select(ListEntry.uscc, ListEntry.id))).all()
                },
                "changes": sorted((await conn.execute(select(Change.position))).scalars()),
                "audit": sorted((await conn.execute(select(AuditEntry.position))).scalars()),
                "horizon": dict((await conn.execute(select(FeedHorizon.log, FeedHorizon.position))).all()),
            }
    finally:
        await engine.dispose()


def test_a_populated_registry_keeps_every_row_and_link_under_the_new_keys(
    backend: Backend, tmp_path: Path
) -> None:
    url, db_name = fresh_database_url(backend.name, tmp_path, "keys_migration")
    try:
        migrate.upgrade("registry", url, BEFORE)
        entries = asyncio.run(_seed(url))
        migrate.upgrade("registry", url)
        found = asyncio.run(_read(url))
        assert found["transitions"] == found["repairs"] == found["versions"] == len(CODES)
        assert found["flags_with_event"] == len(CODES)
        assert found["entries"] == {(u, i) for u, i in entries.items()}
        assert found["changes"] == found["audit"] == [1, 2, 3]
        assert found["horizon"] == {"change": 3, "audit": 3}  # partners' cursors stay valid
    finally:
        if db_name:
            drop_database(backend.name, db_name)
