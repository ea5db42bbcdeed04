"""Reporter rewards: eligibility with reasons, the amount by the rules, four eyes, claim and payment."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.common.workdays import load_calendar
from tests.complaints.rewards_support import (
    APPROVER,
    RECORDER,
    approve,
    concluded_report,
    facts,
    record,
    report_body,
)
from tests.support import Tokens, complaint_body


async def test_real_name_report_gets_a_claim_secret_once_and_anonymous_ones_do_not(
    complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    named = (await complaints.post("/v1/complaints", json=report_body())).json()
    assert named["claim_secret"] and len(named["claim_secret"]) == 24
    anonymous = (await complaints.post("/v1/complaints", json=report_body(reporter=None))).json()
    assert anonymous["claim_secret"] is None
    complaint = (await complaints.post("/v1/complaints", json=complaint_body())).json()
    assert complaint["claim_secret"] is None
    # Never shown again: not to the handler, not on the tracking page.
    detail = await complaints.get(f"/v1/complaints/{named['id']}", headers=tokens(Role.handler))
    tracked = await complaints.get(f"/v1/complaints/track/{named['tracking_code']}")
    for answer in (detail, tracked):
        assert named["claim_secret"] not in answer.text


async def test_eligible_outcome_proposes_five_percent_with_every_check_recorded(
    complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    case = await concluded_report(complaints, tokens)
    response = await record(complaints, tokens, case["id"])
    assert response.status_code == 201, response.text
    reward = response.json()
    assert reward["status"] == "proposed" and reward["eligible"] is True
    assert reward["proposed_amount"] == "12500.00"  # 5 % of 200,000 + 50,000
    codes = {c["code"]: c["passed"] for c in reward["checks"]}
    assert codes == {
        "report": True,
        "real_name": True,
        "natural_person": True,
        "substantiated": True,
        "major_violation": True,
        "staff_or_duty_to_report": True,
        "injured_party_or_agent": True,
        "violator": True,
        "paid_by_other_market_actor": True,
        "known_before": True,
    }
    assert all(c["reason"] for c in reward["checks"])
    again = await record(complaints, tokens, case["id"])
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("fact", "words"),
    [
        ("staff_or_duty_to_report", "法定监督、报告义务"),
        ("injured_party_or_agent", "被侵权方"),
        ("violator", "实施违法行为人"),
        ("paid_by_other_market_actor", "其他市场主体"),
        ("known_before", "事先已被"),
    ],
)
async def test_each_exclusion_refuses_the_reward_and_says_why(
    complaints: httpx.AsyncClient, tokens: Tokens, fact: str, words: str
) -> None:
    case = await concluded_report(complaints, tokens)
    reward = (await record(complaints, tokens, case["id"], reporter=facts(**{fact: True}))).json()
    assert reward["status"] == "ineligible" and reward["proposed_amount"] is None
    [failed] = [c for c in reward["checks"] if not c["passed"]]
    assert failed["code"] == fact and words in failed["reason"]


async def test_an_insider_who_took_part_is_still_rewarded(
    complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    case = await concluded_report(complaints, tokens)
    reward = (
        await record(complaints, tokens, case["id"], reporter=facts(violator=True, insider=True))
    ).json()
    assert reward["status"] == "proposed"
    assert "内部举报人除外" in next(c["reason"] for c in reward["checks"] if c["code"] == "violator")


async def test_not_a_natural_person_anonymous_unproven_or_minor_cases_are_not_rewarded(
    complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    case = await concluded_report(complaints, tokens)
    company = (await record(complaints, tokens, case["id"], reporter=facts(natural_person=False))).json()
    assert [c["code"] for c in company["checks"] if not c["passed"]] == ["natural_person"]

    anonymous = await concluded_report(complaints, tokens, reporter=None)
    refused = (await record(complaints, tokens, anonymous["id"])).json()
    assert [c["code"] for c in refused["checks"] if not c["passed"]] == ["real_name"]

    unproven = await concluded_report(complaints, tokens, action="unsubstantiate")
    refused = (await record(complaints, tokens, unproven["id"])).json()
    assert [c["code"] for c in refused["checks"] if not c["passed"]] == ["substantiated"]

    small = await concluded_report(complaints, tokens)
    minor = (await record(complaints, tokens, small["id"], fines="20000", confiscations="0")).json()
    [failed] = [c for c in minor["checks"] if not c["passed"]]
    assert failed["code"] == "major_violation" and "100000" in failed["reason"]

    open_case = (await complaints.post("/v1/complaints", json=report_body())).json()
    assert (await record(complaints, tokens, open_case["id"])).status_code == 409


@pytest.mark.parametrize(
    ("level", "fines", "measures", "expected"),
    [
        (1, "0", ["licence_revocation"], "5000.00"),  # no fine: level minimums
        (2, "0", ["closure"], "3000.00"),
        (3, "0", ["suspension"], "1000.00"),
        (1, "100000", [], "5000.00"),  # 5 % of 100,000 = 5,000: exactly the minimum
        (2, "100000", [], "3000.00"),
        (3, "100000", [], "1000.00"),
        (3, "150000", [], "1500.00"),  # 1 % above the minimum
        (1, "30000000", [], "1000000.00"),  # 5 % = 1,500,000: capped
    ],
)
async def test_amount_follows_level_percent_minimum_and_cap(
    complaints: httpx.AsyncClient, tokens: Tokens, level: int, fines: str, measures: list[str], expected: str
) -> None:
    case = await concluded_report(complaints, tokens)
    reward = (
        await record(
            complaints,
            tokens,
            case["id"],
            evidence_level=level,
            fines=fines,
            confiscations="0",
            measures=measures,
        )
    ).json()
    assert reward["status"] == "proposed", reward
    assert reward["proposed_amount"] == expected
    assert reward["needs_finance"] is (expected == "1000000.00")


async def test_four_eyes_the_recorder_cannot_approve_and_large_awards_need_finance(
    complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    case = await concluded_report(complaints, tokens)
    reward = (await record(complaints, tokens, case["id"], fines="12000000", confiscations="0")).json()
    assert reward["proposed_amount"] == "600000.00" and reward["needs_finance"] is True
    own = await approve(complaints, tokens, reward["id"], subject=RECORDER)
    assert own.status_code == 403 and "four eyes" in own.json()["detail"]
    decided = await approve(complaints, tokens, reward["id"])
    assert decided.status_code == 200 and decided.json()["status"] == "awaiting_finance"
    assert decided.json()["approved_by"] == f"handler:{APPROVER}"
    tracked = (await complaints.get(f"/v1/complaints/track/{case['tracking_code']}")).json()
    assert tracked["reward"] is None  # nothing for the reporter before the finance step
    finance_url = f"/v1/rewards/{reward['id']}/finance"
    body = {"finance_ref": "榕财行〔2026〕12号"}
    mine = await complaints.post(finance_url, json=body, headers=tokens(Role.handler, subject=RECORDER))
    assert mine.status_code == 403
    done = await complaints.post(
        finance_url, json=body, headers=tokens(Role.handler, subject="finance-liaison")
    )
    assert done.status_code == 200 and done.json()["status"] == "approved"
    twice = await approve(complaints, tokens, reward["id"])
    assert twice.status_code == 409


async def test_only_an_insiders_amount_may_be_raised_and_that_takes_the_finance_step(
    complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    outsider = await concluded_report(complaints, tokens)
    reward = (await record(complaints, tokens, outsider["id"])).json()
    raised = await approve(complaints, tokens, reward["id"], amount="20000")
    assert raised.status_code == 422 and "insider" in raised.json()["detail"]
    insider = await concluded_report(complaints, tokens)
    reward = (await record(complaints, tokens, insider["id"], reporter=facts(insider=True))).json()
    over_cap = await approve(complaints, tokens, reward["id"], amount="1000001")
    assert over_cap.status_code == 422
    raised = (await approve(complaints, tokens, reward["id"], amount="20000")).json()
    assert raised["amount"] == "20000.00" and raised["status"] == "awaiting_finance"


async def test_rejected_rewards_stay_hidden_from_the_reporter(
    complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    case = await concluded_report(complaints, tokens)
    reward = (await record(complaints, tokens, case["id"])).json()
    rejected = await complaints.post(
        f"/v1/rewards/{reward['id']}/decision",
        json={"decision": "reject", "note": "线索事先已掌握"},
        headers=tokens(Role.handler, subject=APPROVER),
    )
    assert rejected.json()["status"] == "rejected"
    tracked = (await complaints.get(f"/v1/complaints/track/{case['tracking_code']}")).json()
    assert tracked["reward"] is None


async def test_claim_with_code_and_secret_within_the_period_then_payment(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    case = await concluded_report(complaints, tokens)
    reward = (await record(complaints, tokens, case["id"])).json()
    claim = {"tracking_code": case["tracking_code"], "claim_secret": case["claim_secret"]}
    early = await complaints.post("/v1/rewards/claims", json=claim)
    assert early.status_code == 404  # nothing approved yet, and the answer says no more than that
    approved = (await approve(complaints, tokens, reward["id"])).json()
    due = load_calendar().deadline(clock.now(), 30)
    assert approved["claim_due_at"].startswith(due.date().isoformat())
    tracked = (await complaints.get(f"/v1/complaints/track/{case['tracking_code']}")).json()
    assert tracked["reward"]["status"] == "approved" and tracked["reward"]["amount"] == "12500.00"

    for wrong in (
        {**claim, "claim_secret": "AAAA-BBBB-CCCC-DDDD-EEEE"},
        {**claim, "tracking_code": "AAAA-BBBB-CCCC-DDDD"},
    ):
        refused = await complaints.post("/v1/rewards/claims", json=wrong)
        assert refused.status_code == 404
        assert refused.json()["detail"] == "no reward to claim with this tracking code and claim secret"
    loose = {
        "tracking_code": case["tracking_code"].lower(),
        "claim_secret": case["claim_secret"].replace("-", ""),
    }
    claimed = await complaints.post("/v1/rewards/claims", json=loose)
    assert claimed.status_code == 200, claimed.text
    assert set(claimed.json()) == {"status", "amount", "claim_by"}
    assert claimed.json()["status"] == "claimed" and claimed.json()["amount"] == "12500.00"
    assert (await complaints.post("/v1/rewards/claims", json=claim)).json()["status"] == "claimed"

    handler = tokens(Role.handler, subject="cashier")
    paid = await complaints.post(
        f"/v1/rewards/{reward['id']}/payment", json={"payment_ref": "国库支付2026-0099"}, headers=handler
    )
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    tracked = (await complaints.get(f"/v1/complaints/track/{case['tracking_code']}")).json()
    assert tracked["reward"]["status"] == "paid"
    seen = (await complaints.get(f"/v1/complaints/{case['id']}/reward", headers=handler)).json()
    assert seen["status"] == "paid" and seen["payment_ref"] == "国库支付2026-0099"
    listed = (await complaints.get("/v1/rewards", params={"status": "paid"}, headers=handler)).json()
    assert [r["id"] for r in listed["items"]] == [reward["id"]]


async def test_a_claim_after_the_period_is_refused(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    case = await concluded_report(complaints, tokens)
    reward = (await record(complaints, tokens, case["id"])).json()
    await approve(complaints, tokens, reward["id"])
    clock.advance(timedelta(days=60))
    late = await complaints.post(
        "/v1/rewards/claims",
        json={"tracking_code": case["tracking_code"], "claim_secret": case["claim_secret"]},
    )
    assert late.status_code == 409 and "claim period" in late.json()["detail"]
    tracked = (await complaints.get(f"/v1/complaints/track/{case['tracking_code']}")).json()
    assert tracked["reward"]["status"] == "expired"


async def test_reward_rules_are_published_with_their_confirmation(complaints: httpx.AsyncClient) -> None:
    rules = (await complaints.get("/v1/reward-rules")).json()
    assert [(x["percent"], x["minimum"]) for x in rules["levels"]] == [
        ("5", "5000.00"),
        ("3", "3000.00"),
        ("1", "1000.00"),
    ]
    assert rules["cap"] == "1000000.00" and rules["finance_step_from"] == "500000.00"
    assert rules["confirmation"]["level_1"] == "confirmed-quote"
    assert rules["confirmation"]["claim_period"] == "not-found"


async def test_guessing_claim_secrets_is_rate_limited(
    complaints: httpx.AsyncClient, complaints_app: FastAPI, tokens: Tokens
) -> None:
    case = await concluded_report(complaints, tokens)
    complaints_app.state.rate_limits["claim"] = (3, 60)
    guess = {"tracking_code": case["tracking_code"], "claim_secret": "AAAA-BBBB-CCCC-DDDD-EEEE"}
    codes = [(await complaints.post("/v1/rewards/claims", json=guess)).status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]
