"""Reward figures on /v1/stats, with the closure target; no reward or reporter datum in answers or logs."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from services.common.clock import FrozenClock
from services.common.roles import Role
from tests.complaints.rewards_support import REPORTER, approve, concluded_report, record
from tests.support import Tokens, move


async def _stats(client: httpx.AsyncClient, tokens: Tokens, **params: str) -> dict[str, object]:
    answer = await client.get(
        "/v1/stats", params=params, headers=tokens(Role.regulator, audience="complaints")
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_rewards_by_step_and_period_and_closure_against_its_target(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    empty = await _stats(complaints, tokens)
    assert empty["closure_rate"] is None and empty["closure_target"]["met"] is None
    assert empty["closure_target"]["target"] == 0.95 and "95%" in empty["closure_target"]["source"]

    paid_case = await concluded_report(complaints, tokens)
    reward = (await record(complaints, tokens, paid_case["id"])).json()  # 12,500 proposed
    await approve(complaints, tokens, reward["id"])
    claim = {"tracking_code": paid_case["tracking_code"], "claim_secret": paid_case["claim_secret"]}
    assert (await complaints.post("/v1/rewards/claims", json=claim)).status_code == 200
    handler = tokens(Role.handler, subject="cashier")
    await complaints.post(
        f"/v1/rewards/{reward['id']}/payment", json={"payment_ref": "支付-1"}, headers=handler
    )
    proposed_only = await concluded_report(complaints, tokens)
    await record(complaints, tokens, proposed_only["id"], evidence_level=3, fines="100000", confiscations="0")
    ineligible = await concluded_report(complaints, tokens)
    await record(complaints, tokens, ineligible["id"], fines="1000", confiscations="0")

    body = await _stats(complaints, tokens, **{"from": "2026-11-01", "to": "2026-11-30"})
    assert body["rewards"] == {
        "proposed": {"count": 2, "amount": "13500.00"},
        "approved": {"count": 1, "amount": "12500.00"},
        "claimed": {"count": 1, "amount": "12500.00"},
        "paid": {"count": 1, "amount": "12500.00"},
    }
    december = await _stats(complaints, tokens, **{"from": "2026-12-01", "to": "2026-12-31"})
    assert december["rewards"]["proposed"] == {"count": 0, "amount": "0.00"}
    # Three reports concluded within their deadline, none overdue: 100 % against a 95 % target.
    clock.advance(timedelta(days=100))
    after = await _stats(complaints, tokens, **{"from": "2026-11-01", "to": "2027-03-31"})
    assert after["closure_rate"] == 1.0 and after["closure_target"]["met"] is True
    late = await complaints.post(
        "/v1/complaints", json={**paid_case_body(), "description": "迟办的举报案件描述"}
    )
    assert late.status_code == 201
    clock.advance(timedelta(days=30))
    missed = await _stats(complaints, tokens, **{"from": "2026-11-01", "to": "2027-06-30"})
    assert missed["closure_rate"] == 0.75 and missed["closure_target"]["met"] is False


def paid_case_body() -> dict[str, object]:
    from tests.complaints.rewards_support import report_body

    return report_body()


async def test_no_reward_or_reporter_datum_in_public_answers_or_logs(
    complaints: httpx.AsyncClient,
    complaints_app: FastAPI,
    tokens: Tokens,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(
        logging.INFO
    )  # what the service logs (the SQL driver's DEBUG output is off in production)
    caplog.set_level(logging.DEBUG, logger="qcr")
    case = await concluded_report(complaints, tokens)
    reward = (await record(complaints, tokens, case["id"], decision_no="机密罚〔2026〕7号")).json()
    await approve(complaints, tokens, reward["id"])
    claim = {"tracking_code": case["tracking_code"], "claim_secret": case["claim_secret"]}
    public = [
        await complaints.get(f"/v1/complaints/track/{case['tracking_code']}"),
        await complaints.post("/v1/rewards/claims", json=claim),
        await complaints.post("/v1/rewards/claims", json={**claim, "claim_secret": "X"}),
        await complaints.get("/v1/reward-rules"),
        await complaints.get("/metrics"),
    ]
    tracked = public[0].json()
    assert set(tracked["reward"]) == {"status", "amount", "claim_by"}
    secrets = (*REPORTER.values(), case["claim_secret"], "机密罚〔2026〕7号", reward["id"], "handler-zhang")
    for answer in public:
        for datum in secrets:
            assert datum not in answer.text, (answer.request.url, datum)
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for datum in (*secrets, "12500"):
        assert datum not in logged, datum
    # The handler, and only the handler, sees the reporter with the reward case.
    assert (await complaints.get(f"/v1/complaints/{case['id']}/reward")).status_code == 401
    detail = await complaints.get(f"/v1/complaints/{case['id']}", headers=tokens(Role.handler))
    assert detail.json()["reporter"]["name"] == REPORTER["name"]
    await move(complaints, tokens(Role.handler), case["id"], "close")
