"""Over-limit and odd input: 413 or 422 problem+json, never a 500 and never a hang."""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from services.common.roles import Role
from tests.security.conftest import PNG
from tests.support import Tokens, code, complaint_body, register

PROBLEM = "application/problem+json"


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == PROBLEM, response.headers
    body = response.json()
    assert body["status"] == status and {"type", "title", "detail"} <= body.keys()
    return body


async def chunks(payload: bytes, size: int = 65536) -> AsyncIterator[bytes]:
    """A body sent without Content-Length (chunked), so only counting it can catch its size."""
    for start in range(0, len(payload), size):
        yield payload[start : start + size]


async def test_bodies_over_the_limit_are_413_declared_or_streamed(
    registry: httpx.AsyncClient, complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    regulator = {**tokens(Role.regulator), "content-type": "application/json"}
    huge = b'{"uscc": "' + b"9" * 1_100_000 + b'", "name": "x"}'
    problem(await registry.post("/v1/enterprises", content=huge, headers=regulator), 413)
    problem(await registry.post("/v1/enterprises", content=chunks(huge), headers=regulator), 413)
    # Portal forms too (the complaint form reads the raw body).
    form = {"content-type": "application/x-www-form-urlencoded"}
    problem(
        await registry.post("/complaints", content=chunks(b"description=" + b"x" * 1_100_000), headers=form),
        413,
    )
    # The complaints service takes up to three attachments, so its limit is larger; past it, 413.
    json_headers = {"content-type": "application/json"}
    bigger = b'{"description": "' + b"x" * 9_100_000 + b'"}'
    problem(await complaints.post("/v1/complaints", content=chunks(bigger), headers=json_headers), 413)


async def test_malformed_json_is_422_whatever_is_wrong_with_it(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    headers = {**tokens(Role.regulator), "content-type": "application/json"}
    for body in [
        b"{not json",
        b'{"uscc": "\xff\xfe"}',  # not UTF-8
        b"[" * 100_000 + b"]" * 100_000,  # nesting deeper than any parser should follow
        b'{"uscc": ' + b"9" * 100_000 + b"}",  # an integer too long to convert
        b'{"uscc": 1e999999}',
        b"",
    ]:
        problem(await registry.post("/v1/enterprises", content=body, headers=headers), 422)


async def test_batch_and_page_sizes_are_bounded(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    partner = tokens(Role.partner)
    too_many = {"usccs": [code(n) for n in range(1001)]}
    body = problem(await registry.post("/v1/credit-status:batch", json=too_many, headers=partner), 413)
    assert body["limit"] == 1000
    problem(await registry.post("/v1/credit-status:batch", json={"usccs": []}, headers=partner), 422)
    # A silly code is answered as invalid, and not echoed back whole.
    long_code = {"usccs": ["9" * 50_000]}
    answer = await registry.post("/v1/credit-status:batch", json=long_code, headers=partner)
    assert answer.status_code == 200 and len(answer.json()["items"][0]["uscc"]) <= 40
    regulator = tokens(Role.regulator)
    for url in [
        "/v1/enterprises?limit=201",
        "/v1/enterprises?limit=0",
        "/v1/enterprises?limit=-1",
        "/v1/lists/black?limit=100000",
        "/v1/repair-applications?limit=201",
        "/v1/audit?limit=501",
        "/v1/changes?limit=1001",
        "/v1/changes?after=-1",
        "/v1/changes?after=99999999999999999999",
        "/v1/audit?after=9223372036854775808",
    ]:
        problem(await registry.get(url, headers=regulator), 422)


async def test_forged_cursors_are_422_not_500(
    registry: httpx.AsyncClient, complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    def forged(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    await register(registry, tokens(Role.regulator), code(1))
    bad = [
        "!!!",
        forged("{}"),
        forged("[1, 2, 3]"),
        forged('["not a time", "not an id"]'),
        forged('["2026-11-20T08:00:00+00:00", "not an id"]'),
        forged('["2026-11-20T08:00:00", "5f3c1b5e-0000-4000-8000-000000000000"]'),  # no zone
        forged("[1e400]"),
        forged("[99999999999999999999999]"),
        forged('["x"]'),
        forged("[-1]"),
        forged('["../../etc"]'),
        forged("[null]"),
    ]
    regulator = tokens(Role.regulator)
    routes = [
        (registry, "/v1/enterprises", regulator),
        (registry, f"/v1/enterprises/{code(1)}/credit-events", regulator),
        (registry, f"/v1/enterprises/{code(1)}/credit/history", regulator),
        (registry, f"/v1/enterprises/{code(1)}/list-entries", regulator),
        (registry, "/v1/repair-applications", regulator),
        (registry, "/v1/lists/black", regulator),
        (registry, "/v1/access-log", regulator),
        (registry, f"/v1/enterprises/{code(1)}/access-log", regulator),
        (complaints, "/v1/complaints", tokens(Role.handler)),
    ]
    for client, url, headers in routes:
        for cursor in bad:
            response = await client.get(url, params={"cursor": cursor}, headers=headers)
            assert response.status_code == 422, (url, cursor, response.text[:300])
    # The portal ignores a cursor it cannot use and shows the first page.
    assert (await registry.get("/lists/black", params={"cursor": bad[4]})).status_code == 200


async def test_string_lengths_are_bounded(
    registry: httpx.AsyncClient, complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    regulator = tokens(Role.regulator)
    long_name = {"uscc": code(1), "name": "企" * 201}
    problem(await registry.post("/v1/enterprises", json=long_name, headers=regulator), 422)
    problem(await registry.get("/v1/enterprises", params={"q": "q" * 101}), 422)
    problem(await registry.get(f"/v1/enterprises/{'9' * 41}"), 422)
    problem(await complaints.post("/v1/complaints", json=complaint_body(description="长" * 5001)), 422)
    problem(await complaints.get(f"/v1/complaints/track/{'A' * 41}"), 422)
    reporter = {"name": "王" * 101, "phone": "13800138000"}
    body = problem(await complaints.post("/v1/complaints", json=complaint_body(reporter=reporter)), 422)
    assert "王" * 101 not in str(body)  # what the reporter typed is not echoed back
    # Control characters in a one-line field are refused, not stored.
    problem(
        await registry.post("/v1/enterprises", json={"uscc": code(2), "name": "A\x00B"}, headers=regulator),
        422,
    )
    # The portal cuts an over-long search short rather than failing.
    assert (await registry.get("/search", params={"q": "测" * 5000})).status_code == 200


async def test_uploads_are_typed_by_content_bounded_and_counted(
    complaints: httpx.AsyncClient, complaints_app: FastAPI
) -> None:
    def attachment(content: bytes, filename: str = "证据.png") -> dict[str, str]:
        return {"filename": filename, "content_base64": base64.b64encode(content).decode()}

    ok = await complaints.post("/v1/complaints", json=complaint_body(attachments=[attachment(PNG)]))
    assert ok.status_code == 201, ok.text
    html = b"<html><script>alert(1)</script></html>"
    for bad in [
        [attachment(html, "证据.png")],  # the name says PNG, the content does not
        [attachment(b"MZ\x90\x00" + b"\x00" * 64, "invoice.pdf")],
        [{"filename": "a.png", "content_base64": "not base64!"}],
        [attachment(PNG, "a\x00.png")],
        [attachment(PNG)] * 4,  # at most three
    ]:
        problem(await complaints.post("/v1/complaints", json=complaint_body(attachments=bad)), 422)
    limit = complaints_app.state.settings.max_attachment_bytes
    too_big = [attachment(PNG + b"\x00" * limit)]
    problem(await complaints.post("/v1/complaints", json=complaint_body(attachments=too_big)), 413)


async def test_codes_are_normalised_and_names_stored_in_nfc(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    regulator = tokens(Role.regulator)
    full_width = code(1).translate(
        str.maketrans(
            "0123456789ABCDEFGHJKLMNPQRTUWXY",
            "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＸＹ",
        )
    )
    decomposed = unicodedata.normalize("NFD", "Café Crème（南宁）有限公司")
    created = await registry.post(
        "/v1/enterprises", json={"uscc": f"  {full_width.lower()} ", "name": decomposed}, headers=regulator
    )
    assert created.status_code == 201, created.text
    record = created.json()
    assert record["uscc"] == code(1)
    assert record["name"] == unicodedata.normalize("NFC", decomposed)
    assert "（南宁）" in record["name"]  # full-width punctuation of a Chinese name is kept (NFC, not NFKC)
    # The same code, written either way, is the same enterprise.
    again = await registry.post("/v1/enterprises", json={"uscc": code(1), "name": "x"}, headers=regulator)
    problem(again, 409)
    assert (await registry.get(f"/v1/enterprises/{full_width}")).json()["uscc"] == code(1)
    # A search typed in decomposed form finds the name stored composed.
    found = await registry.get("/v1/enterprises", params={"q": unicodedata.normalize("NFD", "Café")})
    assert [e["uscc"] for e in found.json()["items"]] == [code(1)]
    page = await registry.get("/search", params={"q": unicodedata.normalize("NFD", "Crème")})
    assert code(1) in page.text


async def test_nul_characters_and_odd_dates_are_422_on_every_database(
    registry: httpx.AsyncClient, complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    handler = tokens(Role.handler)
    for client, url, headers in [
        (complaints, "/v1/complaints?status=%00", handler),
        (complaints, "/v1/complaints/track/AB%00CD", {}),
        (registry, "/v1/enterprises?q=a%00b", {}),
        (registry, "/v1/lists/black?authority=%00", {}),
        (registry, f"/v1/enterprises/{code(1)}%00", {}),
        (registry, "/search?q=%00", {}),
    ]:
        problem(await client.get(url, headers=headers), 422)
    # In a JSON body (as \u0000): refused whatever the field, even one that is stored as sent.
    partner, regulator = tokens(Role.partner), tokens(Role.regulator)
    hook = {"url": "https://8.8.8.8/\u0000", "kinds": ["listed"]}
    problem(await registry.post("/v1/subscriptions", json=hook, headers=partner), 422)
    problem(
        await registry.post("/v1/enterprises", json={"uscc": code(3), "name": "甲\u0000"}, headers=regulator),
        422,
    )
    # The six characters \u0000 written as text are no NUL.
    literal = await registry.post(
        "/v1/enterprises", json={"uscc": code(3), "name": "甲\\u0000乙"}, headers=regulator
    )
    assert literal.status_code == 201 and literal.json()["name"] == "甲\\u0000乙"
    for query in ["to=9999-12-31", "from=0001-01-01", "from=0.0", "to=1700000000", "from=2026-02-30"]:
        problem(await complaints.get(f"/v1/stats?{query}", headers=handler), 422)
    assert (
        await complaints.get("/v1/stats?from=2026-01-01&to=2026-12-31", headers=handler)
    ).status_code == 200


async def test_nul_is_refused_however_the_json_body_is_labelled(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    """The filter reads the content type the way the framework does: case-insensitive, first header."""
    partner = tokens(Role.partner)
    body = b'{"url": "https://8.8.8.8/\\u0000", "kinds": ["listed"]}'
    for labels in [
        [("content-type", "Application/JSON")],
        [("content-type", "APPLICATION/JSON ; charset=UTF-8")],
        [("content-type", "application/vnd.partner+JSON")],
        [("content-type", "application/json"), ("content-type", "text/plain")],  # FastAPI reads the first
    ]:
        answer = await registry.post("/v1/subscriptions", content=body, headers=[*partner.items(), *labels])
        problem(answer, 422)
    assert (await registry.get("/v1/subscriptions", headers=partner)).json() == []


async def test_a_nul_in_a_decoded_header_is_422_and_nothing_is_logged(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    await register(registry, tokens(Role.regulator), code(1))
    partner = tokens(Role.partner)
    for purpose in ["%00", "case%2000%00x", "%1b[31m"]:
        answer = await registry.get(
            f"/v1/enterprises/{code(1)}/credit", headers={**partner, "X-Purpose": purpose}
        )
        problem(answer, 422)
    log = await registry.get("/v1/access-log", headers=tokens(Role.regulator))
    assert log.status_code == 200 and log.json()["items"] == []
    # A purpose in Chinese arrives percent-encoded and is kept.
    fine = await registry.get(
        f"/v1/enterprises/{code(1)}/credit", headers={**partner, "X-Purpose": "%E9%87%87%E8%B4%AD-1"}
    )
    assert fine.status_code == 200, fine.text
    log = await registry.get("/v1/access-log", headers=tokens(Role.regulator))
    assert [e["purpose"] for e in log.json()["items"]] == ["采购-1"]


async def test_date_times_are_strings_with_a_zone_never_numbers(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    from tests.registry.test_lists import entry_body
    from tests.support import event_body

    regulator = tokens(Role.regulator)
    await register(registry, regulator, code(1))
    for value in [0, 1700000000, 1.5, "1700000000", "0", True, "2026-11-02", "2026-11-02T00:00:00"]:
        listed = await registry.post(
            "/v1/list-entries", json=entry_body(code(1), decided_at=value), headers=regulator
        )
        body = problem(listed, 422)
        assert body["errors"][0]["field"] == "decided_at", (value, body)
        event = {**event_body(f"时间〔2026〕{value}号"), "occurred_at": value}
        problem(
            await registry.post(f"/v1/enterprises/{code(1)}/credit-events", json=event, headers=regulator),
            422,
        )
    assert (await registry.get(f"/v1/enterprises/{code(1)}/list-entries", headers=regulator)).json()[
        "items"
    ] == []
    ok = await registry.post(
        "/v1/list-entries",
        json=entry_body(code(1), decided_at="2026-11-02T08:00:00+08:00"),
        headers=regulator,
    )
    assert ok.status_code == 201, ok.text


async def test_a_method_not_allowed_is_405_naming_every_method_of_the_path(
    registry: httpx.AsyncClient, complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    for client, url, methods in [
        (registry, "/v1/enterprises", {"GET", "POST"}),
        (registry, f"/v1/enterprises/{code(1)}", {"GET", "PATCH"}),
        (registry, f"/v1/enterprises/{code(1)}/credit-events", {"GET", "POST"}),
        (complaints, "/v1/complaints", {"GET", "POST"}),
    ]:
        for method in ("OPTIONS", "PUT"):
            answer = await client.request(method, url)
            problem(answer, 405)
            allowed = {m.strip() for m in answer.headers["allow"].split(",")}
            assert methods <= allowed and method not in allowed, (method, url, allowed)
    # A GET where only POST exists is 405, not read as the id of some other route.
    answer = await registry.get("/v1/standards/samples", headers=tokens(Role.regulator))
    problem(answer, 405)
    assert answer.headers["allow"] == "POST"
