import asyncio
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.common.workdays import load_calendar
from services.complaints.outbox.models import OutboxMessage
from tests.support import Tokens, code, complaint_body, move


async def _file(client: httpx.AsyncClient, **over: object) -> dict[str, str]:
    response = await client.post("/v1/complaints", json=complaint_body(**over))
    assert response.status_code == 201, response.text
    return response.json()


async def test_full_path_and_outbox_row_without_personal_data(
    complaints: httpx.AsyncClient, complaints_app: FastAPI, tokens: Tokens, clock: FrozenClock
) -> None:
    handler = tokens(Role.handler)
    case = await _file(complaints)
    accepted = (await move(complaints, handler, case["id"], "accept")).json()
    # Received and accepted 2026-11-20 (Order 121): mediation ends 60 calendar days later (Art. 23).
    expected = load_calendar().add_calendar_days(clock.now().date(), 60).isoformat()
    assert accepted["deadlines"]["resolve_by"]["at"].startswith(expected)
    done = (
        await move(complaints, handler, case["id"], "investigate", "substantiate", severity="severe")
    ).json()
    assert done["status"] == "substantiated" and done["finding"]["severity"] == "severe"
    assert done["feed_status"] == "pending"
    assert [t["action"] for t in done["transitions"]] == ["accept", "investigate", "substantiate"]
    async with complaints_app.state.sessions() as session:
        message = (await session.execute(select(OutboxMessage))).scalar_one()
    assert message.uscc == code(1)
    assert message.payload["kind"] == "complaint_substantiated"
    assert message.payload["source_ref"] == case["id"] and message.payload["severity"] == "severe"
    assert "王小明" not in str(message.payload) and "13800138000" not in str(message.payload)
    closed = (await move(complaints, handler, case["id"], "close")).json()
    assert closed["status"] == "closed"
    track = (await complaints.get(f"/v1/complaints/track/{case['tracking_code']}")).json()
    assert [s["status"] for s in track["steps"]] == [
        "received",
        "accepted",
        "investigating",
        "substantiated",
        "closed",
    ]
    assert "内部备注" not in str(track)


async def test_illegal_transition_names_the_allowed_ones(
    complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    handler = tokens(Role.handler)
    case = await _file(complaints)
    response = await complaints.post(
        f"/v1/complaints/{case['id']}/transitions", json={"action": "close"}, headers=handler
    )
    assert response.status_code == 409
    problem = response.json()
    assert problem["current_status"] == "received"
    assert problem["allowed_actions"] == ["accept", "reject"]
    await move(complaints, handler, case["id"], "accept", "investigate")
    no_finding = await complaints.post(
        f"/v1/complaints/{case['id']}/transitions", json={"action": "substantiate"}, headers=handler
    )
    assert no_finding.status_code == 422 and "finding" in no_finding.json()["detail"]


async def test_only_handlers_move_cases(complaints: httpx.AsyncClient, tokens: Tokens) -> None:
    case = await _file(complaints)
    url = f"/v1/complaints/{case['id']}/transitions"
    assert (await complaints.post(url, json={"action": "accept"})).status_code == 401
    assert (
        await complaints.post(url, json={"action": "accept"}, headers=tokens(Role.regulator))
    ).status_code == 401  # a registry token: wrong audience
    regulator = tokens(Role.regulator, audience="complaints")
    assert (await complaints.post(url, json={"action": "accept"}, headers=regulator)).status_code == 403
    assert (await complaints.get(f"/v1/complaints/{case['id']}", headers=regulator)).status_code == 403
    assert (await complaints.get("/v1/complaints", headers=tokens(Role.partner))).status_code == 401


async def test_concurrent_transitions_cannot_both_win(complaints: httpx.AsyncClient, tokens: Tokens) -> None:
    handler = tokens(Role.handler)
    case = await _file(complaints)
    url = f"/v1/complaints/{case['id']}/transitions"
    answers = await asyncio.gather(
        complaints.post(url, json={"action": "accept"}, headers=handler),
        complaints.post(url, json={"action": "reject"}, headers=handler),
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    detail = (await complaints.get(f"/v1/complaints/{case['id']}", headers=handler)).json()
    assert len(detail["transitions"]) == 1


async def test_report_deadline_extends_once(complaints: httpx.AsyncClient, tokens: Tokens) -> None:
    handler = tokens(Role.handler)
    report = await _file(complaints, kind="report", reporter=None)
    first_due = report["deadlines"]["accept_by"]["at"]
    extended = (await move(complaints, handler, report["id"], "extend")).json()
    assert extended["deadlines"]["extended"] is True and extended["deadlines"]["accept_by"]["at"] > first_due
    again = await complaints.post(
        f"/v1/complaints/{report['id']}/transitions", json={"action": "extend"}, headers=handler
    )
    assert again.status_code == 409
    case = await _file(complaints)
    refused = await complaints.post(
        f"/v1/complaints/{case['id']}/transitions", json={"action": "extend"}, headers=handler
    )
    assert refused.status_code == 409 and "only a report" in refused.json()["detail"]


async def test_overdue_cases_are_listed(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    handler = tokens(Role.handler)
    late = await _file(complaints)
    on_time = await _file(complaints)
    clock.advance(timedelta(days=3))
    await move(complaints, handler, on_time["id"], "accept")
    clock.advance(timedelta(days=10))
    overdue = (await complaints.get("/v1/complaints", params={"overdue": "true"}, headers=handler)).json()
    assert [c["id"] for c in overdue["items"]] == [late["id"]]
    assert overdue["items"][0]["overdue"] is True
    listed = (await complaints.get("/v1/complaints", params={"status": "accepted"}, headers=handler)).json()
    assert [c["id"] for c in listed["items"]] == [on_time["id"]]


async def test_duplicate_reports_are_linked_not_dropped(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    first = await _file(complaints, kind="report", reporter=None)
    second = await _file(complaints, kind="report", reporter=None)
    other_category = await _file(complaints, kind="report", reporter=None, category="计量")
    own_dispute = await _file(complaints)
    assert first["duplicate_of"] is None
    assert second["duplicate_of"] == first["id"]
    assert other_category["duplicate_of"] is None and own_dispute["duplicate_of"] is None
    clock.advance(timedelta(days=31))
    later = await _file(complaints, kind="report", reporter=None)
    assert later["duplicate_of"] is None
    handler = tokens(Role.handler)
    listed = (await complaints.get("/v1/complaints", headers=handler)).json()["items"]
    assert len(listed) == 5


async def test_stats_count_and_closure_rate(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    handler = tokens(Role.handler)
    quick = await _file(complaints)
    await _file(complaints, channel="12365", category="计量")
    await move(complaints, handler, quick["id"], "reject")
    clock.advance(timedelta(days=20))
    stats = await complaints.get(
        "/v1/stats",
        params={"from": "2026-11-01", "to": "2026-12-31"},
        headers=tokens(Role.regulator, audience="complaints"),
    )
    assert stats.status_code == 200, stats.text
    body = stats.json()
    assert body["by_channel"] == {"12315": 1, "12365": 1}
    assert body["by_status"] == {"rejected": 1, "received": 1}
    assert body["due"] == 2 and body["concluded_within_deadline"] == 1
    assert body["closure_rate"] == 0.5 and body["overdue"] == 1
    assert (await complaints.get("/v1/stats", headers=tokens(Role.partner))).status_code == 401
    bad = await complaints.get(
        "/v1/stats", params={"from": "2026-12-01", "to": "2026-11-01"}, headers=handler
    )
    assert bad.status_code == 422
