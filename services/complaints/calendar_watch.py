"""Recomputes open cases' deadlines when a newer working-day calendar is loaded."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.workdays import CalendarError, load_calendar
from services.complaints.cases.clock import Move, recompute_open
from services.complaints.policy import Policy

logger = logging.getLogger("qcr.calendar")


class CalendarWatch:
    """Checks the calendar file; when its content changed, recomputes every open deadline."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], policy: Policy, path: Path):
        self.sessions = sessions
        self.policy = policy
        self.path = path

    async def run_once(self) -> list[Move]:
        try:
            calendar = load_calendar(self.path)
        except (OSError, CalendarError) as exc:
            # Keep the deadlines computed with the last good calendar; say so loudly.
            logger.error(
                "working-day calendar unreadable; deadlines not recomputed", extra={"error": str(exc)}
            )
            return []
        async with self.sessions() as session, session.begin():
            moves = await recompute_open(session, policy=self.policy, calendar=calendar)
        if moves:
            logger.info(
                "deadlines recomputed for a new calendar",
                extra={"calendar": calendar.fingerprint, "moved": len(moves)},
            )
        return moves


@asynccontextmanager
async def calendar_watch(app: FastAPI, *, interval: float) -> AsyncIterator[None]:
    watch = CalendarWatch(
        sessions=app.state.sessions, policy=app.state.policy, path=app.state.settings.workdays_file
    )
    app.state.calendar_watch = watch

    async def loop() -> None:
        while True:
            try:
                await watch.run_once()
            except Exception:  # a database hiccup must not end the loop
                logger.exception("calendar recompute failed")
            await asyncio.sleep(interval)

    task = asyncio.create_task(loop(), name="calendar-watch") if interval > 0 else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
