"""Lists: the state machine's refusals, concurrency, who may see and do what, the sweep from outside."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from services.cli.main import main as qcr
from services.common.clock import FrozenClock
from services.common.roles import Role
from services.registry.app import create_app
from services.registry.database import load_models
from services.registry.settings import RegistrySettings
from tests.registry.test_lists import (
    SECOND,
    accept,
    act,
    at,
    blacklist,
    consent,
    entry,
    entry_body,
    propose,
    public_ids,
    red_body,
    repair_body,
    sweep_once,
)
from tests.support import Backend, Tokens, code, register, running, wipe


async def test_illegal_transitions_name_the_state_and_the_allowed_actions(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    await register(registry, reg, code(2))
    proposed = await propose(registry, reg, entry_body(code(1)))

    skipped = await act(registry, reg, proposed["id"], "list")
    assert skipped.status_code == 409
    assert skipped.headers["content-type"] == "application/problem+json"
    problem = skipped.json()
    assert (problem["current_state"], problem["allowed_actions"]) == (
        "proposed",
        ["cancel", "record_consent", "serve_notice"],
    )
    assert "proposed" in problem["detail"] and "serve_notice" in problem["detail"]

    unknown = await act(registry, reg, proposed["id"], "frobnicate")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "action"
    system_only = await act(registry, reg, proposed["id"], "expire")
    assert system_only.status_code == 422
    assert (await act(registry, reg, proposed["id"], "cancel")).status_code == 422  # reasons required
    cancelled = await act(registry, reg, proposed["id"], "cancel", note="证据不足，不予列入")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    after = await act(registry, reg, proposed["id"], "serve_notice")
    assert after.status_code == 409
    assert (after.json()["current_state"], after.json()["allowed_actions"]) == ("cancelled", [])

    red = await propose(registry, reg, red_body(code(2)))
    wrong_list = await act(registry, reg, red["id"], "serve_notice")
    assert wrong_list.status_code == 409
    assert (wrong_list.json()["current_state"], wrong_list.json()["allowed_actions"]) == (
        "listed",
        ["remove"],
    )
    removed = await act(registry, reg, red["id"], "remove", note="奖励被撤销")
    assert (removed.json()["status"], removed.json()["exit_kind"]) == ("removed", "removed")
    assert await public_ids(registry, "red") == []
    statement = await registry.post(
        f"/v1/list-entries/{red['id']}/statements",
        json={"text": "x"},
        headers=tokens(Role.enterprise, uscc=code(2)),
    )
    assert statement.status_code == 409

    missing = await act(registry, reg, "00000000-0000-0000-0000-000000000000", "list")
    assert missing.status_code == 404


async def test_concurrent_transitions_on_one_entry_cannot_both_win(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    proposed = await propose(registry, reg, entry_body(code(1)))
    served = await asyncio.gather(*(act(registry, reg, proposed["id"], "serve_notice") for _ in range(5)))
    assert sorted(r.status_code for r in served) == [200] + [409] * 4

    winner = next(r for r in served if r.status_code == 200)
    assert (await consent(registry, reg, proposed["id"])).status_code == 200
    clock.set(at(winner.json()["defence_due_at"]) + SECOND)
    raced = await asyncio.gather(
        act(registry, reg, proposed["id"], "list"),
        act(registry, reg, proposed["id"], "cancel", note="撤回"),
        act(registry, reg, proposed["id"], "list"),
    )
    assert sorted(r.status_code for r in raced) == [200, 409, 409]
    final = await entry(registry, reg, proposed["id"])
    actions = [h["action"] for h in final["history"]]
    assert actions[:3] == ["propose", "serve_notice", "record_consent"] and len(actions) == 4
    assert final["status"] == {"list": "listed", "cancel": "cancelled"}[actions[3]]
    assert await public_ids(registry, "black") == ([proposed["id"]] if final["status"] == "listed" else [])


async def test_concurrent_repair_decisions_one_wins(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg, own = tokens(Role.regulator), tokens(Role.enterprise, uscc=code(1))
    await register(registry, reg, code(1))
    listed = await blacklist(registry, reg, clock, code(1))
    clock.set(at(listed["repair_possible_from"]))
    application = (
        await registry.post(
            f"/v1/list-entries/{listed['id']}/repair-applications", json=repair_body(), headers=own
        )
    ).json()
    await accept(registry, reg, application["id"])
    url = f"/v1/repair-applications/{application['id']}/decision"
    answers = await asyncio.gather(
        registry.post(url, json={"decision": "approve", "reasons": "符合条件"}, headers=reg),
        registry.post(url, json={"decision": "reject", "reasons": "材料不全"}, headers=reg),
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    winner = next(a.json() for a in answers if a.status_code == 200)
    final = await entry(registry, reg, listed["id"])
    assert final["status"] == ("removed" if winner["status"] == "approved" else "listed")


async def test_concurrent_sweeps_expire_each_entry_once(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, clock: FrozenClock
) -> None:
    reg = tokens(Role.regulator)
    listed = []
    for n in range(4):
        await register(registry, reg, code(n))
        listed.append(await blacklist(registry, reg, clock, code(n)))
    clock.set(max(at(e["expires_at"]) for e in listed))
    counts = await asyncio.gather(*(sweep_once(registry_app, clock) for _ in range(3)))
    assert sum(counts) == 4
    assert await sweep_once(registry_app, clock) == 0
    for e in listed:
        history = (await entry(registry, reg, e["id"]))["history"]
        assert [h["action"] for h in history].count("expire") == 1


async def test_who_may_see_and_do_what(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg = tokens(Role.regulator)
    own, other = tokens(Role.enterprise, uscc=code(1)), tokens(Role.enterprise, uscc=code(2))
    partner = tokens(Role.partner)
    await register(registry, reg, code(1))
    body = entry_body(code(1))
    for headers, refused in (({}, 401), (own, 403), (partner, 403), (tokens(Role.service), 403)):
        assert (await registry.post("/v1/list-entries", json=body, headers=headers)).status_code == refused
    proposed = await propose(registry, reg, body)
    url = f"/v1/list-entries/{proposed['id']}"

    assert (await registry.get(url)).status_code == 401
    assert (await registry.get(url, headers=partner)).status_code == 403
    assert (await registry.get(url, headers=other)).status_code == 403
    assert (await registry.get(url, headers=own)).json()["status"] == "proposed"
    assert (await registry.get(url, headers=reg)).status_code == 200
    for headers in (own, partner):
        assert (await act(registry, headers, proposed["id"], "serve_notice")).status_code == 403
    await act(registry, reg, proposed["id"], "serve_notice")
    statement = {"text": "陈述意见"}
    assert (await registry.post(f"{url}/statements", json=statement, headers=other)).status_code == 403
    assert (await registry.post(f"{url}/statements", json=statement, headers=reg)).status_code == 403
    assert (await registry.post(f"{url}/statements", json=statement, headers=own)).status_code == 201

    mine = f"/v1/enterprises/{code(1)}/list-entries"
    assert [e["id"] for e in (await registry.get(mine, headers=own)).json()["items"]] == [proposed["id"]]
    assert (await registry.get(mine, headers=other)).status_code == 403
    assert (await registry.get(mine)).status_code == 401
    assert (await registry.get("/v1/repair-applications", headers=own)).status_code == 403

    # The public sees the lists and the credit answer, never a proposal.
    assert (await registry.get("/v1/lists/black")).json()["items"] == []
    assert (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()["lists"] == []


async def test_enterprise_sees_its_entries_removed_ones_included(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg, own = tokens(Role.regulator), tokens(Role.enterprise, uscc=code(1))
    await register(registry, reg, code(1))
    first = await blacklist(registry, reg, clock, code(1), decision_no="一")
    await act(registry, reg, first["id"], "revoke", note="撤销")
    clock.advance(timedelta(days=1))
    second = await propose(registry, reg, entry_body(code(1), "二"))
    page = (await registry.get(f"/v1/enterprises/{code(1)}/list-entries", headers=own)).json()
    assert [(e["id"], e["status"]) for e in page["items"]] == [
        (second["id"], "proposed"),
        (first["id"], "removed"),
    ]
    one = (await registry.get(f"/v1/enterprises/{code(1)}/list-entries?limit=1", headers=own)).json()
    rest = await registry.get(
        f"/v1/enterprises/{code(1)}/list-entries",
        params={"limit": 1, "cursor": one["next_cursor"]},
        headers=own,
    )
    assert [e["id"] for e in rest.json()["items"]] == [first["id"]]


async def test_batch_shows_lists_with_one_more_query_whatever_the_size(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, clock: FrozenClock
) -> None:
    reg = tokens(Role.regulator)
    for n in range(4):
        await register(registry, reg, code(n))
    await blacklist(registry, reg, clock, code(0))
    await propose(registry, reg, red_body(code(1)))
    await propose(registry, reg, entry_body(code(2)))  # proposed only: not on a list
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    engine = registry_app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        counts = []
        for size in (10, 1000):
            statements.clear()
            answer = await registry.post(
                "/v1/credit-status:batch",
                json={"usccs": [code(n) for n in range(size)]},
                headers=tokens(Role.partner),
            )
            items = answer.json()["items"]
            assert [i["lists"] for i in items[:4]] == [["black"], ["red"], [], []]
            assert all(i["lists"] == [] for i in items[4:])
            # The feed horizon is refreshed at most every feed_horizon_seconds, not per batch.
            counts.append(len([s for s in statements if "feed_horizon" not in s]))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counts[0] == counts[1] <= 3  # enterprises, list entries, the access-log row


async def test_qcr_lists_sweep_is_idempotent(
    registry: httpx.AsyncClient,
    tokens: Tokens,
    clock: FrozenClock,
    backend: Backend,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    await register(registry, reg, code(2))
    # The command runs on the real clock: list long enough ago that one term has ended by now.
    clock.set(datetime.now(UTC) - timedelta(days=3 * 366 + 30))
    ended = await blacklist(registry, reg, clock, code(1), decided_at=clock.now().isoformat())
    clock.set(datetime.now(UTC))
    running_entry = await blacklist(registry, reg, clock, code(2))
    monkeypatch.setenv("REGISTRY_DATABASE_URL", backend.registry_url)
    outputs = []
    for _ in range(2):
        assert await asyncio.to_thread(qcr, ["lists", "sweep", "--data-dir", str(tmp_path)]) == 0
        outputs.append(capsys.readouterr().out.strip().splitlines()[-1])
    assert outputs[0].startswith("expired 1 ") and outputs[1].startswith("expired 0 ")
    expired = await entry(registry, reg, ended["id"])
    assert expired["history"][-1]["action"] == "expire"
    assert (await entry(registry, reg, running_entry["id"]))["status"] == "listed"


async def test_the_app_sweeps_periodically_when_configured(
    registry_settings: RegistrySettings, tokens: Tokens, clock: FrozenClock
) -> None:
    settings = registry_settings.model_copy(update={"lists_sweep_interval_seconds": 0.05})
    app = create_app(settings, clock=clock)
    reg = tokens(Role.regulator)
    async with running(app) as client:
        try:
            await register(client, reg, code(1))
            listed = await blacklist(client, reg, clock, code(1))
            clock.set(at(listed["expires_at"]))
            for _ in range(200):
                history = (await entry(client, reg, listed["id"]))["history"]
                if history[-1]["action"] == "expire":
                    break
                await asyncio.sleep(0.05)
            assert history[-1]["action"] == "expire"
            assert history[-1]["actor"] == "system:lists-sweep"
        finally:
            await wipe(app.state.engine, load_models())
