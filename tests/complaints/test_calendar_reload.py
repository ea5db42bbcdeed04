"""A newer working-day calendar: provisional deadlines, `qcr calendar check`, recomputation, /readyz."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.cli.main import main
from services.common.clock import FrozenClock
from services.common.roles import Role
from services.common.workdays import DEFAULT_CALENDAR, configure
from services.complaints.app import create_app
from services.complaints.database import load_models
from services.complaints.settings import ComplaintsSettings
from tests.complaints.test_deadlines_order121 import day_of
from tests.support import Backend, Tokens, complaint_body, move, running, wipe

# TEST DATA, not a real notice: the 2026 calendar extended through 2027 with two made-up 2027
# holidays (1 January and, so that a deadline visibly moves, Tuesday 19 January).
FICTIONAL_2027 = {
    'valid_to = "2026-12-31"': 'valid_to = "2027-12-31"',
    '"2026-01-01", "2026-01-02", "2026-01-03",': (
        '"2026-01-01", "2026-01-02", "2026-01-03", "2027-01-01", "2027-01-19",'
    ),
}


def newer_calendar(path: Path) -> None:
    text = DEFAULT_CALENDAR.read_text(encoding="utf-8")
    for old, new in FICTIONAL_2027.items():
        assert old in text
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    later = time.time_ns() + 5_000_000_000
    os.utime(path, ns=(later, later))


@pytest.fixture
def calendar_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "workdays.toml"
    path.write_text(DEFAULT_CALENDAR.read_text(encoding="utf-8"), encoding="utf-8")
    yield path
    configure(DEFAULT_CALENDAR)  # the process-wide default other tests read


@pytest.fixture
async def app_on_file(
    complaints_settings: ComplaintsSettings, calendar_file: Path, clock: FrozenClock
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = complaints_settings.model_copy(
        update={"workdays_file": calendar_file, "calendar_check_seconds": 0}
    )
    app = create_app(settings, clock=clock)
    async with running(app) as client:
        try:
            yield app, client
        finally:
            await wipe(app.state.engine, load_models())


async def test_deadlines_past_the_calendar_are_provisional_and_move_when_2027_is_loaded(
    app_on_file: tuple[FastAPI, httpx.AsyncClient],
    calendar_file: Path,
    complaints_settings: ComplaintsSettings,
    backend: Backend,
    tokens: Tokens,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app, client = app_on_file
    handler = tokens(Role.handler)
    # Received and accepted Fri 20 Nov 2026: accept by Tue 1 Dec (covered); mediation 60 days →
    # Tue 19 Jan 2027, past the calendar's end (31 Dec 2026): provisional.
    case = (await client.post("/v1/complaints", json=complaint_body())).json()
    assert day_of(case["deadlines"]["accept_by"]) == date(2026, 12, 1)
    assert case["deadlines"]["accept_by"]["provisional"] is False
    accepted = (await move(client, handler, case["id"], "accept")).json()
    assert day_of(accepted["deadlines"]["resolve_by"]) == date(2027, 1, 19)
    assert accepted["deadlines"]["resolve_by"]["provisional"] is True
    listed = (await client.get("/v1/complaints", headers=handler)).json()["items"]
    assert listed[0]["deadlines"]["resolve_by"]["provisional"] is True

    ready = (await client.get("/readyz")).json()
    assert ready["status"] == "ready"
    assert ready["calendar"]["valid_to"] == "2026-12-31" and ready["calendar"]["days_covered"] == 41
    assert "2026-12-31" in ready["calendar"]["warning"]  # shorter than the 120-day longest deadline
    assert "workdays_calendar_days_covered 41.0" in (await client.get("/metrics")).text

    # The operator checks next year's file first: it is valid and would move this one deadline.
    newer = calendar_file.with_name("workdays-2027.toml")
    newer_calendar(newer)
    monkeypatch.setenv("COMPLAINTS_DATABASE_URL", complaints_settings.database_url)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", backend.registry_url)
    assert await asyncio.to_thread(main, ["calendar", "check", str(newer)]) == 0
    report = capsys.readouterr().out
    assert "1 open complaint deadlines would move" in report
    assert "0 open list deadlines would move" in report
    assert f"{case['id']} resolve_by: 2027-01-19 -> 2027-01-20" in report
    unchanged = (await client.get(f"/v1/complaints/{case['id']}", headers=handler)).json()
    assert day_of(unchanged["deadlines"]["resolve_by"]) == date(2027, 1, 19)  # a check writes nothing

    # Loaded: the watch recomputes; 19 Jan is now a holiday, so the period ends Wed 20 Jan, final.
    newer.replace(calendar_file)
    moves = await app.state.calendar_watch.run_once()
    assert [(m.deadline, m.provisional) for m in moves] == [("resolve_by", False)]
    moved = (await client.get(f"/v1/complaints/{case['id']}", headers=handler)).json()
    assert day_of(moved["deadlines"]["resolve_by"]) == date(2027, 1, 20)
    assert moved["deadlines"]["resolve_by"]["provisional"] is False
    assert await app.state.calendar_watch.run_once() == []  # nothing left to recompute
    ready = (await client.get("/readyz")).json()
    assert ready["calendar"]["days_covered"] == 406 and ready["calendar"]["warning"] is None


async def test_calendar_check_refuses_a_broken_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.toml"
    text = DEFAULT_CALENDAR.read_text(encoding="utf-8").replace(
        '"2026-10-10",', '"2026-10-10", "2026-10-09",'
    )
    broken.write_text(text, encoding="utf-8")
    assert await asyncio.to_thread(main, ["calendar", "check", str(broken), "--no-database"]) == 1
    assert "not on a weekend: 2026-10-09 (Friday)" in capsys.readouterr().out
