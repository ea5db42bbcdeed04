"""Early warning: the signal test, complaint aggregates across the services, warnings and notices."""

from __future__ import annotations

import json
import math
import time
from datetime import timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from services.common.clock import FrozenClock
from services.common.devkeys import REGISTRY_ISSUER, REGISTRY_KEY_NAME, keys_dir
from services.common.roles import Role
from services.registry.database import load_models
from services.registry.standards.recheck import recheck_all
from services.registry.standards.reference import REFERENCE_FILE, load_reference
from services.registry.warnings import job
from services.registry.warnings.signals import evaluate, load_thresholds, poisson_upper_tail
from services.registry.warnings.sources import service_token
from tests.registry.supervision_support import add_inspectors, recompute
from tests.registry.test_standards import publish, standard_body
from tests.support import Tokens, code, complaint_body, event_body, register

REPORTER = {"name": "李秘密", "phone": "13912345678", "email": "secret@example.cn"}
DESCRIPTION = "独特描述：奶粉结块发臭，孩子喝后腹泻"


def test_the_poisson_upper_tail_and_the_thresholds() -> None:
    assert math.isclose(poisson_upper_tail(1, 2.0), 1 - math.exp(-2.0))
    assert math.isclose(poisson_upper_tail(3, 1.0), 1 - math.exp(-1) * (1 + 1 + 0.5))
    assert poisson_upper_tail(0, 5.0) == 1.0
    thresholds = load_thresholds()
    # below the minimum count nothing fires, however quiet the baseline
    assert evaluate(4, [0] * 8, kind="complaints", thresholds=thresholds) is None
    # eight against a baseline of zero (λ floored at 0.5): red
    fired = evaluate(8, [0] * 8, kind="complaints", thresholds=thresholds)
    assert fired is not None and fired.level == "red" and fired.p_value < 1e-4
    # the same count against its usual level is not a signal
    assert evaluate(8, [7, 9, 8, 6, 8, 10, 7, 9], kind="complaints", thresholds=thresholds) is None


def registry_token(data_dir: object, now: float) -> dict[str, str]:
    key_file = keys_dir(data_dir) / f"{REGISTRY_KEY_NAME}.pem"  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {service_token(key_file, REGISTRY_ISSUER, now)}"}


async def test_complaint_aggregates_are_counts_only_and_for_the_registry_only(
    complaints: httpx.AsyncClient, tokens: Tokens, keys_dir: object, clock: FrozenClock
) -> None:
    for n in range(3):
        filed = await complaints.post(
            "/v1/complaints",
            json=complaint_body(
                target_uscc=code(n + 1, "450600"), reporter=REPORTER, description=DESCRIPTION
            ),
        )
        assert filed.status_code == 201, filed.text
    params = {"from": "2026-11-14", "to": "2026-11-20", "bucket_days": 7}
    url = "/v1/aggregates/complaints"
    assert (await complaints.get(url, params=params)).status_code == 401
    assert (await complaints.get(url, params=params, headers=tokens(Role.handler))).status_code == 403
    # the complaints service's own key does not make registry tokens
    assert (
        await complaints.get(url, params=params, headers=tokens(Role.service, audience="complaints"))
    ).status_code == 401
    answer = await complaints.get(url, params=params, headers=registry_token(keys_dir, time.time()))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["items"] == [
        {
            "bucket_start": "2026-11-14",
            "region": "4506",
            "category": "food_safety",
            "kind": "complaint",
            "count": 3,
        }
    ]
    assert REPORTER["name"] not in answer.text and "1391234" not in answer.text and "奶粉" not in answer.text


