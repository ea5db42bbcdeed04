"""Change feed, access log and the tamper-evident audit trail."""

import asyncio
import itertools
import os
import subprocess
import sys
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.registry.ledger import service as ledger
from tests.processes import ROOT
from tests.registry.test_lists import blacklist, propose, red_body
from tests.support import Backend, Tokens, code, event_body, register

State = dict[str, dict[str, Any]]


async def snapshot(client: httpx.AsyncClient, partner: dict[str, str], codes: list[str]) -> tuple[State, str]:
    answer = (await client.post("/v1/credit-status:batch", json={"usccs": codes}, headers=partner)).json()
    state = {
        i["uscc"]: {
            "status": i["status"],
            "grade": i["grade"],
            "score": i["score"],
            "lists": sorted(i["lists"]),
        }
        for i in answer["items"]
        if i["result"] == "found"
    }
    return state, answer["feed_cursor"]


def apply(state: State, change: dict[str, Any]) -> None:
    """A partner's replay: each change carries the new state, so applying it twice is harmless."""
    data, row = change["data"], state.setdefault(change["uscc"], {"lists": []})
    if change["kind"] == "enterprise_created":
        row.update(status=data["status"], grade=data["grade"], score=data["score"])
    elif change["kind"] in ("enterprise_updated", "enterprise_deregistered"):
        row["status"] = data["status"]
    elif change["kind"] == "grade_changed":
        row.update(grade=data["new_grade"], score=data["new_score"])
    elif change["kind"] == "listed":
        row["lists"] = sorted({*row["lists"], data["list"]})
    elif change["kind"] == "delisted":
        row["lists"] = sorted(set(row["lists"]) - {data["list"]})


async def follow(client: httpx.AsyncClient, partner: dict[str, str], after: str, state: State) -> str:
    seen: list[int] = []
    while True:
        page = (await client.get("/v1/changes", params={"after": after, "limit": 2}, headers=partner)).json()
        for change in page["items"]:
            apply(state, change)
            seen.append(change["seq"])
        if page["next_cursor"] == after:
            break
        after = page["next_cursor"]
    assert seen == sorted(set(seen)), "a change came twice or out of order"
    return after


