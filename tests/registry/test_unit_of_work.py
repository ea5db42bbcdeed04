"""The domain-event unit of work: what follows from an event happens at commit, in order, or not at all."""

import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.registry.events.domain import EventRecorded
from services.registry.imports import service as imports
from tests.registry.test_lists import accept, at, blacklist, propose, red_body, repair_body
from tests.registry.test_standards import enterprise, publish, standard_body
from tests.support import Tokens, code, event_body, register


async def _trail(registry: httpx.AsyncClient, reg: dict[str, str], uscc: str | None = None) -> list[dict]:
    params = {"limit": 500, **({"uscc": uscc} if uscc else {})}
    return (await registry.get("/v1/audit", params=params, headers=reg)).json()["items"]


async def _feed(registry: httpx.AsyncClient, tokens: Tokens) -> list[dict]:
    partner = {**tokens(Role.partner), "X-Purpose": "test"}
    return (await registry.get("/v1/changes", params={"limit": 1000}, headers=partner)).json()["items"]


async def test_a_downgrade_below_the_floor_ends_the_red_entry_in_order(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    red = await propose(registry, reg, red_body(code(1)))
    posted = await registry.post(f"/v1/enterprises/{code(1)}/credit-events", json=event_body(), headers=reg)
    assert posted.status_code == 201
    shown = (await registry.get(f"/v1/list-entries/{red['id']}", headers=reg)).json()
    assert shown["status"] == "removed" and shown["exit_kind"] == "downgraded"
    # grading → red-list floor → history → audit → feed, all in the event's own transaction
    # (each step may also move the risk class, a stage of its own between the floor and history)
    actions = [
        e["action"] for e in await _trail(registry, reg, code(1)) if e["action"] != "risk_class.changed"
    ]
    assert actions == [
        "enterprise.registered",
        "list_entry.list",
        "credit_event.recorded",
        "grade.changed",
        "list_entry.disqualify",
    ]
    kinds = [
        (c["kind"], c["uscc"]) for c in await _feed(registry, tokens) if c["kind"] != "risk_class_changed"
    ]
    assert kinds[-3:] == [("listed", code(1)), ("grade_changed", code(1)), ("delisted", code(1))]


async def test_a_failing_subscriber_writes_nothing(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    before = await _trail(registry, reg)

    async def broken(session: object, event: EventRecorded) -> None:
        raise RuntimeError("the feed is down")

    registry_app.state.bus.subscribe("feed", EventRecorded, broken)
    with pytest.raises(RuntimeError, match="the feed is down"):  # the test client re-raises the 500's cause
        await registry.post(f"/v1/enterprises/{code(1)}/credit-events", json=event_body(), headers=reg)
    events = (await registry.get(f"/v1/enterprises/{code(1)}/credit-events", headers=reg)).json()["items"]
    assert events == [] and await _trail(registry, reg) == before
    assert (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()["grade"] == "A"


async def test_officers_of_one_bureau_record_one_event(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    await register(registry, reg, code(2))
    first = await registry.post(
        f"/v1/enterprises/{code(1)}/credit-events", json=event_body("南市监罚〔2026〕9号"), headers=reg
    )
    colleague = tokens(Role.regulator, subject="officer-2")
    replay = await registry.post(
        f"/v1/enterprises/{code(1)}/credit-events", json=event_body("南市监罚〔2026〕9号"), headers=colleague
    )
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json()["id"] == first.json()["id"]
    assert (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()["score"] == 70  # counted once
    # Another bureau's decision with the same number, or the same number for another enterprise: new.
    other = event_body("南市监罚〔2026〕9号", authority="柳州市市场监督管理局")
    assert (
        await registry.post(f"/v1/enterprises/{code(1)}/credit-events", json=other, headers=colleague)
    ).status_code == 201
    assert (
        await registry.post(
            f"/v1/enterprises/{code(2)}/credit-events", json=event_body("南市监罚〔2026〕9号"), headers=reg
        )
    ).status_code == 201


async def test_bulk_import_is_audited_and_announced(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, tmp_path: Path
) -> None:
    reg = tokens(Role.regulator)
    path = tmp_path / "batch.jsonl"
    rows = [{"uscc": code(n), "name": f"导入企业{n}"} for n in (1, 2)]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    prepared = imports.prepare(
        path,
        rules_file=registry_app.state.settings.rules_file,
        now=registry_app.state.clock.now(),
        actor="import:test",
        progress=lambda *a: None,
    )
    async with registry_app.state.engine.begin() as conn:
        await imports.load(
            conn,
            prepared,
            progress=lambda *a: None,
            bus=registry_app.state.bus,
            source="batch.jsonl",
            actor="x",
        )
    trail = await _trail(registry, reg)
    assert sorted((e["chain"], e["version"], e["action"]) for e in trail) == [
        ("", 1, "enterprises.imported"),
        (code(1), 1, "enterprise.imported"),
        (code(2), 1, "enterprise.imported"),
    ]
    summary = next(e for e in trail if e["chain"] == "")
    assert summary["data"]["enterprises"] == 2 and summary["data"]["source"] == "batch.jsonl"
    assert [(c["kind"], c["uscc"]) for c in await _feed(registry, tokens)] == [
        ("enterprise_created", code(1)),
        ("enterprise_created", code(2)),
    ]
    # The chain continues from the import: the next write links to it.
    await registry.post(f"/v1/enterprises/{code(1)}/credit-events", json=event_body(), headers=reg)
    chain = await _trail(registry, reg, code(1))
    versions = [e["version"] for e in chain]  # imported, event, grade change (and a risk-class change)
    assert versions == list(range(1, len(versions) + 1)) and len(versions) >= 3
    assert chain[1]["prev_hash"] == chain[0]["hash"] and chain[1]["action"] == "credit_event.recorded"


async def test_a_rejected_repair_and_a_spot_check_draw_are_audited(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg, own = tokens(Role.regulator), tokens(Role.enterprise, uscc=code(1))
    await register(registry, reg, code(1))
    listed = await blacklist(registry, reg, clock, code(1))
    clock.set(at(listed["repair_possible_from"]))
    url = f"/v1/list-entries/{listed['id']}/repair-applications"
    application = (await registry.post(url, json=repair_body(), headers=own)).json()
    clock.advance(timedelta(days=1))
    await accept(registry, reg, application["id"])
    decided = await registry.post(
        f"/v1/repair-applications/{application['id']}/decision",
        json={"decision": "reject", "reasons": "整改报告不完整"},
        headers=reg,
    )
    assert decided.status_code == 200, decided.text
    trail = await _trail(registry, reg, code(1))
    assert [e["action"] for e in trail[-2:]] == ["repair.accepted", "repair.rejected"]
    last = trail[-1]
    assert last["subject"] == application["id"]
    assert last["data"]["reasons"] == "整改报告不完整"

    await publish(registry, enterprise(tokens, 1), code(1), standard_body())
    committed = await registry.post("/v1/standards/samples", json={"n": 1}, headers=reg)
    assert committed.status_code == 201, committed.text
    draw = await registry.post(f"/v1/standards/samples/{committed.json()['id']}/draw", headers=reg)
    assert draw.status_code == 200, draw.text
    registry_chain = [e for e in await _trail(registry, reg) if e["chain"] == ""]
    assert [e["action"] for e in registry_chain] == ["standard.sample_drawn"]
    assert registry_chain[0]["subject"] == draw.json()["id"]
    revealed = registry_chain[0]["data"]
    assert revealed["seed"] == draw.json()["seed"] and len(revealed["chosen"]) == 1
