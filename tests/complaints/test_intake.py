import base64
import json
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.common.workdays import load_calendar
from services.complaints.categories import load_categories
from tests.support import Tokens, code, complaint_body

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_intake_answers_tracking_code_and_legal_deadlines(
    complaints: httpx.AsyncClient, clock: FrozenClock
) -> None:
    response = await complaints.post("/v1/complaints", json=complaint_body())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "received" and body["kind"] == "complaint"
    assert response.headers["cache-control"] == "no-store"  # it carries the tracking code
    assert len(body["tracking_code"]) == 19 and body["tracking_code"].count("-") == 3
    calendar = load_calendar()
    due = calendar.deadline(clock.now(), 7).date().isoformat()
    assert body["deadlines"]["accept_by"]["at"].startswith(due)
    assert body["deadlines"]["resolve_by"] is None
    report = (
        await complaints.post("/v1/complaints", json=complaint_body(kind="report", reporter=None))
    ).json()
    due = calendar.deadline(clock.now(), 15).date().isoformat()
    assert report["deadlines"]["accept_by"]["at"].startswith(due)
    other = (await complaints.post("/v1/complaints", json=complaint_body())).json()
    assert other["tracking_code"] != body["tracking_code"]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"reporter": None}, "request", "reporter.name and reporter.phone"),
        ({"channel": "999"}, "channel", "'12315'"),
        ({"target_uscc": code(1)[:17] + "Z"}, "target_uscc", "not allowed"),
        ({"target_uscc": None}, "request", "target_name"),
        ({"kind": "gossip"}, "kind", "complaint"),
        # Free text would leave the service in the credit event: only a configured code is taken.
        ({"category": "食品安全"}, "category", "'food_safety'"),
        ({"category": "bench-1"}, "category", "'other'"),
        ({"description": ""}, "description", "at least"),
        ({"reporter": {"name": "王", "phone": "call me"}}, "reporter.phone", "phone number"),
    ],
)
async def test_bad_input_says_what_to_fix(
    complaints: httpx.AsyncClient, change: dict[str, object], field: str, words: str
) -> None:
    response = await complaints.post("/v1/complaints", json=complaint_body(**change))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert any(e["field"].startswith(field) or field == "request" for e in problem["errors"])
    assert words in problem["detail"]


async def test_evidence_is_typed_by_content_and_bounded(
    complaints: httpx.AsyncClient, complaints_app: FastAPI, tokens: Tokens
) -> None:
    good = {"filename": "photo.png", "content_base64": base64.b64encode(PNG).decode()}
    fake = {"filename": "invoice.pdf", "content_base64": base64.b64encode(b"MZ\x90\x00 exe").decode()}
    refused = await complaints.post("/v1/complaints", json=complaint_body(attachments=[fake]))
    assert refused.status_code == 422 and "not a PDF, PNG or JPEG" in refused.json()["detail"]
    complaints_app.state.settings.max_attachment_bytes = 50
    too_big = await complaints.post("/v1/complaints", json=complaint_body(attachments=[good]))
    assert too_big.status_code == 413
    complaints_app.state.settings.max_attachment_bytes = 2_000_000
    created = (await complaints.post("/v1/complaints", json=complaint_body(attachments=[good]))).json()
    detail = (await complaints.get(f"/v1/complaints/{created['id']}", headers=tokens(Role.handler))).json()
    [attachment] = detail["attachments"]
    assert attachment["media_type"] == "image/png" and attachment["size"] == len(PNG)
    download = await complaints.get(
        f"/v1/complaints/{created['id']}/attachments/{attachment['id']}", headers=tokens(Role.handler)
    )
    assert download.content == PNG
    assert (
        await complaints.get(f"/v1/complaints/{created['id']}/attachments/{attachment['id']}")
    ).status_code == 401


