import asyncio
import json
import uuid
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import delete, select, update

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.common.workdays import load_calendar
from services.complaints.cases.models import Complaint
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
    # Only the category code crosses to the registry, never text a person typed.
    assert message.payload["summary"] == "complaint: food_safety"
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


async def test_duplicate_reports_are_linked_for_handlers_and_never_told_to_the_public(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    handler = tokens(Role.handler)

    async def linked(case: dict[str, str]) -> str | None:
        detail = await complaints.get(f"/v1/complaints/{case['id']}", headers=handler)
        return detail.json()["duplicate_of"]

    first = await _file(complaints, kind="report", reporter=None)
    # The enterprise itself could file this one to probe for reports against it: the public answer
    # must not differ from the one for a first report, and must not name the other case.
    second = await _file(complaints, kind="report", reporter=None)
    assert "duplicate_of" not in second and first["id"] not in json.dumps(second)
    assert set(second) == set(first)
    other_category = await _file(complaints, kind="report", reporter=None, category="measurement")
    own_dispute = await _file(complaints)
    assert await linked(first) is None
    assert await linked(second) == first["id"]
    assert await linked(other_category) is None and await linked(own_dispute) is None
    tracked = await complaints.get(f"/v1/complaints/track/{second['tracking_code']}")
    assert first["id"] not in tracked.text and "duplicate" not in tracked.text
    clock.advance(timedelta(days=31))
    later = await _file(complaints, kind="report", reporter=None)
    assert await linked(later) is None
    listed = (await complaints.get("/v1/complaints", headers=handler)).json()["items"]
    assert len(listed) == 5
    assert {c["id"]: c["duplicate_of"] for c in listed}[second["id"]] == first["id"]


async def test_stats_count_and_closure_rate(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    handler = tokens(Role.handler)
    quick = await _file(complaints)
    await _file(complaints, channel="12365", category="measurement")
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
    empty = await complaints.get(
        "/v1/stats", params={"from": "2026-12-01", "to": "2026-11-01"}, headers=handler
    )
    assert empty.status_code == 200
    assert empty.json()["by_status"] == {} and empty.json()["due"] == 0
    assert empty.json()["closure_rate"] is None
    bad = await complaints.get("/v1/stats", params={"from": "2026-02-30"}, headers=handler)
    assert bad.status_code == 422 and "not a calendar day" in bad.json()["detail"]


async def test_a_findings_category_is_a_code_and_is_what_the_registry_reads(
    complaints: httpx.AsyncClient, complaints_app: FastAPI, tokens: Tokens
) -> None:
    handler = tokens(Role.handler)
    case = await _file(complaints)
    await move(complaints, handler, case["id"], "accept", "investigate")
    url = f"/v1/complaints/{case['id']}/transitions"
    free_text = {"action": "substantiate", "finding": {"severity": "minor", "category": "虚假宣传，夸大功效"}}
    refused = await complaints.post(url, json=free_text, headers=handler)
    assert refused.status_code == 422 and "'advertising'" in refused.json()["detail"]
    coded = {"action": "substantiate", "finding": {"severity": "minor", "category": "advertising"}}
    done = await complaints.post(url, json=coded, headers=handler)
    assert done.status_code == 200, done.text
    assert done.json()["finding"] == {"severity": "minor", "category": "advertising"}
    async with complaints_app.state.sessions() as session:
        message = (await session.execute(select(OutboxMessage))).scalar_one()
    assert message.payload["summary"] == "complaint: advertising"


PILOT = "91350100M0001TGQXM"  # a legal early pilot code that fails the check characters


async def test_a_case_without_a_resolved_code_cannot_be_substantiated_until_a_handler_matches_it(
    complaints: httpx.AsyncClient, complaints_app: FastAPI, tokens: Tokens
) -> None:
    handler = tokens(Role.handler)
    case = await _file(
        complaints, kind="report", reporter=None, target_uscc=None, target_name="福州某试点企业"
    )
    await move(complaints, handler, case["id"], "accept", "investigate")
    url = f"/v1/complaints/{case['id']}"
    finding = {"action": "substantiate", "finding": {"severity": "major"}}
    # It would never become a credit event: refused, saying what to do.
    refused = await complaints.post(f"{url}/transitions", json=finding, headers=handler)
    assert refused.status_code == 409, refused.text
    assert refused.json()["missing"] == "target_uscc" and "/target" in refused.json()["detail"]
    assert (await complaints.get(url, headers=handler)).json()["status"] == "investigating"
    # A pilot code fails the check: only with a reason on record.
    unchecked = await complaints.put(f"{url}/target", json={"target_uscc": PILOT}, headers=handler)
    assert unchecked.status_code == 422 and "check" in unchecked.json()["detail"]
    matched = await complaints.put(
        f"{url}/target",
        json={"target_uscc": PILOT.lower(), "check_override_reason": "早期试点代码，登记机关确认有效"},
        headers=handler,
    )
    assert matched.status_code == 200, matched.text
    body = matched.json()
    assert body["target_uscc"] == PILOT and body["target_name"] == "福州某试点企业"
    assert (
        body["transitions"][-1]["action"] == "set_target"
        and "早期试点代码" in body["transitions"][-1]["note"]
    )
    done = await complaints.post(f"{url}/transitions", json=finding, headers=handler)
    assert done.status_code == 200 and done.json()["feed_status"] == "pending"
    async with complaints_app.state.sessions() as session:
        message = (await session.execute(select(OutboxMessage))).scalar_one()
    assert message.uscc == PILOT
    track = (await complaints.get(f"/v1/complaints/track/{case['tracking_code']}")).json()
    assert [s["status"] for s in track["steps"]] == ["received", "accepted", "investigating", "substantiated"]
    assert PILOT not in json.dumps(track)


async def test_matching_a_substantiated_case_queues_or_redirects_its_credit_event(
    complaints: httpx.AsyncClient, complaints_app: FastAPI, tokens: Tokens
) -> None:
    handler = tokens(Role.handler)
    case = await _file(complaints)
    await move(complaints, handler, case["id"], "accept", "investigate", "substantiate")
    url = f"/v1/complaints/{case['id']}/target"
    # The registry parked it (unknown enterprise): the handler names the right one and it goes again.
    async with complaints_app.state.sessions() as session, session.begin():
        await session.execute(
            update(OutboxMessage).values(status="failed", last_error="registry answered 404")
        )
    moved = await complaints.put(url, json={"target_uscc": code(2)}, headers=handler)
    assert moved.status_code == 200 and moved.json()["feed_status"] == "pending"
    async with complaints_app.state.sessions() as session:
        message = (await session.execute(select(OutboxMessage))).scalar_one()
    assert message.uscc == code(2) and message.status == "pending"
    # Once delivered, the credit event is the registry's: changing the target is refused.
    async with complaints_app.state.sessions() as session, session.begin():
        await session.execute(update(OutboxMessage).values(status="sent"))
    late = await complaints.put(url, json={"target_uscc": code(3)}, headers=handler)
    assert late.status_code == 409 and "revoke" in late.json()["detail"]
    # A case substantiated before the rule (no code, no credit event) is queued once it is matched.
    legacy = await _file(complaints, kind="report", reporter=None)
    await move(complaints, handler, legacy["id"], "accept", "investigate", "substantiate", "close")
    async with complaints_app.state.sessions() as session, session.begin():
        await session.execute(
            delete(OutboxMessage).where(OutboxMessage.complaint_id == uuid.UUID(legacy["id"]))
        )
        await session.execute(
            update(Complaint).where(Complaint.id == uuid.UUID(legacy["id"])).values(target_uscc=None)
        )
    assert (await complaints.get(f"/v1/complaints/{legacy['id']}", headers=handler)).json()[
        "feed_status"
    ] is None
    queued = await complaints.put(
        f"/v1/complaints/{legacy['id']}/target", json={"target_uscc": code(1)}, headers=handler
    )
    assert queued.status_code == 200 and queued.json()["feed_status"] == "pending"
    assert queued.json()["status"] == "closed"
    # Handlers only.
    assert (await complaints.put(url, json={"target_uscc": code(2)})).status_code == 401
