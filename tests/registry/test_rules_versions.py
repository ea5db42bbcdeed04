"""Rules versions by effective date: a version dated 2027-01-01 takes over at 00:00 Beijing time that day.

Grades computed before then use 2026.1, grades computed after use 2027.1-test; the sweep regrades
every stored grade when the new version takes effect, and the explanation names the version.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.registry.app import create_app
from services.registry.credit.rulebook import load_rule_book
from services.registry.credit.rules import RulesError
from services.registry.database import load_models
from services.registry.settings import RULES_DIR, RegistrySettings
from services.registry.sweep.runner import tick
from tests.registry.test_lists_order44 import cst
from tests.support import Tokens, code, event_body, register, running, wipe

CURRENT = (RULES_DIR / "2026.1.toml").read_text(encoding="utf-8")
# TEST DATA, not a published policy: spot-check failures weigh more from 2027.
STRICTER_2027 = (
    CURRENT.replace('version = "2026.1"', 'version = "2027.1-test"')
    .replace('effective_from = "2026-01-01"', 'effective_from = "2027-01-01"')
    .replace(
        "effects = { minor = -5, major = -15, severe = -30 }",
        "effects = { minor = -20, major = -30, severe = -50 }",
    )
)


def rules_dir(tmp_path: Path, **files: str) -> Path:
    directory = tmp_path / "rules"
    directory.mkdir()
    for name, text in files.items():
        (directory / f"{name}.toml").write_text(text, encoding="utf-8")
    return directory


@pytest.fixture
async def versioned(
    registry_settings: RegistrySettings, clock: FrozenClock, tmp_path: Path
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    directory = rules_dir(tmp_path, **{"2026.1": CURRENT, "2027.1-test": STRICTER_2027})
    app = create_app(registry_settings.model_copy(update={"rules_file": directory}), clock=clock)
    async with running(app) as client:
        try:
            yield app, client
        finally:
            await wipe(app.state.engine, load_models())


async def credit(client: httpx.AsyncClient, uscc: str) -> dict:
    return (await client.get(f"/v1/enterprises/{uscc}/credit")).json()  # type: ignore[no-any-return]


async def test_the_2027_version_takes_over_at_midnight_beijing_time_and_the_sweep_regrades(
    versioned: tuple[FastAPI, httpx.AsyncClient], tokens: Tokens, clock: FrozenClock
) -> None:
    app, client = versioned
    reg = tokens(Role.regulator)
    # 2026-12-31 23:30 Beijing: 2026.1 is in force although 2027.1-test is already loaded.
    clock.set(cst("2026-12-31T23:30:00"))
    await register(client, reg, code(1))
    recorded = await client.post(
        f"/v1/enterprises/{code(1)}/credit-events", json=event_body(severity="minor"), headers=reg
    )
    assert recorded.status_code == 201, recorded.text
    before = await credit(client, code(1))
    assert (before["score"], before["grade"], before["rule_version"]) == (95, "A", "2026.1")
    assert before["explanation"][0]["reason"].endswith("-5 under rules 2026.1")
    swept = await tick(app, "test-replica")
    assert swept is not None and swept.regraded == 0  # nothing is due before the new version starts

    # 23:59:59: still 2026.1; 00:00:00 on 1 January (16:00 UTC on 31 December): 2027.1-test.
    clock.set(cst("2026-12-31T23:59:59"))
    assert (await tick(app, "test-replica")).regraded == 0  # type: ignore[union-attr]
    clock.set(datetime(2026, 12, 31, 16, 0, tzinfo=UTC))
    assert (await tick(app, "test-replica")).regraded == 1  # type: ignore[union-attr]
    after = await credit(client, code(1))
    assert (after["score"], after["grade"], after["rule_version"]) == (80, "B", "2027.1-test")
    assert after["explanation"][0]["reason"].endswith("-20 under rules 2027.1-test")
    history = (await client.get(f"/v1/enterprises/{code(1)}/credit/history")).json()["items"]
    assert (history[0]["cause"], history[0]["cause_ref"], history[0]["rule_version"]) == (
        "rules_changed",
        "2027.1-test",
        "2027.1-test",
    )
    assert (history[0]["old_grade"], history[0]["new_grade"]) == ("A", "B")
    assert (await tick(app, "test-replica")).regraded == 0  # type: ignore[union-attr]

    # Partners following the feed hear of the change.
    partner = tokens(Role.partner)
    changes = (await client.get("/v1/changes", headers=partner)).json()["items"]
    graded = [c for c in changes if c["kind"] == "grade_changed" and c["uscc"] == code(1)]
    assert graded[-1]["data"]["rule_version"] == "2027.1-test" and graded[-1]["data"]["new_grade"] == "B"

    # A write after the switch grades under the version in force then.
    await register(client, reg, code(2))
    await client.post(
        f"/v1/enterprises/{code(2)}/credit-events", json=event_body(severity="minor"), headers=reg
    )
    fresh = await credit(client, code(2))
    assert (fresh["score"], fresh["rule_version"]) == (80, "2027.1-test")


def test_a_version_without_a_date_or_two_on_one_day_are_refused(tmp_path: Path) -> None:
    twice = rules_dir(tmp_path, a=CURRENT, b=CURRENT.replace('version = "2026.1"', 'version = "2026.9"'))
    with pytest.raises(RulesError, match="same day"):
        load_rule_book(twice)
    undated = tmp_path / "undated.toml"
    undated.write_text(CURRENT.replace('effective_from = "2026-01-01"\n', ""), encoding="utf-8")
    with pytest.raises(RulesError, match="effective_from"):
        load_rule_book(undated)
    book = load_rule_book(RULES_DIR)
    assert book.in_force(cst("2026-11-20T10:00:00")).version == "2026.1"
    assert book.next_change_after(cst("2026-11-20T10:00:00")) is None