async def test_a_burst_of_complaints_raises_a_warning_assessed_published_and_turned_into_a_plan(
    registry: httpx.AsyncClient,
    registry_app: FastAPI,
    complaints: httpx.AsyncClient,
    complaints_app: FastAPI,
    tokens: Tokens,
    clock: FrozenClock,
) -> None:
    registry_app.state.complaints_transport = httpx.ASGITransport(app=complaints_app)
    reg, partner = tokens(Role.regulator), tokens(Role.partner)
    targets = [code(n, "450600") for n in (1, 2)]
    for uscc in targets:
        await register(registry, reg, uscc)
    await register(registry, reg, code(3, "450100"))
    pool = await add_inspectors(registry, reg, 2, region="4506")
    # a quiet baseline: one complaint five weeks ago; then a burst of eight this week
    await complaints.post("/v1/complaints", json=complaint_body(target_uscc=targets[0]))
    clock.advance(timedelta(days=35))
    for n in range(8):
        filed = await complaints.post(
            "/v1/complaints",
            json=complaint_body(
                target_uscc=targets[n % 2], reporter=REPORTER, description=f"{DESCRIPTION}{n}"
            ),
        )
        assert filed.status_code == 201
    # another category elsewhere stays quiet
    await complaints.post(
        "/v1/complaints", json=complaint_body(target_uscc=code(3, "450100"), category="电器安全")
    )

    run = await registry.post("/v1/signal-runs", headers=reg)
    assert run.status_code == 200, run.text
    assert run.json()["ran"] and run.json()["raised"] == 1 and run.json()["complaints_available"]
    assert (await registry.post("/v1/signal-runs", headers=reg)).json()["raised"] == 0  # once per window

    [warning] = (await registry.get("/v1/warnings", headers=reg)).json()["items"]
    assert (warning["signal"], warning["region"], warning["category"]) == ("complaints", "4506", "食品")
    assert warning["status"] == "open" and warning["level"] == "red" and warning["count"] == 8
    assert sum(warning["evidence"]["baseline_windows"].values()) == 1

    # nothing personal crossed: not in the warning, not anywhere in the registry's database
    assert REPORTER["name"] not in json.dumps(warning, ensure_ascii=False)
    async with registry_app.state.engine.connect() as conn:
        for table in load_models().sorted_tables:
            dump = json.dumps(
                [list(map(str, r)) for r in (await conn.execute(text(f'SELECT * FROM "{table.name}"')))],
                ensure_ascii=False,
            )
            for secret in (REPORTER["name"], REPORTER["phone"], REPORTER["email"], "奶粉结块"):
                assert secret not in dump, (table.name, secret)

    url = f"/v1/warnings/{warning['id']}"
    notice_body = {
        "authority": "防城港市市场监督管理局",
        "title_zh": "关于近期乳制品质量问题的消费提示",
        "body_zh": "近期我市乳制品投诉明显增多，请消费者注意查看生产日期和贮存条件。",
        "title_en": "Consumer notice: dairy products",
        "body_en": "Complaints about dairy products have risen sharply; check dates and storage.",
    }
    assert (
        await registry.post(f"{url}/notices", json=notice_body, headers=reg)
    ).status_code == 409  # not assessed
    assert (
        await registry.post(f"{url}/transitions", json={"action": "close"}, headers=reg)
    ).status_code == 409
    assessed = await registry.post(
        f"{url}/transitions", json={"action": "assess", "note": "区域性风险，需处置"}, headers=reg
    )
    assert assessed.json()["status"] == "assessed"

    published = await registry.post(f"{url}/notices", json=notice_body, headers=reg)
    assert published.status_code == 201, published.text
    notices = (await registry.get("/v1/risk-notices")).json()["items"]
    assert [n["title_en"] for n in notices] == ["Consumer notice: dairy products"]
    feed = (await registry.get("/v1/changes", params={"after": 0}, headers=partner)).json()["items"]
    announced = [(c["uscc"], c["data"]["title_zh"]) for c in feed if c["kind"] == "risk_notice_published"]
    assert sorted(announced) == [
        (u, notice_body["title_zh"]) for u in targets
    ]  # for each enterprise behind it
    page = await registry.get("/risk-notices")
    assert page.status_code == 200 and notice_body["title_zh"] in page.text
    assert notice_body["title_en"] in (await registry.get("/risk-notices", params={"lang": "en"})).text

    directed = await registry.post(
        f"{url}/directed-plan",
        json={"authority": "防城港市市场监督管理局", "inspector_pool": pool},
        headers=reg,
    )
    assert directed.status_code == 201, directed.text
    plan = directed.json()
    assert (
        plan["kind"] == "directed"
        and plan["warning_id"] == warning["id"]
        and sorted(plan["targets"]) == targets
    )
    approved = (await registry.post(f"/v1/inspection-plans/{plan['id']}/approval", headers=reg)).json()
    drawn = (await registry.post(f"/v1/inspection-plans/{plan['id']}/draw", headers=reg)).json()
    assert sorted(drawn["chosen"]) == targets  # a directed check takes every enterprise behind the warning
    candidates = (await registry.get(f"/v1/inspection-plans/{plan['id']}/candidates", headers=reg)).json()
    assert recompute(candidates["seed"], candidates["candidates"], approved["quotas"]) == drawn["chosen"]

    disposed = await registry.post(
        f"{url}/transitions", json={"action": "dispose", "measures": ["约谈企业负责人"]}, headers=reg
    )
    assert [m["kind"] for m in disposed.json()["measures"]] == ["notice", "directed_plan", "other"]
    closed = await registry.post(f"{url}/transitions", json={"action": "close"}, headers=reg)
    assert closed.json()["status"] == "closed"