async def test_tracking_is_public_and_reveals_no_personal_data(
    complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    created = (await complaints.post("/v1/complaints", json=complaint_body())).json()
    code_ = created["tracking_code"]
    answer = await complaints.get(f"/v1/complaints/track/{code_}")
    assert answer.status_code == 200
    # The code is the only key to the case: no shared cache (proxy, browser) may keep the answer.
    assert answer.headers["cache-control"] == "no-store"
    assert answer.json()["status"] == "received"
    for secret in ("王小明", "13800138000", "wxm@example.cn", created["id"]):
        assert secret not in answer.text
    loose = await complaints.get(f"/v1/complaints/track/{code_.replace('-', '').lower()}")
    assert loose.status_code == 200
    for wrong in ("AAAA-AAAA-AAAA-AAAA", created["id"]):
        missing = await complaints.get(f"/v1/complaints/track/{wrong}")
        assert missing.status_code == 404 and missing.json()["detail"] == "no case with this tracking code"
        assert missing.headers["cache-control"] == "no-store"


async def test_public_routes_are_rate_limited_and_recover(
    complaints: httpx.AsyncClient, complaints_app: FastAPI, clock: FrozenClock
) -> None:
    complaints_app.state.rate_limits["tracking"] = (3, 60)
    codes = [(await complaints.get("/v1/complaints/track/AAAA-BBBB-CCCC-DDDD")).status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]
    limited = await complaints.get("/v1/complaints/track/AAAA-BBBB-CCCC-DDDD")
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.headers["cache-control"] == "no-store"
    complaints_app.state.rate_limits["intake"] = (1, 60)
    assert (await complaints.post("/v1/complaints", json=complaint_body())).status_code == 201
    assert (await complaints.post("/v1/complaints", json=complaint_body())).status_code == 429
    clock.advance(timedelta(seconds=61))
    assert (await complaints.get("/v1/complaints/track/AAAA-BBBB-CCCC-DDDD")).status_code == 404
    assert (await complaints.post("/v1/complaints", json=complaint_body())).status_code == 201


async def test_reporter_data_is_encrypted_at_rest_and_kept_out_of_logs(
    complaints: httpx.AsyncClient,
    complaints_app: FastAPI,
    tokens: Tokens,
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    created = (await complaints.post("/v1/complaints", json=complaint_body(description="x" * 5 + "!"))).json()
    bad = await complaints.post(
        "/v1/complaints",
        json=complaint_body(reporter={"name": "王小明", "phone": "13800138000", "email": "not-an-email"}),
    )
    assert bad.status_code == 422 and "13800138000" not in bad.text and "王小明" not in bad.text
    async with complaints_app.state.engine.connect() as conn:
        row = (
            (
                await conn.execute(
                    text("SELECT * FROM complaint WHERE tracking_code = :c"), {"c": created["tracking_code"]}
                )
            )
            .mappings()
            .one()
        )
    stored = json.dumps({k: str(v) for k, v in row.items()}, ensure_ascii=False)
    for secret in ("王小明", "13800138000", "wxm@example.cn"):
        assert secret not in stored
    detail = (await complaints.get(f"/v1/complaints/{created['id']}", headers=tokens(Role.handler))).json()
    assert detail["reporter"] == {"name": "王小明", "phone": "13800138000", "email": "wxm@example.cn"}
    logs = capsys.readouterr().err
    assert "request" in logs
    for secret in ("王小明", "13800138000", "wxm@example.cn"):
        assert secret not in logs


async def test_anonymous_report_is_accepted(complaints: httpx.AsyncClient, tokens: Tokens) -> None:
    created = await complaints.post(
        "/v1/complaints",
        json=complaint_body(kind="report", reporter=None, target_uscc=None, target_name="某无证小作坊"),
    )
    assert created.status_code == 201
    detail = (
        await complaints.get(f"/v1/complaints/{created.json()['id']}", headers=tokens(Role.handler))
    ).json()
    assert detail["anonymous"] is True and detail["reporter"] is None


async def test_categories_are_the_configured_codes(complaints: httpx.AsyncClient, tokens: Tokens) -> None:
    codes = [c.code for c in load_categories()]
    assert {"food_safety", "measurement", "other"} <= set(codes)
    schema = (await complaints.get("/openapi.json")).json()["components"]["schemas"]
    assert schema["ComplaintCreate"]["properties"]["category"]["$ref"].endswith("/Category")
    assert schema["Category"]["enum"] == codes
    for code_ in codes:
        filed = await complaints.post("/v1/complaints", json=complaint_body(category=code_))
        assert filed.status_code == 201, filed.text
    listed = (await complaints.get("/v1/complaints", headers=tokens(Role.handler))).json()["items"]
    assert sorted(c["category"] for c in listed) == sorted(codes)
