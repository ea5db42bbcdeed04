"""Notifications the rules require: queued with the step, due by law, delivered and retried, never logged."""

from __future__ import annotations

import email
import email.policy
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.common.workdays import load_calendar
from services.complaints.notifications.dispatcher import NotificationDispatcher
from services.complaints.notifications.senders import EmailGateway, FileSink, Sender, SmsGateway
from tests.complaints.rewards_support import REPORTER, approve, concluded_report, record, report_body
from tests.complaints.smtp_sink import SmtpSink
from tests.receiver import Receiver
from tests.support import Tokens, complaint_body, move

CONTACTS = ("13800138000", "wxm@example.cn", "13700137000", "王小明")


def notifier(app: FastAPI, clock: FrozenClock, sender: Sender) -> NotificationDispatcher:
    state = app.state
    return NotificationDispatcher(
        sessions=state.sessions, settings=state.settings, clock=clock, vault=state.vault, sender=sender
    )


async def notes(client: httpx.AsyncClient, tokens: Tokens, complaint_id: str) -> list[dict[str, object]]:
    answer = await client.get(
        "/v1/notifications", params={"complaint_id": complaint_id}, headers=tokens("handler")
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


async def test_acceptance_is_queued_with_the_step_and_delivered_to_the_file_sink(
    complaints: httpx.AsyncClient,
    complaints_app: FastAPI,
    tokens: Tokens,
    clock: FrozenClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    created = (await complaints.post("/v1/complaints", json=complaint_body())).json()
    assert await notes(complaints, tokens, created["id"]) == []
    await move(complaints, tokens(Role.handler), created["id"], "accept")
    [queued] = await notes(complaints, tokens, created["id"])
    assert queued["kind"] == "complaint_accepted" and queued["recipient"] == "complainant"
    assert queued["channel"] == "sms" and queued["status"] == "pending"
    # told with the decision (Art. 15)
    accept_by = datetime.fromisoformat(created["deadlines"]["accept_by"]["at"])
    assert datetime.fromisoformat(queued["due_at"]) == accept_by
    assert "第十五条" in queued["legal_basis"]
    sink = tmp_path / "sent.jsonl"
    caplog.set_level(logging.DEBUG)
    assert await notifier(complaints_app, clock, FileSink(sink)).run_once() == 1
    [line] = sink.read_text(encoding="utf-8").splitlines()
    sent = json.loads(line)
    assert sent["to"] == "13800138000" and created["tracking_code"] in sent["body"]
    assert sink.stat().st_mode & 0o777 == 0o600
    [done] = await notes(complaints, tokens, created["id"])
    assert done["status"] == "sent" and done["attempts"] == 1
    listing = await complaints.get("/v1/notifications", headers=tokens(Role.handler))
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for contact in CONTACTS:
        assert contact not in listing.text
        assert contact not in logged


async def test_refusal_carries_the_reason_and_the_other_routes(
    complaints: httpx.AsyncClient, complaints_app: FastAPI, tokens: Tokens, clock: FrozenClock, tmp_path: Path
) -> None:
    created = (await complaints.post("/v1/complaints", json=complaint_body())).json()
    refused = await complaints.post(
        f"/v1/complaints/{created['id']}/transitions",
        json={"action": "reject", "outcome": "已由人民法院受理"},
        headers=tokens(Role.handler),
    )
    assert refused.status_code == 200
    sink = tmp_path / "sent.jsonl"
    await notifier(complaints_app, clock, FileSink(sink)).run_once()
    body = json.loads(sink.read_text(encoding="utf-8"))["body"]
    assert "不予受理" in body and "已由人民法院受理" in body and "第三十九条" in body


async def test_end_of_mediation_goes_to_both_parties_within_seven_working_days(
    complaints: httpx.AsyncClient, complaints_app: FastAPI, tokens: Tokens, clock: FrozenClock, tmp_path: Path
) -> None:
    created = (await complaints.post("/v1/complaints", json=complaint_body())).json()
    handler = tokens(Role.handler)
    await move(complaints, handler, created["id"], "accept", "investigate", "unsubstantiate")
    ended = [n for n in await notes(complaints, tokens, created["id"]) if n["kind"] == "mediation_ended"]
    assert {n["recipient"]: n["status"] for n in ended} == {
        "complainant": "pending",
        "respondent": "no_address",
    }
    due = load_calendar().deadline(clock.now(), 7)
    assert all(datetime.fromisoformat(n["due_at"]) == due for n in ended)
    contact = await complaints.put(
        f"/v1/complaints/{created['id']}/respondent-contact", json={"phone": "13700137000"}, headers=handler
    )
    assert contact.status_code == 200 and contact.json() == {"party": "respondent", "channel": "sms"}
    sink = tmp_path / "sent.jsonl"
    await notifier(complaints_app, clock, FileSink(sink)).run_once()
    sent = [json.loads(line) for line in sink.read_text(encoding="utf-8").splitlines()]
    ended_to = sorted(m["to"] for m in sent if m["subject"] == "调解终止")
    assert ended_to == ["13700137000", "13800138000"]
    # Both parties have it: the case's own notify_by (Art. 23 para 2) is met, so thirty days on the
    # case is not overdue and there is nothing left for a handler to record.
    clock.advance(timedelta(days=30))
    case = (await complaints.get(f"/v1/complaints/{created['id']}", headers=handler)).json()
    assert datetime.fromisoformat(case["deadlines"]["notify_by"]["at"]) == due
    assert case["overdue"] is False and "notify" not in case["allowed_actions"]


async def test_case_opening_decision_is_told_for_reports_under_order_20_only(
    complaints: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # received before Order 121 took effect
    old = (await complaints.post("/v1/complaints", json=report_body())).json()
    anonymous_old = (await complaints.post("/v1/complaints", json=report_body(reporter=None))).json()
    await move(complaints, tokens(Role.handler), old["id"], "accept")
    await move(complaints, tokens(Role.handler), anonymous_old["id"], "accept")
    [told] = await notes(complaints, tokens, old["id"])
    assert told["kind"] == "case_opening_decision" and told["recipient"] == "reporter"
    assert datetime.fromisoformat(told["due_at"]) == load_calendar().deadline(clock.now(), 5)
    assert await notes(complaints, tokens, anonymous_old["id"]) == []
    clock.set(datetime(2026, 11, 20, 8, 0, tzinfo=UTC))
    new = (await complaints.post("/v1/complaints", json=report_body())).json()
    await move(complaints, tokens(Role.handler), new["id"], "accept")
    assert await notes(complaints, tokens, new["id"]) == []


async def test_reward_notice_is_retried_through_the_sms_gateway_and_failures_can_be_requeued(
    complaints: httpx.AsyncClient,
    complaints_app: FastAPI,
    tokens: Tokens,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    case = await concluded_report(complaints, tokens)
    reward = (await record(complaints, tokens, case["id"])).json()
    await approve(complaints, tokens, reward["id"])
    [notice] = [n for n in await notes(complaints, tokens, case["id"]) if n["kind"] == "reward_available"]
    caplog.set_level(logging.DEBUG)
    with Receiver(fail_first=1).running() as gateway:
        sms = SmsGateway(gateway.url, "gateway-token")
        dispatcher = notifier(complaints_app, clock, sms)
        assert await dispatcher.run_once() == 1
        [retrying] = [n for n in await notes(complaints, tokens, case["id"]) if n["id"] == notice["id"]]
        assert retrying["status"] == "pending" and retrying["last_error"] == "sms gateway answered 503"
        assert await dispatcher.run_once() == 0  # backing off
        clock.advance(timedelta(minutes=10))
        assert await dispatcher.run_once() == 1
        [delivered] = gateway.received
    message = json.loads(delivered.body)
    assert message["to"] == REPORTER["phone"] and "12500.00" in message["text"]
    assert delivered.headers["authorization"] == "Bearer gateway-token"
    [sent] = [n for n in await notes(complaints, tokens, case["id"]) if n["id"] == notice["id"]]
    assert sent["status"] == "sent" and sent["attempts"] == 2
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for datum in (REPORTER["phone"], REPORTER["name"], "12500", case["claim_secret"]):
        assert datum not in logged

    other = await concluded_report(complaints, tokens)
    await move(complaints, tokens(Role.handler), other["id"], "close")
    reward = (await record(complaints, tokens, other["id"])).json()
    await approve(complaints, tokens, reward["id"])
    refusing = Receiver()
    refusing._handle = _refuse  # type: ignore[method-assign]
    with refusing.running():
        await notifier(complaints_app, clock, SmsGateway(refusing.url, "t")).run_once()
    [failed] = [n for n in await notes(complaints, tokens, other["id"]) if n["kind"] == "reward_available"]
    assert failed["status"] == "failed" and "refused" in failed["last_error"]
    again = await complaints.post(f"/v1/notifications/{failed['id']}/retry", headers=tokens(Role.handler))
    assert again.status_code == 200 and again.json()["status"] == "pending"
    twice = await complaints.post(f"/v1/notifications/{failed['id']}/retry", headers=tokens(Role.handler))
    assert twice.status_code == 409


async def _refuse(request: object) -> httpx.Response:
    from starlette.responses import Response

    return Response(status_code=400)  # type: ignore[return-value]


async def test_email_gateway_delivers_by_smtp_and_a_refused_mailbox_is_permanent(
    complaints: httpx.AsyncClient, complaints_app: FastAPI, tokens: Tokens, clock: FrozenClock
) -> None:
    by_mail = complaint_body(reporter={"name": "王小明", "email": "wxm@example.cn"})
    first = (await complaints.post("/v1/complaints", json=by_mail)).json()
    await move(complaints, tokens(Role.handler), first["id"], "accept")
    async with SmtpSink().running() as relay:
        mail = EmailGateway("127.0.0.1", relay.port, "12315@example.cn")
        assert await notifier(complaints_app, clock, mail).run_once() == 1
    [(to, data)] = relay.mails
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert to == "wxm@example.cn" and parsed["Subject"] == "投诉已受理"
    assert first["tracking_code"] in parsed.get_content()  # type: ignore[attr-defined]
    [sent] = await notes(complaints, tokens, first["id"])
    assert sent["channel"] == "email" and sent["status"] == "sent"

    second = (await complaints.post("/v1/complaints", json=by_mail)).json()
    await move(complaints, tokens(Role.handler), second["id"], "accept")
    async with SmtpSink(refuse_rcpt=True).running() as relay:
        await notifier(
            complaints_app, clock, EmailGateway("127.0.0.1", relay.port, "x@example.cn")
        ).run_once()
    [failed] = await notes(complaints, tokens, second["id"])
    assert failed["status"] == "failed" and failed["last_error"] == "mail relay refused the recipient"
