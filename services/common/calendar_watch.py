"""Recomputing running deadlines when a newer working-day calendar is loaded (both services).

Each service names what its running deadlines are (a `Recompute`: complaint cases, list entries and
repair applications); this module watches the calendar file, runs the recompute in one transaction
when the file's content is new, and reports what moved. A row remembers the calendar its deadlines
were computed with (`deadlines_calendar`, the file's fingerprint), so a recompute touches only rows
computed with another calendar and a second run finds nothing to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.workdays import CalendarError, WorkCalendar, load_calendar

logger = logging.getLogger("qcr.calendar")


@dataclass(frozen=True)
class Move:
    """One deadline a calendar moved (or whose provisional flag it changed)."""

    subject: str  # what the deadline belongs to: a complaint, a list entry, a repair application
    deadline: str
    before: datetime | None
    after: datetime | None
    provisional: bool


# (name in answers, deadline column, provisional-flag column or None)
Tracked = Sequence[tuple[str, str, str | None]]
Recompute = Callable[[AsyncSession, WorkCalendar], Awaitable[list[Move]]]


def snapshot(row: Any, tracked: Tracked) -> dict[str, tuple[Any, Any]]:
    return {name: (getattr(row, column), flag and getattr(row, flag)) for name, column, flag in tracked}


def moves_since(subject: str, row: Any, tracked: Tracked, before: dict[str, tuple[Any, Any]]) -> list[Move]:
    """The tracked deadlines of `row` that differ from `before` (a `snapshot`)."""
    moves = []
    for name, column, flag in tracked:
        after = getattr(row, column)
        provisional = bool(flag and getattr(row, flag))
        if (after, flag and provisional) != (before[name][0], flag and bool(before[name][1])):
            moves.append(Move(subject, name, before[name][0], after, provisional))
    return moves


class CalendarWatch:
    """Checks the calendar file; when its content changed, recomputes every running deadline."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], path: Path, recompute: Recompute):
        self.sessions = sessions
        self.path = path
        self.recompute = recompute

    async def run_once(self) -> list[Move]:
        try:
            calendar = load_calendar(self.path)
        except (OSError, CalendarError) as exc:
            # Keep the deadlines computed with the last good calendar; say so loudly.
            logger.error(
                "working-day calendar unreadable; deadlines not recomputed", extra={"error": str(exc)}
            )
            return []
        async with self.sessions() as session:
            moves = await self.recompute(session, calendar)
            await session.commit()
        if moves:
            logger.info(
                "deadlines recomputed for a new calendar",
                extra={"calendar": calendar.fingerprint, "moved": len(moves)},
            )
        return moves


async def dry_run(
    sessions: async_sessionmaker[AsyncSession], recompute: Recompute, calendar: WorkCalendar
) -> list[Move]:
    """The deadlines `calendar` would move; nothing is written (`qcr calendar check`)."""
    async with sessions() as session:
        try:
            return await recompute(session, calendar)
        finally:
            await session.rollback()


@asynccontextmanager
async def calendar_watch(app: FastAPI, *, recompute: Recompute, interval: float) -> AsyncIterator[None]:
    """`app.state.calendar_watch`, and a loop running it every `interval` seconds (0: never)."""
    watch = CalendarWatch(
        sessions=app.state.sessions, path=app.state.settings.workdays_file, recompute=recompute
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
