"""Lease, backoff and polling for any outbox-shaped table (the credit feed, the notifications).

A table qualifies when it has the columns `id`, `status` ("pending" is due), `next_attempt_at`,
`leased_until`, `leased_by` and `attempts`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession


def claimable(model: Any, now: datetime) -> Any:
    return (
        (model.status == "pending")
        & (model.next_attempt_at <= now)
        & or_(model.leased_until.is_(None), model.leased_until <= now)
    )


async def claim(
    session: AsyncSession,
    model: Any,
    *,
    worker: str,
    now: datetime,
    batch: int,
    lease: timedelta,
    columns: list[Any],
) -> list[Any]:
    """Lease up to `batch` due rows to `worker`; rows another worker holds are skipped, not waited for."""
    candidates = (
        select(model.id)
        .where(claimable(model, now))
        .order_by(model.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(model)
        .where(model.id.in_(candidates.scalar_subquery()), claimable(model, now))
        .values(leased_until=now + lease, leased_by=worker)
        .returning(*columns)
    )
    return sorted((await session.execute(statement)).all(), key=lambda row: row.id)


async def owned(session: AsyncSession, model: Any, message_id: int, worker: str) -> Any | None:
    """The row, locked, if `worker` still holds its lease (a lapsed lease went to someone else)."""
    statement = select(model).where(model.id == message_id, model.leased_by == worker).with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def renew(
    session: AsyncSession, model: Any, *, ids: list[int], worker: str, now: datetime, lease: timedelta
) -> set[int]:
    """Extend `worker`'s lease on the rows it still holds; returns those ids (the others were taken
    over after a lapse, or are done, and must not be sent by this worker)."""
    if not ids:
        return set()
    statement = (
        update(model)
        .where(
            model.id.in_(ids),
            model.leased_by == worker,
            model.status == "pending",
            model.leased_until.is_not(None),
        )
        .values(leased_until=now + lease)
        .returning(model.id)
    )
    return set((await session.execute(statement)).scalars())


def backoff(attempts: int, *, base: float, cap: float) -> timedelta:
    """Exponential backoff with full jitter: spreads retries of many rows after an outage."""
    return timedelta(seconds=random.uniform(base / 2, min(cap, base * 2 ** (attempts - 1))))


async def poll_forever(
    run_once: Callable[[], Awaitable[int]],
    wake: asyncio.Event,
    *,
    interval: float,
    logger: logging.Logger,
) -> None:
    """Run passes back to back while there is work; otherwise wait for `wake` or the interval."""
    while True:
        try:
            attempted = await run_once()
        except Exception:
            logger.exception("dispatcher pass failed")
            attempted = 0
        if attempted:
            continue
        wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), interval)


def log_delivery(logger: logging.Logger, what: str, *, outcome: str, attempt: int, **ids: Any) -> None:
    """One line per attempt: ids, outcome and the error only (never an address or a payload)."""
    log = logger.info if outcome == "sent" else logger.warning
    log(f"{what} delivery", extra={**ids, "outcome": outcome, "attempt": attempt})
