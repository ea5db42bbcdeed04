"""The signal job: once (`qcr warnings run`, `POST /v1/signal-runs`) or periodically inside the app.

Leased like the other periodic work: a run claims the `signals` row of `job_lease` until a deadline
(an UPDATE that only succeeds when the lease is free or has lapsed), so of many replicas one runs and
the others skip; a crashed holder's lease lapses. Warnings are unique per signal, subject and window,
so even two overlapping runs could not raise one twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.clock import Clock
from services.common.db import insert_ignoring_conflicts
from services.common.workdays import CHINA
from services.registry.background import background
from services.registry.settings import RegistrySettings
from services.registry.warnings import service, sources
from services.registry.warnings.models import JobLease
from services.registry.warnings.signals import load_thresholds, windows

logger = logging.getLogger("qcr.signals")
JOB = "signals"


@dataclass(frozen=True)
class RunResult:
    ran: bool
    raised: int = 0
    series: int = 0
    complaints_available: bool = True


async def _claim(session: AsyncSession, *, holder: str, now: datetime, lease: timedelta) -> bool:
    await session.execute(insert_ignoring_conflicts(session, JobLease, ["name"]).values(name=JOB))
    claimed = await session.execute(
        update(JobLease)
        .where(JobLease.name == JOB, or_(JobLease.leased_until.is_(None), JobLease.leased_until < now))
        .values(holder=holder, leased_until=now + lease)
    )
    return claimed.rowcount == 1  # type: ignore[attr-defined]


async def run_once(
    sessions: async_sessionmaker[AsyncSession],
    *,
    settings: RegistrySettings,
    clock: Clock,
    transport: httpx.AsyncBaseTransport | None = None,
) -> RunResult:
    now = clock.now()
    holder = f"{socket.gethostname()}:{os.getpid()}"
    async with sessions() as session, session.begin():
        if not await _claim(
            session, holder=holder, now=now, lease=timedelta(seconds=settings.signals_lease_seconds)
        ):
            return RunResult(ran=False)
    try:
        thresholds = load_thresholds()
        w = windows(now.astimezone(CHINA).date(), thresholds)
        size = thresholds.window_days
        series: list[sources.Series] = []
        available = True
        assert settings.service_signing_key_file is not None
        # A token lives in real time: the complaints service checks expiry against its own clock.
        token = sources.service_token(settings.service_signing_key_file, settings.service_issuer, time.time())
        async with httpx.AsyncClient(
            base_url=settings.complaints_url, timeout=settings.complaints_timeout_seconds, transport=transport
        ) as client:
            try:
                series += await sources.complaint_series(client, token, w, size)
            except sources.ComplaintsUnavailable:
                logger.warning("complaints aggregates unavailable; complaint signals skipped this run")
                available = False
        async with sessions() as session, session.begin():
            series += await sources.spot_check_series(session, w, size)
            series += await sources.substantiated_series(session, w, size)
            series += await sources.declaration_series(session, w, size)
            raised = await service.raise_warnings(session, series=series, w=w, thresholds=thresholds, now=now)
        return RunResult(ran=True, raised=raised, series=len(series), complaints_available=available)
    finally:
        async with sessions() as session, session.begin():
            await session.execute(
                update(JobLease)
                .where(JobLease.name == JOB, JobLease.holder == holder)
                .values(leased_until=None, last_run_at=now)
            )


@asynccontextmanager
async def periodic_signals(app: FastAPI) -> AsyncIterator[None]:
    """Signals every `signals_interval_seconds` while the app runs (each replica tries; one runs)."""
    settings: RegistrySettings = app.state.settings

    async def loop() -> None:
        while True:
            try:
                result = await run_once(app.state.sessions, settings=settings, clock=app.state.clock)
                if result.raised:
                    logger.info("warnings raised", extra={"count": result.raised})
            except Exception:
                logger.exception("signal run failed; retrying at the next interval")
            await asyncio.sleep(settings.signals_interval_seconds)

    async with background(loop(), name="signals"):
        yield
