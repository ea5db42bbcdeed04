"""The periodic sweep inside the service: every replica tries, the lease holder runs it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from services.registry.sweep import lease, service

logger = logging.getLogger("qcr.sweep")
LEASE = "sweep"


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def tick(app: FastAPI, holder: str) -> service.SweepResult | None:
    """One round: take (or renew) the lease, and run the sweep if it is ours."""
    settings = app.state.settings
    sessions = app.state.sessions
    ttl = timedelta(seconds=settings.sweep_lease_seconds)
    if not await lease.acquire(sessions, name=LEASE, holder=holder, now=app.state.clock.now(), ttl=ttl):
        return None
    return await service.run_once(
        sessions,
        book=app.state.rule_book,
        list_rules=app.state.list_rules,
        clock=app.state.clock,
        key=app.state.ledger_key,
        checkpoint_every=timedelta(seconds=settings.checkpoint_interval_seconds),
    )


async def _every(app: FastAPI, interval: float) -> None:
    holder = holder_name()
    try:
        while True:
            try:
                result = await tick(app, holder)
                if result is not None and (result.regraded or result.expired or result.withdrawn):
                    logger.info(
                        "time-driven changes written",
                        extra={
                            "regraded": result.regraded,
                            "expired": result.expired,
                            "withdrawn": result.withdrawn,
                        },
                    )
            except Exception:
                logger.exception("sweep failed; retrying at the next interval")
            await asyncio.sleep(interval)
    finally:
        with contextlib.suppress(Exception):
            await lease.release(app.state.sessions, name=LEASE, holder=holder)


@asynccontextmanager
async def periodic_sweep(app: FastAPI) -> AsyncIterator[None]:
    task = asyncio.create_task(_every(app, app.state.settings.sweep_interval_seconds))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
