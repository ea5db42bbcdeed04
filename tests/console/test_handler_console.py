"""The handler console without a browser: the queue's filters, the case page, transitions with
notes and findings, the paused clock, duplicates and the statistics chart."""

from __future__ import annotations

import re

import httpx

from tests.complaints.rewards_support import concluded_report, record
from tests.console_support import csrf_of, sign_in
from tests.oidc_provider import Provider
from tests.support import Tokens, code, complaint_body


async def _file(console: httpx.AsyncClient, **over: object) -> dict:
    answer = await console.post("/v1/complaints", json=complaint_body(**over))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def _act(console: httpx.AsyncClient, case_id: str, **fields: str) -> httpx.Response:
    page = await console.get(f"/console/cases/{case_id}")
    return await console.post(
        f"/console/cases/{case_id}/transitions", data={"csrf": csrf_of(page.text), **fields}
    )


def _rows(page: str) -> int:
    return len(re.findall(r'<tr class="case">', page))


async def test_the_queue_filters_by_status_channel_category_and_deadline(
    console: httpx.AsyncClient, provider: Provider
) -> None:
    milk = await _file(console)
    await _file(console, channel="web", category="measurement", description="电子秤缺斤短两，商家拒不承认。")
    await sign_in(console, provider, "zhang")
    assert _rows((await console.get("/console/")).text) == 2
    assert _rows((await console.get("/console/", params={"channel": "web"})).text) == 1
    assert _rows((await console.get("/console/", params={"category": "food_safety"})).text) == 1
    assert _rows((await console.get("/console/", params={"status": "accepted"})).text) == 0
    assert (await _act(console, milk["id"], action="accept")).status_code == 303
    accepted = (await console.get("/console/", params={"status": "accepted"})).text
    assert _rows(accepted) == 1 and "已受理" in accepted
    # Nothing is overdue yet; both are due within this week's window or later, coloured by urgency.
    assert _rows((await console.get("/console/", params={"overdue": "1"})).text) == 0
    queue = (await console.get("/console/")).text
    assert re.search(r'class="due (soon|week|later)"', queue)
    # An unknown filter value is ignored, never an error.
    assert (await console.get("/console/", params={"status": "nonsense"})).status_code == 200


async def test_a_handler_works_a_case_from_acceptance_to_a_substantiated_finding(
    console: httpx.AsyncClient, provider: Provider
) -> None:
    case = await _file(console)
    await sign_in(console, provider, "zhang")
    page = await console.get(f"/console/cases/{case['id']}")
    assert page.status_code == 200
    for secret in ("王小明", "13800138000", "wxm@example.cn"):
        assert secret in page.text  # the reporter's details, for handlers
    assert "已接收" in page.text
    assert (await _act(console, case["id"], action="accept", note="材料齐全，予以受理")).status_code == 303
    assert (await _act(console, case["id"], action="investigate")).status_code == 303
    paused = await _act(console, case["id"], action="pause", note="送检")
    assert paused.status_code == 303 and paused.headers["location"].endswith("?done=pause")
    page = (await console.get(paused.headers["location"])).text
    assert 'id="paused-since"' in page and "已办理：暂停计时" in page
    assert (await _act(console, case["id"], action="resume")).status_code == 303
    # Substantiating needs a finding: the service's own refusal is shown on the page.
    refused = await _act(console, case["id"], action="substantiate")
    assert refused.status_code == 422 and 'id="refusal"' in refused.text
    done = await _act(console, case["id"], action="substantiate", severity="severe", note="抽检不合格")
    assert done.status_code == 303
    page = (await console.get(f"/console/cases/{case['id']}")).text
    assert "查证属实" in page and "抽检不合格" in page and "材料齐全，予以受理" in page
    assert page.count("handler:zhang") >= 5  # every step recorded with the signed-in person
    api = (await console.get(f"/v1/complaints/track/{case['tracking_code']}")).json()
    assert api["status"] == "substantiated"


async def test_duplicates_are_linked_both_ways(console: httpx.AsyncClient, provider: Provider) -> None:
    first = await _file(console, kind="report", target_uscc=code(3), description="仓库内有大量过期奶粉。")
    second = await _file(
        console,
        kind="report",
        target_uscc=code(3),
        description="该厂使用过期原料生产。",
        reporter={"name": "赵六", "phone": "13900000001"},
    )
    await sign_in(console, provider, "li")
    original = (await console.get(f"/console/cases/{first['id']}")).text
    assert second["tracking_code"] in original and "并入本件的重复件" in original
    duplicate = (await console.get(f"/console/cases/{second['id']}")).text
    assert first["tracking_code"] in duplicate and "本件为下列案件的重复件" in duplicate


async def test_the_statistics_page_draws_the_closure_rate_against_the_target(
    console: httpx.AsyncClient, provider: Provider
) -> None:
    await _file(console)
    await sign_in(console, provider, "zhang")
    page = await console.get("/console/stats", params={"lang": "en"})
    assert page.status_code == 200 and 'lang="en"' in page.text
    assert '<line class="target"' in page.text and "95.0%" in page.text
    assert page.text.count('<g class="month">') == 6
    assert "Closure rate" in page.text


async def test_an_unknown_case_is_a_not_found_page(console: httpx.AsyncClient, provider: Provider) -> None:
    await sign_in(console, provider, "zhang")
    answer = await console.get("/console/cases/00000000-0000-0000-0000-000000000000")
    assert answer.status_code == 404 and "未找到" in answer.text


async def test_a_case_page_shows_its_reward_once_one_is_recorded(
    console: httpx.AsyncClient, provider: Provider, tokens: Tokens
) -> None:
    report = await concluded_report(console, tokens)
    assert (await record(console, tokens, report["id"])).status_code == 201
    await sign_in(console, provider, "zhang")
    page = (await console.get(f"/console/cases/{report['id']}")).text
    assert 'id="reward"' in page and "拟奖励金额（元）" in page
