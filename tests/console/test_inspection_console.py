"""The regulator's double-random inspections and standards spot checks in the console, without a
browser: a plan made from a form (a refusal of the service shown on the form, what was typed kept),
approved, drawn with its tasks and the public candidate list and seed; a task's results step by
step until it is final; a standards spot check committed, drawn, and a finding on a drawn one."""

from __future__ import annotations

import httpx

from services.common.roles import Role
from tests.console.test_registry_console import DAIRY, seed
from tests.console_support import csrf_of, sign_in
from tests.oidc_provider import Provider
from tests.registry.test_standards import standard_body
from tests.support import Tokens


async def inspectors(client: httpx.AsyncClient, tokens: Tokens, count: int = 2) -> list[str]:
    made = []
    for n in range(count):
        answer = await client.post(
            "/v1/inspectors",
            json={"name": f"检查员{n}", "badge_no": f"IC-{n}", "region": "45", "specialties": []},
            headers=tokens(Role.regulator),
        )
        assert answer.status_code == 201, answer.text
        made.append(answer.json()["id"])
    return made


def plan_form(token: str, pool: list[str], **over: object) -> dict[str, object]:
    return {
        "csrf": token,
        "title": "2026年第四季度双随机抽查",
        "authority": "南宁市市场监督管理局",
        "period_start": "2026-12-01",
        "period_end": "2026-12-31",
        "statuses": ["active"],
        **{f"ratio_{c}": "1" for c in "ABCD"},
        "inspector_pool": pool,
        **over,
    }


async def test_a_regulator_makes_approves_and_draws_a_plan_then_records_a_tasks_results(
    registry_console: httpx.AsyncClient, provider: Provider, tokens: Tokens
) -> None:
    client = registry_console
    await seed(client, tokens)
    pool = await inspectors(client, tokens)
    await sign_in(client, provider, "wang")
    plans = (await client.get("/console/plans")).text
    assert 'href="/console/plans/new"' in plans
    form = await client.get("/console/plans/new")
    assert form.status_code == 200 and "检查员0" in form.text and "乳制品" in form.text
    token = csrf_of(form.text)

    # The end before the start: the service's own rule refuses it, shown on the form, typing kept.
    refused = await client.post(
        "/console/plans", data=plan_form(token, pool, period_end="2026-11-01", note="季度计划")
    )
    assert refused.status_code == 422 and 'id="form-error"' in refused.text
    assert "period_end" in refused.text and "季度计划</textarea>" in refused.text
    assert f'value="{pool[0]}" checked' in refused.text
    one = await client.post("/console/plans", data=plan_form(token, pool[:1]))  # the schema: two at least
    assert one.status_code == 422 and "inspector_pool" in one.text
    assert (await client.get("/v1/inspection-plans", headers=tokens(Role.regulator))).json()["items"] == []

    made = await client.post("/console/plans", data=plan_form(token, pool))
    assert made.status_code == 303, made.text
    plan_path = made.headers["location"].split("?")[0]
    page = (await client.get(made.headers["location"])).text
    assert "计划草案已保存" in page and 'id="plan-status">草案<' in page and "双随机" in page
    approved = await client.post(f"{plan_path}/approval", data={"csrf": token})
    page = (await client.get(approved.headers["location"])).text
    assert (
        'id="plan-status">已批准<' in page and "公开的候选名单与随机种子" in page and 'id="seed"' not in page
    )
    drawn = await client.post(f"{plan_path}/draw", data={"csrf": token})
    page = (await client.get(drawn.headers["location"])).text
    assert 'id="plan-status">已抽取<' in page and 'id="seed"' in page and 'id="tasks"' in page
    assert DAIRY in page[page.find('id="candidates"') :]
    plan_id = plan_path.rsplit("/", 1)[1]
    api = (await client.get(f"/v1/inspection-plans/{plan_id}", headers=tokens(Role.regulator))).json()
    assert api["seed"] in page and api["status"] == "drawn"
    tasks = (
        await client.get("/v1/inspection-tasks", params={"plan_id": plan_id}, headers=tokens(Role.regulator))
    ).json()["items"]
    [task] = [t for t in tasks if t["uscc"] == DAIRY]
    assert f"/console/tasks/{task['id']}" in page

    task_path = f"/console/tasks/{task['id']}"
    page = (await client.get(task_path)).text
    assert 'id="task-status">已分派<' in page
    # A test result before the sample: the service says it is not the next step, on the form.
    early = await client.post(
        f"{task_path}/results", data={"csrf": token, "step": "tested", "result": "fail"}
    )
    assert early.status_code == 409 and 'id="form-error"' in early.text and "not the next step" in early.text
    no_ref = await client.post(f"{task_path}/results", data={"csrf": token, "step": "sampled"})
    assert no_ref.status_code == 422 and "sample_ref" in no_ref.text
    sampled = await client.post(
        f"{task_path}/results",
        data={"csrf": token, "step": "sampled", "sample_ref": "NN-2026-0001", "product": "纯牛奶"},
    )
    assert sampled.status_code == 303, sampled.text
    page = (await client.get(sampled.headers["location"])).text
    assert "已记录" in page and 'id="task-status">已抽样<' in page and "NN-2026-0001" in page
    tested = await client.post(
        f"{task_path}/results",
        data={"csrf": token, "step": "tested", "result": "fail", "findings": "蛋白质不合格"},
    )
    assert tested.status_code == 303, tested.text
    objected = await client.post(
        f"{task_path}/results", data={"csrf": token, "step": "objection", "objection": "申请复检"}
    )
    assert objected.status_code == 303, objected.text
    retested = await client.post(
        f"{task_path}/results", data={"csrf": token, "step": "retested", "result": "pass"}
    )
    assert retested.status_code == 303, retested.text
    page = (await client.get(retested.headers["location"])).text
    assert (
        'id="task-status">已办结<' in page
        and 'id="final-result">合格' in page
        and 'id="step-form"' not in page
    )
    assert (await client.post(f"{task_path}/results", data={"step": "final"})).status_code == 403  # no CSRF

    audit = (await client.get("/v1/audit", headers=tokens(Role.regulator), params={"limit": 500})).json()
    mine = [e for e in audit["items"] if plan_id in str(e) or task["id"] in str(e)]
    assert mine and all(e["actor"].startswith("regulator:wang") for e in mine)

    await sign_in(client, provider, "dairy")
    assert (await client.get(task_path)).status_code == 403
    assert (await client.get("/console/plans/new")).status_code == 403