async def test_the_signal_job_is_leased(
    registry: httpx.AsyncClient, registry_app: FastAPI, clock: FrozenClock
) -> None:
    state = registry_app.state
    async with state.sessions() as session, session.begin():
        assert await job._claim(
            session, holder="another-replica", now=clock.now(), lease=timedelta(minutes=5)
        )
    # while another replica holds the lease, a run skips (the complaints service is not even asked)
    skipped = await job.run_once(state.sessions, settings=state.settings, clock=clock)
    assert not skipped.ran
    clock.advance(timedelta(minutes=6))  # the holder crashed: its lease lapses
    unreachable = state.settings.model_copy(update={"complaints_url": "http://127.0.0.1:9"})
    ran = await job.run_once(state.sessions, settings=unreachable, clock=clock)
    assert ran.ran and not ran.complaints_available  # complaints down: the registry's own signals still ran


async def test_declarations_weaker_than_the_mandatory_values_raise_a_warning_and_pages_never_skip(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, clock: FrozenClock, tmp_path: Path
) -> None:
    """Four milk standards declaring lead ≤ 0.02 mg/kg, rechecked against stricter mandatory values
    (TEST DATA: ≤ 0.01) in one week; three substantiated complaints against one enterprise the same
    week: two warnings raised together."""
    reg = tokens(Role.regulator)
    declared = []
    for n in range(1, 5):
        await register(registry, reg, code(n))
        own = tokens(Role.enterprise, uscc=code(n))
        declared.append((await publish(registry, own, code(n), standard_body(f"Q/NNSP 000{n}S-2026")))["id"])
    stricter = tmp_path / "mandatory_values.toml"
    text = REFERENCE_FILE.read_text(encoding="utf-8").replace('version = "2026.1"', 'version = "2027.1"')
    stricter.write_text(text.replace('value = "0.02"', 'value = "0.01"'), encoding="utf-8")
    flagged = await recheck_all(
        registry_app.state.sessions, reference=load_reference(stricter), clock=clock, batch=10
    )
    assert flagged == 4
    await register(registry, reg, code(9))
    for n in range(3):
        recorded = await registry.post(
            f"/v1/enterprises/{code(9)}/credit-events",
            json=event_body(f"投诉〔2026〕{n}号", kind="complaint_substantiated", severity="minor"),
            headers=tokens(Role.service),
        )
        assert recorded.status_code == 201, recorded.text

    state = registry_app.state
    offline = state.settings.model_copy(update={"complaints_url": "http://127.0.0.1:9"})
    ran = await job.run_once(state.sessions, settings=offline, clock=clock)
    assert ran.ran and ran.raised == 2

    warnings = (await registry.get("/v1/warnings", headers=reg)).json()["items"]
    [weaker] = [w for w in warnings if w["signal"] == "weaker_declarations"]
    assert weaker["category"] == "乳制品" and weaker["count"] == 4
    # λ floored at 0.5 for a quiet baseline: P(X ≥ 4) ≈ 0.0018, yellow (≤ 0.01, above orange's 0.001)
    assert weaker["level"] == "yellow" and math.isclose(weaker["p_value"], poisson_upper_tail(4, 0.5))
    assert sorted(weaker["evidence"]["refs"]) == sorted(declared)  # the declarations behind it, by id

    # Both warnings carry the same raised_at: a page of one never skips nor repeats the other.
    assert len({w["raised_at"] for w in warnings}) == 1
    seen, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await registry.get("/v1/warnings", params=params, headers=reg)).json()
        seen += [w["id"] for w in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(w["id"] for w in warnings) and len(seen) == len(set(seen)) == 2
