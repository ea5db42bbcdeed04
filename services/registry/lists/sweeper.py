"""Running the expiry sweep to completion: from `qcr lists sweep`, or periodically inside the app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.clock import Clock
from services.registry.background import background
from services.registry.lists import service
from services.registry.lists.rules import ListRules

logger = logging.getLogger("qcr.lists")


async def sweep_all(
    sessions: async_sessionmaker[AsyncSession], *, list_rules: ListRules, clock: Clock
) -> int:
    """Expire every entry whose term has ended, one committed batch at a time."""
    total = 0
    while True:
        async with sessions() as session:  # a unit of work: its commit audits and announces the expiries
            done = await service.sweep(session, list_rules=list_rules, now=clock.now())
            await session.commit()
        total += done
        if done == 0:
            return total


async def _every(app: FastAPI, interval: float) -> None:
    while True:
        try:
            removed = await sweep_all(
                app.state.sessions, list_rules=app.state.list_rules, clock=app.state.clock
            )
            if removed:
                logger.info("list entries expired", extra={"count": removed})
        except Exception:
            logger.exception("list sweep failed; retrying at the next interval")
        await asyncio.sleep(interval)


@asynccontextmanager
async def periodic_sweep(app: FastAPI) -> AsyncIterator[None]:
    """A background sweep while the app runs (dev; replicas may each run one, rows are skip-locked)."""
    async with background(_every(app, app.state.settings.lists_sweep_interval_seconds), name="list-sweep"):
        yield