async def test_snapshot_plus_feed_equals_a_fresh_snapshot(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg, partner = tokens(Role.regulator), tokens(Role.partner)
    codes = [code(n) for n in range(1, 6)]
    for c in codes[:3]:
        await register(registry, reg, c)
    await registry.post(f"/v1/enterprises/{codes[0]}/credit-events", json=event_body("S-1"), headers=reg)
    state, cursor = await snapshot(registry, partner, codes)
    assert set(state) == set(codes[:3])

    await register(registry, reg, codes[3])
    await registry.post(
        f"/v1/enterprises/{codes[1]}/credit-events", json=event_body("S-2", severity="major"), headers=reg
    )
    await propose(registry, reg, red_body(codes[2]))
    await blacklist(registry, reg, clock, codes[1])
    await registry.patch(f"/v1/enterprises/{codes[3]}", json={"status": "deregistered"}, headers=reg)
    await register(registry, reg, codes[4])
    await blacklist(registry, reg, clock, codes[2], decision_no="南市监罚〔2026〕9号")  # ends its red listing

    cursor = await follow(registry, partner, cursor, state)
    fresh, fresh_cursor = await snapshot(registry, partner, codes)
    assert state == fresh
    assert fresh[codes[2]]["lists"] == ["black"]
    assert cursor == fresh_cursor
    empty = (await registry.get("/v1/changes", params={"after": cursor}, headers=partner)).json()
    assert empty["items"] == [] and empty["next_cursor"] == cursor


async def test_feed_and_audit_stay_ordered_under_concurrent_writers(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens
) -> None:
    reg = tokens(Role.regulator)
    codes = [code(n) for n in range(10, 18)]
    for c in codes:
        await register(registry, reg, c)
    answers = await asyncio.gather(
        *(
            registry.post(
                f"/v1/enterprises/{c}/credit-events",
                json=event_body(f"P-{i}-{k}", severity="minor"),
                headers=reg,
            )
            for i, c in enumerate(codes)
            for k in range(3)
        )
    )
    assert all(a.status_code == 201 for a in answers)
    changes = (await registry.get("/v1/changes", params={"limit": 1000}, headers=reg)).json()["items"]
    seqs = [c["seq"] for c in changes]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert sum(c["kind"] == "grade_changed" for c in changes) == len(codes) * 3
    assert seqs[0] == 1  # numbered from 1 (the registrations first), no gap
    async with registry_app.state.sessions() as session:
        checked, broken = await ledger.verify_chains(session)
    # registered, 3 events, 3 grade changes; and each risk-class change (on the feed too)
    risk_changes = sum(c["kind"] == "risk_class_changed" for c in changes)
    assert risk_changes >= len(codes)  # at least the first class of each
    assert broken is None and checked == len(codes) * (1 + 3 + 3) + risk_changes
    trail = (await registry.get("/v1/audit", params={"uscc": codes[0], "limit": 500}, headers=reg)).json()
    versions = [e["version"] for e in trail["items"]]
    assert versions == list(range(1, len(versions) + 1)) and len(versions) >= 8  # one chain per enterprise


async def test_every_partner_lookup_is_logged_with_its_purpose(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    await register(registry, reg, code(2))
    partner = tokens(Role.partner, subject="gov-procurement-nanning")
    no_purpose = {k: v for k, v in partner.items() if k != "X-Purpose"}
    refused = await registry.post("/v1/credit-status:batch", json={"usccs": [code(1)]}, headers=no_purpose)
    assert refused.status_code == 422 and "X-Purpose" in refused.json()["detail"]
    assert (await registry.get(f"/v1/enterprises/{code(1)}/credit", headers=no_purpose)).status_code == 422
    chinese = {**partner, "X-Purpose": "%E6%8B%9B%E6%A0%87%E9%A1%B9%E7%9B%AE%20ZB-7"}  # 招标项目 ZB-7
    await registry.post("/v1/credit-status:batch", json={"usccs": [code(1), code(2), "bad"]}, headers=partner)
    await registry.get(f"/v1/enterprises/{code(2)}/credit", headers=chinese)
    await registry.get("/v1/changes", headers=partner)
    await registry.get(f"/v1/enterprises/{code(1)}/credit")  # the public: not a partner lookup

    log = (
        await registry.get("/v1/access-log", params={"partner": "gov-procurement-nanning"}, headers=reg)
    ).json()["items"]
    assert [(e["lookup"], e["code_count"]) for e in log] == [("feed", 2), ("single", 1), ("batch", 2)]
    assert log[1]["purpose"] == "招标项目 ZB-7" and log[2]["purpose"] == "procurement TEST-2026-001"
    about_2 = (await registry.get("/v1/access-log", params={"uscc": code(2)}, headers=reg)).json()["items"]
    assert [e["lookup"] for e in about_2] == ["feed", "single", "batch"]
    own = await registry.get(
        f"/v1/enterprises/{code(1)}/access-log", headers=tokens(Role.enterprise, uscc=code(1))
    )
    assert [e["lookup"] for e in own.json()["items"]] == ["feed", "batch"]
    other = await registry.get(
        f"/v1/enterprises/{code(1)}/access-log", headers=tokens(Role.enterprise, uscc=code(2))
    )
    assert other.status_code == 403
    assert (await registry.get("/v1/access-log", headers=partner)).status_code == 403


async def test_audit_trail_records_and_a_tampered_row_is_named(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, backend: Backend
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    event = (
        await registry.post(f"/v1/enterprises/{code(1)}/credit-events", json=event_body("A-1"), headers=reg)
    ).json()
    await registry.post(
        f"/v1/credit-events/{event['id']}/revocation", json={"reason": "复议撤销"}, headers=reg
    )
    trail = (await registry.get("/v1/audit", params={"uscc": code(1)}, headers=reg)).json()["items"]
    assert [e["action"] for e in trail] == [
        "enterprise.registered",
        "risk_class.changed",  # first class: A
        "credit_event.recorded",
        "grade.changed",
        "risk_class.changed",  # grade C: class B
        "credit_event.revoked",
        "grade.changed",
        "risk_class.changed",  # back to A
    ]
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(trail))
    assert [e["version"] for e in trail] == list(range(1, 9)) and {e["chain"] for e in trail} == {code(1)}
    assert (await registry.get("/v1/audit", headers=tokens(Role.partner))).status_code == 403

    env = {
        **os.environ,
        "REGISTRY_DATABASE_URL": backend.registry_url,
        "REGISTRY_DATA_DIR": str(registry_app.state.settings.data_dir),
    }

    async def qcr(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "services.cli.main", *args]
        return await asyncio.to_thread(
            subprocess.run, command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    signed = await qcr("audit", "checkpoint")
    assert signed.returncode == 0, signed.stdout + signed.stderr
    head = (await registry.get("/v1/audit/head")).json()
    assert (head["tree_size"], head["chains"]) == (8, 1) and len(head["root"]) == 64 and head["signature"]
    intact = await qcr("audit", "verify")
    assert (
        intact.returncode == 0
        and "intact: 8 entries" in intact.stdout
        and "1 signed checkpoints" in intact.stdout
    )
    async with registry_app.state.engine.begin() as conn:  # behind the service's back
        await conn.execute(
            text("UPDATE audit_entry SET actor = 'regulator:someone-else' WHERE chain = :c AND version = 2"),
            {"c": code(1)},
        )
    broken = await qcr("audit", "verify")
    assert broken.returncode == 1
    assert f"chain '{code(1)}', entry 2" in broken.stdout and "edited" in broken.stdout
