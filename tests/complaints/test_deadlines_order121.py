"""Dated scenarios for the complaint deadlines under Order 20 and Order 121 (rules.toml).

Every expected date below was counted by hand on the 2026 State Council notice
(国办发明电〔2025〕7号): the start day is not counted (Order 121 Art. 45), working days skip
weekends and holidays and count make-up days, a calendar-day period ending in a holiday ends on
the first day after it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx

from services.common.clock import FrozenClock
from services.common.roles import Role
from tests.support import Tokens, complaint_body, move

CHINA_MORNING = "T10:00:00+08:00"


def day_of(due: dict[str, object]) -> date:
    """The China-time day a deadline falls on (a deadline is 23:59:59 China time)."""
    at = datetime.fromisoformat(str(due["at"]))
    assert at.astimezone(UTC).time().isoformat() == "15:59:59", due
    return (at + timedelta(hours=8)).date()


def at_china(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00").astimezone(UTC)


async def file_platform_case(
    client: httpx.AsyncClient, handler: dict[str, str], received: str, **over: object
) -> dict:
    body = complaint_body(received_at=received, platform_ref="12315-2026-000123", **over)
    response = await client.post("/v1/complaints/intake", json=body, headers=handler)
    assert response.status_code == 201, response.text
    return response.json()


async def detail(client: httpx.AsyncClient, handler: dict[str, str], case_id: str) -> dict:
    response = await client.get(f"/v1/complaints/{case_id}", headers=handler)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_complaint_received_on_2026_09_30_before_national_day_is_due_on_10_15(
    complaints: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # Wed 30 Sep; 1–7 Oct off; Sat 10 Oct is a make-up working day: 8, 9, 10, 12, 13, 14, 15 Oct.
    clock.set(at_china("2026-09-30"))
    case = (await complaints.post("/v1/complaints", json=complaint_body())).json()
    accept = case["deadlines"]["accept_by"]
    assert day_of(accept) == date(2026, 10, 15)
    assert accept["provisional"] is False
    assert accept["legal_basis"].startswith("《市场监督管理投诉举报处理办法》第十五条")
    assert case["deadlines"]["rule_set"] == "order121" and case["deadlines"]["resolve_by"] is None


async def test_order20_case_received_2026_04_14_and_order121_case_received_2026_04_15(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    handler = tokens(Role.handler)
    clock.set(at_china("2026-04-20", 9))  # Monday; both cases are filed from the platform now
    # 23:30 on 14 April, China time, is still before Order 121 took effect (Art. 46).
    old = await file_platform_case(complaints, handler, "2026-04-14T23:30:00+08:00")
    new = await file_platform_case(complaints, handler, "2026-04-15T00:00:00+08:00")
    assert (old["deadlines"]["rule_set"], new["deadlines"]["rule_set"]) == ("order20", "order121")
    # Accept within 7 working days of receipt: Order 20 Art. 14 → Thu 23 Apr; Order 121 Art. 15 → Fri 24 Apr.
    assert day_of(old["deadlines"]["accept_by"]) == date(2026, 4, 23)
    assert "暂行办法》第十四条" in old["deadlines"]["accept_by"]["legal_basis"]
    assert day_of(new["deadlines"]["accept_by"]) == date(2026, 4, 24)
    assert "办法》第十五条" in new["deadlines"]["accept_by"]["legal_basis"]
    # Both accepted on Mon 20 Apr. Order 20 Art. 21(五): 45 working days → Thu 25 Jun.
    # Order 121 Art. 23(五): 60 calendar days → Fri 19 Jun, the Dragon Boat holiday (19–21 Jun),
    # so the period ends on the first day after it, Mon 22 Jun (Art. 45).
    old_accepted = (await move(complaints, handler, old["id"], "accept")).json()
    new_accepted = (await move(complaints, handler, new["id"], "accept")).json()
    assert day_of(old_accepted["deadlines"]["resolve_by"]) == date(2026, 6, 25)
    assert day_of(new_accepted["deadlines"]["resolve_by"]) == date(2026, 6, 22)
    assert "六十日" in new_accepted["deadlines"]["resolve_by"]["legal_basis"]
    assert "四十五个工作日" in old_accepted["deadlines"]["resolve_by"]["legal_basis"]
    listed = (await complaints.get("/v1/complaints", headers=handler)).json()["items"]
    assert {c["id"]: c["rule_set"] for c in listed} == {old["id"]: "order20", new["id"]: "order121"}


async def test_sixty_day_mediation_ending_on_an_ordinary_saturday_ends_that_saturday(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    # Weekends are not 法定节假日 (rules.toml): accepted Tue 21 Jul, day 60 is Sat 19 Sep.
    handler = tokens(Role.handler)
    clock.set(at_china("2026-07-21"))
    case = (await complaints.post("/v1/complaints", json=complaint_body())).json()
    accepted = (await move(complaints, handler, case["id"], "accept")).json()
    assert day_of(accepted["deadlines"]["resolve_by"]) == date(2026, 9, 19)


async def test_a_mediation_paused_for_testing_for_5_days_ends_5_days_later(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    handler = tokens(Role.handler)
    clock.set(at_china("2026-07-20"))  # accepted Mon 20 Jul: 60 days → Fri 18 Sep
    case = (await complaints.post("/v1/complaints", json=complaint_body())).json()
    accepted = (await move(complaints, handler, case["id"], "accept", "investigate")).json()
    assert day_of(accepted["deadlines"]["resolve_by"]) == date(2026, 9, 18)
    clock.set(at_china("2026-08-03"))
    paused = (await move(complaints, handler, case["id"], "pause")).json()
    assert paused["deadlines"]["paused_since"] is not None
    assert paused["allowed_actions"] == ["resume"]
    refused = await complaints.post(
        f"/v1/complaints/{case['id']}/transitions", json={"action": "substantiate"}, headers=handler
    )
    assert refused.status_code == 409 and refused.json()["allowed_actions"] == ["resume"]
    # While the clock is stopped the case is not overdue, even after its old deadline.
    clock.set(at_china("2026-09-25"))
    overdue = (await complaints.get("/v1/complaints?overdue=true", headers=handler)).json()["items"]
    assert overdue == []
    clock.set(at_china("2026-08-08"))  # the test report came back after 5 days
    resumed = (await move(complaints, handler, case["id"], "resume")).json()
    assert resumed["deadlines"]["paused_since"] is None
    assert day_of(resumed["deadlines"]["resolve_by"]) == date(2026, 9, 23)
    timeline = [(t["action"], t["at"][:10]) for t in resumed["transitions"]]
    assert ("pause", "2026-08-03") in timeline and ("resume", "2026-08-08") in timeline
    track = (await complaints.get(f"/v1/complaints/track/{case['tracking_code']}")).json()
    assert [s["status"] for s in track["steps"]] == ["received", "accepted", "investigating"]
    assert day_of(track["deadlines"]["resolve_by"]) == date(2026, 9, 23)


async def test_a_complaints_acceptance_clock_cannot_be_paused(
    complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    handler = tokens(Role.handler)
    case = (await complaints.post("/v1/complaints", json=complaint_body())).json()
    refused = await complaints.post(
        f"/v1/complaints/{case['id']}/transitions", json={"action": "pause"}, headers=handler
    )
    assert refused.status_code == 409 and "mediation" in refused.json()["detail"]


async def test_parties_told_within_7_working_days_after_mediation_ends_on_2026_09_30(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    handler = tokens(Role.handler)
    clock.set(at_china("2026-09-01"))
    case = (await complaints.post("/v1/complaints", json=complaint_body())).json()
    await move(complaints, handler, case["id"], "accept", "investigate")
    clock.set(at_china("2026-09-30"))
    ended = (await move(complaints, handler, case["id"], "unsubstantiate")).json()
    notify = ended["deadlines"]["notify_by"]
    assert day_of(notify) == date(2026, 10, 15) and "第二十三条第二款" in notify["legal_basis"]
    clock.set(at_china("2026-10-16"))
    assert (await detail(complaints, handler, case["id"]))["overdue"] is True
    told = (await move(complaints, handler, case["id"], "notify")).json()
    assert told["overdue"] is False and "notify" not in told["allowed_actions"]


async def test_a_violation_found_in_mediation_checked_in_15_working_days_extended_once(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    handler = tokens(Role.handler)
    clock.set(at_china("2026-10-30"))
    case = (await complaints.post("/v1/complaints", json=complaint_body())).json()
    await move(complaints, handler, case["id"], "accept")
    clock.set(at_china("2026-11-02"))  # Monday: 15 working days → Mon 23 Nov; +15 → Mon 14 Dec (Art. 27)
    flagged = (await move(complaints, handler, case["id"], "flag_violation")).json()
    assert day_of(flagged["deadlines"]["violation_check_by"]) == date(2026, 11, 23)
    extended = (await move(complaints, handler, case["id"], "extend_check")).json()
    assert day_of(extended["deadlines"]["violation_check_by"]) == date(2026, 12, 14)
    again = await complaints.post(
        f"/v1/complaints/{case['id']}/transitions", json={"action": "extend_check"}, headers=handler
    )
    assert again.status_code == 409


async def test_a_report_extended_once_then_opened_as_a_case_and_extended_once(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    handler = tokens(Role.handler)
    # Received Mon 2 Nov: decide within 15 working days → Mon 23 Nov (procedure rule Art. 18).
    report = await file_platform_case(
        complaints, handler, "2026-11-02" + CHINA_MORNING, kind="report", reporter=None
    )
    assert day_of(report["deadlines"]["accept_by"]) == date(2026, 11, 23)
    assert "第十八条" in report["deadlines"]["accept_by"]["legal_basis"]
    extended = (await move(complaints, handler, report["id"], "extend")).json()
    assert day_of(extended["deadlines"]["accept_by"]) == date(2026, 12, 14)  # +15 working days
    twice = await complaints.post(
        f"/v1/complaints/{report['id']}/transitions", json={"action": "extend"}, headers=handler
    )
    assert twice.status_code == 409
    # Opened (立案) on Fri 20 Nov: decided within 90 days (Art. 64) → Thu 18 Feb 2027, past the
    # published calendar, so provisional; extended by 30 days → Sat 20 Mar 2027.
    opened = (await move(complaints, handler, report["id"], "accept")).json()
    resolve = opened["deadlines"]["resolve_by"]
    assert day_of(resolve) == date(2027, 2, 18) and resolve["provisional"] is True
    assert "第六十四条" in resolve["legal_basis"]
    case_extended = (await move(complaints, handler, report["id"], "extend")).json()
    assert case_extended["deadlines"]["case_extended"] is True
    assert day_of(case_extended["deadlines"]["resolve_by"]) == date(2027, 3, 20)
    # An Order 121 report has no 5-working-day notice to the reporter.
    assert case_extended["deadlines"]["notify_by"] is None
    assert any("第三十七条" in b for b in case_extended["deadlines"]["legal_basis"])


async def test_a_report_paused_for_testing_during_the_check_moves_by_the_working_days_paused(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    handler = tokens(Role.handler)
    clock.set(at_china("2026-11-02"))
    report = (
        await complaints.post("/v1/complaints", json=complaint_body(kind="report", reporter=None))
    ).json()
    clock.set(at_china("2026-11-10"))
    await move(complaints, handler, report["id"], "pause")
    clock.set(at_china("2026-11-17"))  # 11, 12, 13, 16, 17 Nov: 5 working days not counted (Art. 18 para 2)
    resumed = (await move(complaints, handler, report["id"], "resume")).json()
    assert day_of(resumed["deadlines"]["accept_by"]) == date(2026, 11, 30)


async def test_order20_real_name_report_notice_within_5_working_days_of_the_decision(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    handler = tokens(Role.handler)
    clock.set(at_china("2026-04-20", 9))
    named = await file_platform_case(complaints, handler, "2026-04-10" + CHINA_MORNING, kind="report")
    anonymous = await file_platform_case(
        complaints,
        handler,
        "2026-04-10" + CHINA_MORNING,
        kind="report",
        reporter=None,
        category="prices_fees",
    )
    later = await file_platform_case(
        complaints, handler, "2026-04-16" + CHINA_MORNING, kind="report", category="advertising"
    )
    assert [c["deadlines"]["rule_set"] for c in (named, anonymous, later)] == [
        "order20",
        "order20",
        "order121",
    ]
    # Decided (立案) Mon 20 Apr: tell the real-name reporter by Mon 27 Apr (Order 20 Art. 31 para 2).
    opened = (await move(complaints, handler, named["id"], "accept")).json()
    notice = opened["deadlines"]["notify_by"]
    assert day_of(notice) == date(2026, 4, 27) and "第三十一条第二款" in notice["legal_basis"]
    assert (await move(complaints, handler, anonymous["id"], "reject")).json()["deadlines"][
        "notify_by"
    ] is None
    assert (await move(complaints, handler, later["id"], "accept")).json()["deadlines"]["notify_by"] is None
    assert "暂行办法》第三十三条" in " ".join(opened["deadlines"]["legal_basis"])


async def test_a_repeat_report_by_the_same_reporter_restarts_the_period_order121_only(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    handler = tokens(Role.handler)
    clock.set(at_china("2026-11-02"))  # Order 121 report: due Mon 23 Nov
    first = (await complaints.post("/v1/complaints", json=complaint_body(kind="report"))).json()
    clock.set(at_china("2026-11-09"))  # someone else reports the same thing: linked, no restart
    other = complaint_body(kind="report", reporter={"name": "李四", "phone": "13900139000"})
    linked = (await complaints.post("/v1/complaints", json=other)).json()
    assert "duplicate_of" not in linked  # the public answer says nothing of other cases
    assert (await detail(complaints, handler, linked["id"]))["duplicate_of"] == first["id"]
    assert day_of((await detail(complaints, handler, first["id"]))["deadlines"]["accept_by"]) == date(
        2026, 11, 23
    )
    # The same reporter adds new facts on Mon 16 Nov: merged, 15 working days from then → Mon 7 Dec.
    clock.set(at_china("2026-11-16"))
    again = complaint_body(kind="report", description="补充新的事实：该店仍在销售过期鲜牛奶。")
    again_id = (await complaints.post("/v1/complaints", json=again)).json()["id"]
    assert (await detail(complaints, handler, again_id))["duplicate_of"] == first["id"]
    merged = await detail(complaints, handler, first["id"])
    assert day_of(merged["deadlines"]["accept_by"]) == date(2026, 12, 7)
    assert [t["action"] for t in merged["transitions"]] == ["merge"]


async def test_an_order20_repeat_report_does_not_restart_the_period(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    handler = tokens(Role.handler)
    clock.set(at_china("2026-04-20"))
    first = await file_platform_case(complaints, handler, "2026-04-10" + CHINA_MORNING, kind="report")
    due = day_of(first["deadlines"]["accept_by"])
    again = (await complaints.post("/v1/complaints", json=complaint_body(kind="report"))).json()
    assert again["deadlines"]["rule_set"] == "order121"
    assert (await detail(complaints, handler, again["id"]))["duplicate_of"] == first["id"]
    assert day_of((await detail(complaints, handler, first["id"]))["deadlines"]["accept_by"]) == due


async def test_platform_intake_refuses_future_and_too_old_receipts_and_non_handlers(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    handler = tokens(Role.handler)
    url = "/v1/complaints/intake"
    future = complaint_body(received_at=(clock.now() + timedelta(hours=1)).isoformat())
    answer = await complaints.post(url, json=future, headers=handler)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "received_at"
    too_old = complaint_body(received_at=(clock.now() - timedelta(days=366)).isoformat())
    assert (await complaints.post(url, json=too_old, headers=handler)).status_code == 422
    web = complaint_body(channel="web", received_at=clock.now().isoformat())
    assert (await complaints.post(url, json=web, headers=handler)).status_code == 422
    naive = complaint_body(received_at="2026-11-19T10:00:00")
    assert (await complaints.post(url, json=naive, headers=handler)).status_code == 422
    ok = complaint_body(received_at="2026-11-19T10:00:00+08:00")
    assert (await complaints.post(url, json=ok)).status_code == 401
    filed = await complaints.post(url, json=ok, headers=handler)
    assert filed.status_code == 201
    case = await detail(complaints, handler, filed.json()["id"])
    assert case["received_at"].startswith("2026-11-19T02:00:00")
    assert case["platform_ref"] is None and case["filed_by"]
    assert [t["action"] for t in case["transitions"]] == ["file"]
