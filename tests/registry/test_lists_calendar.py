"""A newer working-day calendar moves the running list deadlines: the watch, `qcr calendar check`, /readyz.

Beijing dates. The published calendar (services/common/data/workdays_cn.toml) ends on 2026-12-31;
the 2027 file of tests/complaints/test_calendar_reload.py is TEST DATA with two made-up holidays,
Friday 1 January and Tuesday 19 January 2027.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.cli.main import main
from services.common.clock import FrozenClock
from services.common.roles import Role
from services.registry.app import create_app
from services.registry.database import load_models
from services.registry.settings import RegistrySettings
from tests.complaints.test_calendar_reload import calendar_file, newer_calendar
from tests.registry.test_lists import SECOND, act, at, blacklist, consent, entry_body, propose, repair_body
from tests.registry.test_lists_order44 import cst, end_of
from tests.support import Backend, Tokens, code, register, running, wipe

__all__ = ["calendar_file"]  # the fixture: a copy of the published calendar the app reads


@pytest.fixture
async def app_on_file(
    registry_settings: RegistrySettings, calendar_file: Path, clock: FrozenClock
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(registry_settings.model_copy(update={"workdays_file": calendar_file}), clock=clock)
    async with running(app) as client:
        try:
            yield app, client
        finally:
            await wipe(app.state.engine, load_models())


async def test_list_deadlines_past_2026_are_provisional_and_move_when_2027_is_loaded(
    app_on_file: tuple[FastAPI, httpx.AsyncClient],
    calendar_file: Path,
    backend: Backend,
    tokens: Tokens,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app, client = app_on_file
    reg, own = tokens(Role.regulator), tokens(Role.enterprise, uscc=code(2))
    await register(client, reg, code(1))
    await register(client, reg, code(2))

    # A Nanning decision served Thu 2026-12-10: the defence period ends Thu 12-17 (covered, final).
    clock.set(cst("2026-12-10T10:00:00"))
    proposed = await propose(client, reg, entry_body(code(1), decided_at="2026-12-01T00:00:00Z"))
    served = (await act(client, reg, proposed["id"], "serve_notice")).json()
    assert at(served["defence_due_at"]) == end_of("2026-12-17") and not served["defence_due_provisional"]
    assert (await consent(client, reg, proposed["id"])).status_code == 200
    # Decided Fri 12-18: 20 working days (Order 44 第十四条) end past the calendar; with only
    # weekends known they end Fri 2027-01-15, provisional.
    clock.set(cst("2026-12-18T10:00:00"))
    decided = (await act(client, reg, proposed["id"], "decide")).json()
    assert at(decided["publication_due_at"]) == end_of("2027-01-15")
    assert decided["publication_due_provisional"] is True

    # A repair of an entry listed a year before: filed Mon 12-28, accepted Wed 12-30; the decision
    # is due 15 working days later (第十七条第三款): Wed 2027-01-20 with weekends only, provisional.
    clock.set(cst("2025-12-01T10:00:00"))
    listed = await blacklist(
        client, reg, clock, code(2), decision_no="南市监罚〔2025〕9号", decided_at="2025-11-20T00:00:00Z"
    )
    clock.set(cst("2026-12-28T10:00:00"))
    url = f"/v1/list-entries/{listed['id']}/repair-applications"
    application = (await client.post(url, json=repair_body(), headers=own)).json()
    assert at(application["acceptance_due_at"]) == end_of("2026-12-30")
    clock.set(cst("2026-12-30T10:00:00"))
    base = f"/v1/repair-applications/{application['id']}"
    accepted = (await client.post(f"{base}/acceptance", json={"decision": "accept"}, headers=reg)).json()
    assert at(accepted["decision_due_at"]) == end_of("2027-01-20") and accepted["decision_due_provisional"]

    # /readyz: one day of calendar left, shorter than the longest list deadline, and an open
    # deadline already past its end.
    ready = (await client.get("/readyz")).json()["calendar"]
    assert (
        ready["days_covered"] == 1
        and ready["longest_deadline_days"] == app.state.list_rules.longest_period_days
    )
    assert ready["latest_open_deadline"] == "2027-01-20"
    assert "2027-01-20" in ready["warning"] and "2026-12-31" in ready["warning"]

    # The operator checks next year's file: valid; the two deadlines would move; nothing is written.
    newer = calendar_file.with_name("workdays-2027.toml")
    newer_calendar(newer)
    monkeypatch.setenv("REGISTRY_DATABASE_URL", backend.registry_url)
    monkeypatch.setenv("COMPLAINTS_DATABASE_URL", backend.complaints_url)
    assert await asyncio.to_thread(main, ["calendar", "check", str(newer)]) == 0
    report = capsys.readouterr().out
    assert "0 open complaint deadlines would move" in report
    assert "2 open list deadlines would move" in report
    assert f"{proposed['id']} publication_due: 2027-01-15 -> 2027-01-18" in report
    assert f"{application['id']} decision_due: 2027-01-20 -> 2027-01-22" in report
    unchanged = (await client.get(f"/v1/list-entries/{proposed['id']}", headers=reg)).json()
    assert at(unchanged["publication_due_at"]) == end_of("2027-01-15")

    # Loaded: 1 January is a holiday, so publication is due Mon 01-18; the repair decision skips
    # 19 January too: Fri 01-22. Both final now.
    newer.replace(calendar_file)
    moves = await app.state.calendar_watch.run_once()
    assert sorted((m.subject, m.deadline, m.provisional) for m in moves) == sorted(
        [(proposed["id"], "publication_due", False), (application["id"], "decision_due", False)]
    )
    moved = (await client.get(f"/v1/list-entries/{proposed['id']}", headers=reg)).json()
    assert (
        at(moved["publication_due_at"]) == end_of("2027-01-18") and not moved["publication_due_provisional"]
    )
    repair = (await client.get(base, headers=reg)).json()
    assert at(repair["decision_due_at"]) == end_of("2027-01-22") and not repair["decision_due_provisional"]
    assert await app.state.calendar_watch.run_once() == []  # nothing left to recompute

    # Overdue follows the moved deadline: not overdue on 01-15, overdue after 01-18.
    clock.set(end_of("2027-01-15") + SECOND)
    assert (await client.get("/v1/list-entries/overdue", headers=reg)).json()["items"] == []
    clock.set(end_of("2027-01-18") + SECOND)
    overdue = (await client.get("/v1/list-entries/overdue", headers=reg)).json()["items"]
    assert [e["id"] for e in overdue] == [proposed["id"]]
    clock.set(cst("2026-12-30T12:00:00"))
    ready = (await client.get("/readyz")).json()["calendar"]
    assert ready["days_covered"] == 366 and ready["warning"] is None
    assert ready["latest_open_deadline"] == "2027-01-22"


async def test_calendar_check_says_which_database_it_could_not_read(
    calendar_file: Path,
    backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A host that runs the complaints service only: the list deadlines are reported as not checked."""
    monkeypatch.setenv("COMPLAINTS_DATABASE_URL", backend.complaints_url)
    # A database that does not exist on the server the other service uses.
    monkeypatch.setenv(
        "REGISTRY_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/qcr_no_such_database"
    )
    assert await asyncio.to_thread(main, ["calendar", "check", str(calendar_file)]) == 2
    report = capsys.readouterr().out
    assert "0 open complaint deadlines would move" in report
    assert "NOT CHECKED: the list deadlines" in report