async def test_a_regulator_commits_and_draws_a_standards_spot_check_and_records_a_finding(
    registry_console: httpx.AsyncClient, provider: Provider, tokens: Tokens
) -> None:
    client = registry_console
    await seed(client, tokens)
    declared = await client.post(
        f"/v1/enterprises/{DAIRY}/standards",
        json=standard_body(),
        headers=tokens(Role.enterprise, uscc=DAIRY),
    )
    assert declared.status_code == 201, declared.text
    standard_id = declared.json()["id"]
    await sign_in(client, provider, "wang")
    listed = await client.get("/console/samples")
    assert listed.status_code == 200 and "尚无抽查" in listed.text
    token = csrf_of(listed.text)
    refused = await client.post("/console/samples", data={"csrf": token, "n": "0", "product": "纯牛奶"})
    assert (
        refused.status_code == 422 and 'id="form-error"' in refused.text and 'value="纯牛奶"' in refused.text
    )
    committed = await client.post(
        "/console/samples", data={"csrf": token, "n": "1", "product": "纯牛奶", "note": "第四季度抽查"}
    )
    assert committed.status_code == 303, committed.text
    sample_path = committed.headers["location"].split("?")[0]
    page = (await client.get(committed.headers["location"])).text
    assert "候选已冻结" in page and 'id="sample-status">已承诺，待抽取<' in page and 'id="seed"' not in page
    assert sample_path in (await client.get("/console/samples")).text
    drawn = await client.post(f"{sample_path}/draw", data={"csrf": token})
    assert drawn.status_code == 303, drawn.text
    page = (await client.get(drawn.headers["location"])).text
    assert 'id="sample-status">已抽取<' in page and 'id="seed"' in page
    assert f"/console/standards/{standard_id}" in page[page.find('id="chosen"') :]
    again = await client.post(f"{sample_path}/draw", data={"csrf": token})
    assert again.status_code == 409 and 'id="form-error"' in again.text

    finding = await client.post(
        f"/console/standards/{standard_id}/findings",
        data={"csrf": token, "finding": "under_review", "reason": "抽查抽中，核查中"},
    )
    assert finding.status_code == 303, finding.text
    sample_id = sample_path.rsplit("/", 1)[1]
    audit = (await client.get("/v1/audit", headers=tokens(Role.regulator), params={"limit": 500})).json()
    mine = [e for e in audit["items"] if sample_id in str(e)]
    assert mine and all(e["actor"].startswith("regulator:wang") for e in mine)
