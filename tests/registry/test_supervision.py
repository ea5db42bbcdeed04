"""Risk classes, double-random plans with a committed seed, inspectors, tasks and results."""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta

import httpx

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.registry.supervision.rules import load_rules
from tests.registry.supervision_support import add_inspectors, drawn_plan, plan_body, recompute, step
from tests.registry.test_lists import blacklist
from tests.registry.test_standards import enterprise, publish, standard_body
from tests.support import Tokens, code, event_body, register


def test_the_risk_class_is_a_function_of_grade_list_status_and_product_risk() -> None:
    rules = load_rules()
    assert rules.classify(grade="A", list_status="none", product_level="none").risk_class == "A"
    assert rules.classify(grade="A", list_status="none", product_level="high").risk_class == "B"
    assert rules.classify(grade="B", list_status="red", product_level="low").risk_class == "A"
    assert rules.classify(grade="C", list_status="none", product_level="medium").risk_class == "C"
    assert rules.classify(grade="C", list_status="none", product_level="high").risk_class == "D"
    # a black-listed enterprise is D whatever its points
    black = rules.classify(grade="A", list_status="black", product_level="none")
    assert black.risk_class == "D" and black.explanation[-1]["factor"] == "black_listed"


async def test_the_stored_risk_class_follows_grade_products_and_lists(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg, partner = tokens(Role.regulator), tokens(Role.partner)
    uscc = code(1)
    await register(registry, reg, uscc)
    url = f"/v1/risk-classes/{uscc}"
    assert (await registry.get(url, headers=partner)).json()["risk_class"] == "A"
    assert (await registry.get(url)).status_code == 401
    assert (await registry.get(url, headers=enterprise(tokens, 1))).status_code == 403

    await publish(registry, enterprise(tokens, 1), uscc, standard_body())  # 纯牛奶: 乳制品, high risk
    answer = (await registry.get(url, headers=partner)).json()
    assert (answer["risk_class"], answer["product_level"], answer["categories"]) == ("B", "high", ["乳制品"])
    assert {p["factor"]: p["points"] for p in answer["explanation"]} == {
        "grade": 0,
        "list": 0,
        "product_risk": 2,
    }

    recorded = await registry.post(f"/v1/enterprises/{uscc}/credit-events", json=event_body(), headers=reg)
    assert recorded.status_code == 201
    answer = (await registry.get(url, headers=partner)).json()
    assert (answer["grade"], answer["risk_class"]) == ("C", "D")

    filtered = (await registry.get("/v1/risk-classes", params={"class": "D"}, headers=reg)).json()
    assert [r["uscc"] for r in filtered["items"]] == [uscc]
    assert (await registry.get("/v1/risk-classes", params={"class": "A"}, headers=reg)).json()["items"] == []

    # partners see each change on the feed
    feed = (await registry.get("/v1/changes", params={"after": 0}, headers=partner)).json()["items"]
    changes = [c["data"]["new_class"] for c in feed if c["kind"] == "risk_class_changed"]
    assert changes == ["A", "B", "D"]

    other = code(2)
    await register(registry, reg, other)
    await blacklist(registry, reg, clock, other)
    listed = (await registry.get(f"/v1/risk-classes/{other}", headers=reg)).json()
    assert (listed["grade"], listed["list_status"], listed["risk_class"]) == ("A", "black", "D")


async def test_a_plan_is_drawn_with_a_committed_seed_and_reproducible_from_published_data_alone(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    reg = tokens(Role.regulator)
    for n in range(1, 41):
        await register(registry, reg, code(n))
    for n in (1, 2, 3):  # three C-grade (a severe failure), so class B
        await registry.post(
            f"/v1/enterprises/{code(n)}/credit-events", json=event_body(f"抽〔2026〕{n}号"), headers=reg
        )
    await register(registry, reg, code(99, "350100"))  # out of the plan's region
    pool = await add_inspectors(registry, reg, 4)

    created = await registry.post("/v1/inspection-plans", json=plan_body(pool), headers=reg)
    assert created.status_code == 201, created.text
    plan = created.json()
    assert plan["status"] == "draft" and plan["seed_sha256"] is None
    approved = (await registry.post(f"/v1/inspection-plans/{plan['id']}/approval", headers=reg)).json()
    assert (
        approved["status"] == "approved" and approved["seed"] is None and len(approved["seed_sha256"]) == 64
    )
    assert approved["candidate_count"] == 40
    # A-class at 3 %, B-class at 5 % (rounded up), and never below 3 % overall (Order 101 Art. 4)
    assert approved["quotas"] == {"A": math.ceil(0.03 * 37), "B": 1, "C": 0, "D": 0}
    assert sum(approved["quotas"].values()) >= math.ceil(0.03 * 40)
    # the commitment is public from approval on; the seed is not
    public = (await registry.get(f"/v1/inspection-plans/{plan['id']}/results")).json()
    assert public["seed_sha256"] == approved["seed_sha256"] and public["seed"] is None
    before = (await registry.get(f"/v1/inspection-plans/{plan['id']}/candidates", headers=reg)).json()
    assert before["seed"] is None and before["chosen"] is None
    # before the draw the candidate list is the regulators' only
    candidates_url = f"/v1/inspection-plans/{plan['id']}/candidates"
    assert (await registry.get(candidates_url)).status_code == 401
    assert (await registry.get(candidates_url, headers=tokens(Role.partner))).status_code == 403

    drawn = (await registry.post(f"/v1/inspection-plans/{plan['id']}/draw", headers=reg)).json()
    assert drawn["status"] == "drawn" and drawn["seed_sha256"] == approved["seed_sha256"]
    assert (await registry.post(f"/v1/inspection-plans/{plan['id']}/draw", headers=reg)).status_code == 409

    # published data alone, fetched without a token: the commitment as published at approval (above,
    # `public`), the candidate list with its strata, the quotas and the seed; recomputed here with
    # hashlib only, not the registry's code
    published = (await registry.get(candidates_url)).json()
    seed = published["seed"]
    assert hashlib.sha256(seed.encode()).hexdigest() == public["seed_sha256"]
    lines = sorted(f"{c['uscc']}:{c['risk_class']}" for c in published["candidates"])
    assert hashlib.sha256("\n".join(lines).encode()).hexdigest() == public["candidates_sha256"]
    assert len(lines) == public["candidate_count"] and published["quotas"] == public["quotas"]
    by_hand = []
    for stratum in sorted({c["risk_class"] for c in published["candidates"]}):
        members = sorted(
            (c["uscc"] for c in published["candidates"] if c["risk_class"] == stratum),
            key=lambda u: hashlib.sha256(f"{seed}:{u}".encode()).hexdigest(),
        )
        by_hand += members[: published["quotas"][stratum]]
    assert by_hand == published["chosen"] == drawn["chosen"]
    assert recompute(seed, published["candidates"], published["quotas"]) == drawn["chosen"]
    assert set(published) == {
        "plan_id",
        "method",
        "seed_sha256",
        "seed",
        "quotas",
        "candidates_sha256",
        "candidates",
        "chosen",
    }
    assert all(set(c) == {"uscc", "risk_class"} for c in published["candidates"])

    tasks = (await registry.get("/v1/inspection-tasks", params={"plan_id": plan["id"]}, headers=reg)).json()
    assert sorted(t["uscc"] for t in tasks["items"]) == sorted(drawn["chosen"])
    assert all(len(set(t["inspectors"])) == 2 and set(t["inspectors"]) <= set(pool) for t in tasks["items"])
    audit = (await registry.get("/v1/audit", headers=reg)).json()["items"]
    actions = [a["action"] for a in audit if a["subject"] == plan["id"]]
    assert actions == ["inspection_plan.approved", "inspection_plan.drawn"]


async def test_inspectors_rotate_a_task_needs_two_and_a_class_rests_a_year(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    reg = tokens(Role.regulator)
    for n in range(1, 5):
        await register(registry, reg, code(n))
    for n in range(1, 4):  # milk makers: class B
        await publish(registry, enterprise(tokens, n), code(n), standard_body())
    pool = await add_inspectors(registry, reg, 2)
    elsewhere = await add_inspectors(registry, reg, 2, region="35", prefix="FJ")
    everyone = {"A": "1", "B": "1"}
    first = await drawn_plan(registry, reg, plan_body(pool, ratios=everyone))
    assert sorted(first["chosen"]) == [code(n) for n in range(1, 5)]

    second = (
        await registry.post(
            "/v1/inspection-plans",
            json=plan_body(pool + elsewhere, ratios=everyone, title="再抽"),
            headers=reg,
        )
    ).json()
    approved = (await registry.post(f"/v1/inspection-plans/{second['id']}/approval", headers=reg)).json()
    # the A-class enterprise was checked this year and rests; the three B-class ones are candidates
    assert approved["candidate_count"] == 3
    # but the two inspectors may not go back to them within the rotation period, and inspectors of
    # another region do not count: the draw refuses and writes nothing
    refused = await registry.post(f"/v1/inspection-plans/{second['id']}/draw", headers=reg)
    assert refused.status_code == 409 and "at least 2" in refused.json()["detail"]
    assert (await registry.get(f"/v1/inspection-plans/{second['id']}", headers=reg)).json()[
        "status"
    ] == "approved"
    tasks = await registry.get("/v1/inspection-tasks", params={"plan_id": second["id"]}, headers=reg)
    assert tasks.json()["items"] == []
    assert (
        await registry.post("/v1/inspection-plans", json=plan_body(pool[:1]), headers=reg)
    ).status_code == 422


async def test_a_failed_final_result_lowers_the_grade_and_a_pass_is_recorded(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg = tokens(Role.regulator)
    failing, passing, objecting = code(1), code(2), code(3)
    for uscc in (failing, passing, objecting):
        await register(registry, reg, uscc)
    pool = await add_inspectors(registry, reg, 2)
    plan = await drawn_plan(registry, reg, plan_body(pool, ratios={"A": "1"}))
    tasks = {
        t["uscc"]: t["id"]
        for t in (
            await registry.get("/v1/inspection-tasks", params={"plan_id": plan["id"]}, headers=reg)
        ).json()["items"]
    }
    for uscc, result in ((failing, "fail"), (passing, "pass"), (objecting, "fail")):
        assert (
            await step(
                registry,
                reg,
                tasks[uscc],
                step="sampled",
                sample_ref=f"YP-{uscc[-4:]}",
                product="纯牛奶",
                category="乳制品",
            )
        ).status_code == 200
        tested = await step(
            registry,
            reg,
            tasks[uscc],
            step="tested",
            result=result,
            severity="severe",
            findings="蛋白质不达标",
        )
        assert tested.status_code == 200, tested.text

    # a pass is final at once, with no credit event; it is on the audit trail
    passed = (await registry.get(f"/v1/inspection-tasks/{tasks[passing]}", headers=reg)).json()
    assert (passed["status"], passed["final_result"], passed["credit_event_id"]) == ("final", "pass", None)
    assert any(
        a["action"] == "inspection.passed"
        for a in (await registry.get("/v1/audit", params={"uscc": passing}, headers=reg)).json()["items"]
    )

    # a failure waits for the fifteen-day objection window (抽查办法第三十六条)
    assert (await step(registry, reg, tasks[failing], step="final")).status_code == 409
    assert (await registry.get(f"/v1/enterprises/{failing}/credit")).json()["grade"] == "A"
    objected = await step(
        registry, reg, tasks[objecting], step="objection", objection="对检验结论有异议，申请复检"
    )
    assert objected.status_code == 200
    clock.advance(timedelta(days=16))
    final = await step(registry, reg, tasks[failing], step="final")
    assert final.status_code == 200, final.text
    credit = (await registry.get(f"/v1/enterprises/{failing}/credit")).json()
    assert credit["grade"] == "C"
    [event] = [e for e in credit["explanation"] if e.get("kind") == "spot_check_failed"]
    assert event["source_ref"] == f"inspection-task:{tasks[failing]}"
    # the retest is final (第四十二条): here it passes, so no event
    retested = await step(registry, reg, tasks[objecting], step="retested", result="pass")
    assert retested.json()["final_result"] == "pass" and retested.json()["credit_event_id"] is None
    assert (await registry.get(f"/v1/enterprises/{objecting}/credit")).json()["grade"] == "A"

    # published (一公开): anyone reads the final results of the plan
    results = (await registry.get(f"/v1/inspection-plans/{plan['id']}/results")).json()
    assert {r["uscc"]: r["final_result"] for r in results["results"]} == {
        failing: "fail",
        passing: "pass",
        objecting: "pass",
    }
    assert results["publish_within_working_days"] == 20
