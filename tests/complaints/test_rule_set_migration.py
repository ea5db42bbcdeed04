"""The rule-set revision on a populated database: each existing case gets the rules of its receipt date."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from services.common import migrate
from services.common.clock import FrozenClock
from services.common.db import UTCDateTime
from services.complaints.app import create_app
from services.complaints.settings import ComplaintsSettings
from tests.support import Backend, drop_pg_database, fresh_database_url, running

BEFORE = "bfdb76d31c30"
OLD_COMPLAINT = sa.table(
    "complaint",
    sa.column("id", sa.Uuid()),
    *(sa.column(n) for n in ("tracking_code", "kind", "channel", "target_name", "category")),
    *(sa.column(n) for n in ("description", "status", "anonymous", "extended")),
    *(
        sa.column(n, UTCDateTime())
        for n in ("received_at", "accept_due_at", "resolve_due_at", "accepted_at", "updated_at")
    ),
)


def _row(received_at: datetime, *, accepted_at: datetime | None = None) -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "tracking_code": uuid.uuid4().hex[:16],
        "kind": "complaint",
        "channel": "12315",
        "target_name": "某超市",
        "category": "食品安全",
        "description": "迁移前的投诉",
        "status": "accepted" if accepted_at else "received",
        "anonymous": False,
        "extended": False,
        "received_at": received_at,
        "accept_due_at": received_at + timedelta(days=9),
        # Computed before this revision: 45 working days for every case, whatever its receipt date.
        "resolve_due_at": accepted_at + timedelta(days=63) if accepted_at else None,
        "accepted_at": accepted_at,
        "updated_at": received_at,
    }


async def _insert(url: str, rows: list[dict[str, object]]) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(OLD_COMPLAINT.insert(), rows)
    finally:
        await engine.dispose()


async def _read(url: str) -> dict[str, tuple[str, datetime]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(
                sa.select(
                    sa.column("description"),
                    sa.column("rule_set"),
                    sa.column("decision_period_from", UTCDateTime()),
                ).select_from(sa.table("complaint"))
            )
            return {r[0]: (r[1], r[2]) for r in result}
    finally:
        await engine.dispose()


def test_cases_received_before_2026_04_15_china_time_keep_order20(
    backend: Backend, tmp_path: Path, keys_dir: Path
) -> None:
    url, pg_name = fresh_database_url(backend.name, tmp_path, "rule_sets")
    try:
        migrate.upgrade("complaints", url, BEFORE)
        last_order20 = datetime(2026, 4, 14, 15, 59, 59, tzinfo=UTC)  # 23:59:59 on 14 April, China time
        first_order121 = datetime(2026, 4, 14, 16, 0, tzinfo=UTC)  # 00:00 on 15 April, China time
        rows = [_row(last_order20), _row(first_order121, accepted_at=datetime(2026, 4, 20, 2, 0, tzinfo=UTC))]
        rows[0]["description"], rows[1]["description"] = "old", "new"
        asyncio.run(_insert(url, rows))
        migrate.upgrade("complaints", url)
        migrated = asyncio.run(_read(url))
        assert migrated == {"old": ("order20", last_order20), "new": ("order121", first_order121)}
        asyncio.run(_recomputed(url, keys_dir))
        migrate.downgrade("complaints", url, BEFORE)
    finally:
        if pg_name:
            drop_pg_database(pg_name)


async def _recomputed(url: str, keys_dir: Path) -> None:
    """At its first start the service recomputes the migrated cases with their own rules: the Order
    121 case accepted Mon 20 Apr now ends mediation after 60 days, on Mon 22 Jun (19–21 Jun off)."""
    settings = ComplaintsSettings(
        environment="test",
        data_dir=keys_dir,
        database_url=url,
        dispatch_enabled=False,
        calendar_check_seconds=0,
    )
    app = create_app(settings, clock=FrozenClock(datetime(2026, 4, 21, tzinfo=UTC)))
    async with running(app):
        moves = await app.state.calendar_watch.run_once()
    resolved = {(m.deadline, m.after.astimezone(UTC).date() if m.after else None) for m in moves}
    assert ("resolve_by", date(2026, 6, 22)) in resolved
