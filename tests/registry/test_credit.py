import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import event

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.registry.app import create_app
from services.registry.settings import RULES_DIR, RegistrySettings
from services.registry.sweep.runner import tick
from tests.support import Tokens, code, event_body, register, running


async def test_severe_spot_check_drops_grade_with_explanation(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    posted = await registry.post(f"/v1/enterprises/{code(1)}/credit-events", json=event_body(), headers=reg)
    assert posted.status_code == 201, posted.text
    event = posted.json()
    assert event["status"] == "active" and event["recorded_by"] == "regulator:dev-regulator"

    credit = (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()
    assert credit["score"] == 70 and credit["grade"] == "C"
    assert credit["rule_version"] == "2026.1"
    assert credit["lists"] == []
    [item] = credit["explanation"]
    assert item["event_id"] == event["id"] and item["effect"] == -30
    assert item["source_ref"] == "罚字〔2026〕1号"
    assert credit["as_of"]

    history = (await registry.get(f"/v1/enterprises/{code(1)}/credit/history")).json()["items"]
    assert [(h["old_grade"], h["new_grade"], h["cause"]) for h in history] == [
        ("A", "C", "event_recorded"),
        (None, "A", "registered"),
    ]
    assert history[0]["cause_ref"] == event["id"]


async def test_replay_returns_the_original_never_a_second(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    url = f"/v1/enterprises/{code(1)}/credit-events"
    first = await registry.post(url, json=event_body("A-1"), headers=reg)
    again = await registry.post(url, json=event_body("A-1"), headers=reg)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    different = await registry.post(url, json=event_body("A-1", severity="minor"), headers=reg)
    assert different.status_code == 409
    events = (await registry.get(url, headers=reg)).json()["items"]
    assert len(events) == 1
    assert (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()["score"] == 70


async def test_concurrent_identical_posts_make_one_event(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    url = f"/v1/enterprises/{code(1)}/credit-events"
    answers = await asyncio.gather(
        *(registry.post(url, json=event_body("C-1"), headers=reg) for _ in range(6))
    )
    assert sorted(a.status_code for a in answers) == [200] * 5 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len((await registry.get(url, headers=reg)).json()["items"]) == 1
    history = (await registry.get(f"/v1/enterprises/{code(1)}/credit/history")).json()["items"]
    assert len(history) == 2


async def test_concurrent_different_events_all_count(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    url = f"/v1/enterprises/{code(1)}/credit-events"
    answers = await asyncio.gather(
        *(registry.post(url, json=event_body(f"D-{i}", severity="minor"), headers=reg) for i in range(5))
    )
    assert all(a.status_code == 201 for a in answers)
    assert (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()["score"] == 75


async def test_event_validation(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    url = f"/v1/enterprises/{code(1)}/credit-events"
    unknown = await registry.post(url, json=event_body(kind="rumour"), headers=reg)
    assert unknown.status_code == 422 and "unknown kind 'rumour'" in unknown.json()["detail"]
    future = await registry.post(url, json=event_body(occurred_at="2027-01-01T00:00:00Z"), headers=reg)
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "occurred_at"
    naive = await registry.post(url, json=event_body(occurred_at="2026-11-01T00:00:00"), headers=reg)
    assert naive.status_code == 422
    bad_severity = await registry.post(url, json=event_body(severity="huge"), headers=reg)
    assert bad_severity.status_code == 422 and bad_severity.json()["errors"][0]["field"] == "severity"
    missing = await registry.post(f"/v1/enterprises/{code(2)}/credit-events", json=event_body(), headers=reg)
    assert missing.status_code == 404
    assert (await registry.get(url, headers=reg)).json()["items"] == []


async def test_who_may_record_which_kind(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    await register(registry, tokens(Role.regulator), code(1))
    url = f"/v1/enterprises/{code(1)}/credit-events"
    service = tokens(Role.service)
    ok = await registry.post(url, json=event_body("c-1", kind="complaint_substantiated"), headers=service)
    assert ok.status_code == 201 and ok.json()["recorded_by"] == "service:complaints"
    assert (await registry.post(url, json=event_body("c-2"), headers=service)).status_code == 403
    for role in (Role.partner, Role.enterprise):
        response = await registry.post(url, json=event_body("c-3"), headers=tokens(role, uscc=code(1)))
        assert response.status_code == 403


async def test_event_list_access(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    await register(registry, tokens(Role.regulator), code(1))
    url = f"/v1/enterprises/{code(1)}/credit-events"
    assert (await registry.get(url)).status_code == 401
    assert (await registry.get(url, headers=tokens(Role.enterprise, uscc=code(1)))).status_code == 200
    assert (await registry.get(url, headers=tokens(Role.enterprise, uscc=code(2)))).status_code == 403
    assert (await registry.get(url, headers=tokens(Role.partner))).status_code == 200


async def test_revocation_regrades_and_is_recorded(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    event = (
        await registry.post(f"/v1/enterprises/{code(1)}/credit-events", json=event_body(), headers=reg)
    ).json()
    revoke_url = f"/v1/credit-events/{event['id']}/revocation"
    assert (
        await registry.post(revoke_url, json={"reason": "x"}, headers=tokens(Role.service))
    ).status_code == 403
    revoked = await registry.post(revoke_url, json={"reason": "撤销：复议决定"}, headers=reg)
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked" and revoked.json()["revocation_reason"] == "撤销：复议决定"
    credit = (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()
    assert (credit["score"], credit["grade"], credit["explanation"]) == (100, "A", [])
    history = (await registry.get(f"/v1/enterprises/{code(1)}/credit/history")).json()["items"]
    assert (history[0]["cause"], history[0]["cause_ref"], history[0]["new_grade"]) == (
        "event_revoked",
        event["id"],
        "A",
    )
    assert (await registry.post(revoke_url, json={"reason": "again"}, headers=reg)).status_code == 409
    events = (await registry.get(f"/v1/enterprises/{code(1)}/credit-events", headers=reg)).json()["items"]
    assert [e["status"] for e in events] == ["revoked"]
    missing = await registry.post(
        "/v1/credit-events/00000000-0000-0000-0000-000000000000/revocation",
        json={"reason": "x"},
        headers=reg,
    )
    assert missing.status_code == 404


async def test_failed_request_writes_nothing(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    await registry.patch(f"/v1/enterprises/{code(1)}", json={"status": "deregistered"}, headers=reg)
    # The insert runs before the status check fails; the rollback must take it back.
    refused = await registry.post(
        f"/v1/enterprises/{code(1)}/credit-events", json=event_body("F-1"), headers=reg
    )
    assert refused.status_code == 409
    assert (await registry.get(f"/v1/enterprises/{code(1)}/credit-events", headers=reg)).json()["items"] == []
    history = (await registry.get(f"/v1/enterprises/{code(1)}/credit/history")).json()["items"]
    assert len(history) == 1


async def test_expiry_moves_the_grade_back(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, clock: FrozenClock
) -> None:
    reg, partner = tokens(Role.regulator), tokens(Role.partner)
    await register(registry, reg, code(1))
    body = event_body(expires_at=(clock.now() + timedelta(days=10)).isoformat())
    await registry.post(f"/v1/enterprises/{code(1)}/credit-events", json=body, headers=reg)
    assert (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()["grade"] == "C"
    clock.advance(timedelta(days=10))

    result = await tick(registry_app, "test-replica")
    assert result is not None and result.regraded == 1
    credit = (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()
    assert (credit["grade"], credit["explanation"]) == ("A", [])
    # Every read path reads the one stored grade: the batch and the grade filter agree.
    batch = await registry.post(
        "/v1/credit-status:batch", json={"usccs": [code(1)]}, headers={**partner, "X-Purpose": "test"}
    )
    assert batch.json()["items"][0]["grade"] == "A"
    found = (await registry.get("/v1/enterprises", params={"grade": "A"}, headers=reg)).json()["items"]
    assert [e["uscc"] for e in found] == [code(1)]
    history = (await registry.get(f"/v1/enterprises/{code(1)}/credit/history")).json()["items"]
    assert history[0]["cause"] == "event_expired" and history[0]["new_grade"] == "A"
    feed = (await registry.get("/v1/changes", headers={**partner, "X-Purpose": "test"})).json()["items"]
    assert [(c["kind"], c["data"]["new_grade"]) for c in feed if c["kind"] == "grade_changed"][-1] == (
        "grade_changed",
        "A",
    )
    again = await tick(registry_app, "test-replica")
    assert again is not None and again.regraded == 0
    assert await tick(registry_app, "another-replica") is None  # the lease is held


async def test_new_rules_version_regrades_deterministically(
    registry: httpx.AsyncClient,
    registry_settings: RegistrySettings,
    tokens: Tokens,
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    await registry.post(
        f"/v1/enterprises/{code(1)}/credit-events", json=event_body(severity="minor"), headers=reg
    )
    assert (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()["grade"] == "A"

    stricter = (RULES_DIR / "2026.1.toml").read_text(encoding="utf-8")
    stricter = stricter.replace('version = "2026.1"', 'version = "2026.2-test"').replace(
        "effects = { minor = -5, major = -15, severe = -30 }",
        "effects = { minor = -20, major = -30, severe = -50 }",
    )
    rules_file = tmp_path / "2026.2-test.toml"
    rules_file.write_text(stricter, encoding="utf-8")
    settings = registry_settings.model_copy(update={"rules_file": rules_file})
    app = create_app(settings, clock=clock)
    async with running(app) as client:
        # Until the sweep writes the new grade, every read path answers the stored one.
        before = (await client.get(f"/v1/enterprises/{code(1)}/credit")).json()
        assert (before["score"], before["grade"], before["rule_version"]) == (95, "A", "2026.1")
        results = []
        for _ in range(2):
            swept = await tick(app, "test-replica")
            assert swept is not None
            results.append(swept.regraded)
        assert results == [1, 0]
        history = (await client.get(f"/v1/enterprises/{code(1)}/credit/history")).json()["items"]
        assert (history[0]["cause"], history[0]["cause_ref"], history[0]["new_grade"]) == (
            "rules_changed",
            "2026.2-test",
            "B",
        )
        stored = (await client.get(f"/v1/enterprises/{code(1)}/credit")).json()
        assert (stored["score"], stored["grade"], stored["rule_version"]) == (80, "B", "2026.2-test")


async def test_a_credit_event_reads_each_row_once_and_writes_in_one_flush(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens
) -> None:
    """The write path reads the enterprise once (locked, then held for the subscribers), gets the
    event back from its INSERT, and writes the rest in one flush (bench/write_cost.py counts it)."""
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(" ".join(str(args[2]).split()))

    def each(prefix: str) -> int:
        return len([s for s in statements if s.startswith(prefix)])

    engine = registry_app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for ref, severity in (("S-1", "minor"), ("S-2", "severe")):  # each changes the grade
            statements.clear()
            url = f"/v1/enterprises/{code(1)}/credit-events"
            posted = await registry.post(url, json=event_body(ref, severity=severity), headers=reg)
            assert posted.status_code == 201, posted.text
            assert each("SELECT enterprise.") == 1 and each("UPDATE enterprise ") == 1
            assert each("SELECT credit_event.id, credit_event.uscc") == 0  # no ORM re-read of the event
            assert each("SELECT risk_class.") == 1 and each("UPDATE risk_class ") <= 1
            # the lock, the events, list status with products, the risk class, and (below the
            # red-list floor) the red entries to withdraw
            assert each("SELECT ") <= 5, "\n".join(s[:80] for s in statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
