"""A complaint naming only a barcode reaches the enterprise responsible for it (both databases).

The complaints app's calls to the registry go to the real registry app in process (ASGI transport).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from services.common.clock import SystemClock
from services.common.gtin import check_digit
from services.common.roles import Role
from services.complaints.cases.tracing import registry_client
from services.complaints.outbox.dispatcher import Dispatcher
from tests.support import Tokens, code, complaint_body, move, register

DAIRY = code(821)
MILK = "690555500001" + str(check_digit("690555500001"))
REPORTER = ("王小明", "13800138000", "wxm@example.cn")


@pytest.fixture
async def wired(
    registry: httpx.AsyncClient, registry_app: FastAPI, complaints: httpx.AsyncClient, complaints_app: FastAPI
) -> AsyncIterator[list[httpx.Request]]:
    """Complaints → registry in process; yields every request the registry received from it."""
    sent: list[httpx.Request] = []

    async def keep(request: httpx.Request) -> None:
        await request.aread()
        sent.append(request)

    async def to_registry() -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=registry_app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://registry", event_hooks={"request": [keep]}
        ) as client:
            yield client

    complaints_app.dependency_overrides[registry_client] = to_registry
    try:
        yield sent
    finally:
        complaints_app.dependency_overrides.clear()


async def seed(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, DAIRY, "南宁市示例乳业有限公司")
    created = await registry.post(
        "/v1/company-prefixes",
        json={"prefix": "6905555", "uscc": DAIRY, "registered_on": "2026-01-01"},
        headers=reg,
    )
    assert created.status_code == 201, created.text
    item = await registry.post(
        f"/v1/enterprises/{DAIRY}/products", json={"gtin": MILK, "name": "纯牛奶 250mL"}, headers=reg
    )
    assert item.status_code == 201, item.text


def barcode_only(**over: object) -> dict[str, object]:
    body = complaint_body(**{"gtin": MILK, "batch": "20261015A", "product": None, **over})
    del body["target_uscc"]
    return body


async def test_a_barcode_is_traced_and_the_event_names_the_product(
    registry: httpx.AsyncClient,
    registry_app: FastAPI,
    complaints: httpx.AsyncClient,
    complaints_app: FastAPI,
    wired: list[httpx.Request],
    tokens: Tokens,
) -> None:
    await seed(registry, tokens)
    filed = await complaints.post("/v1/complaints", json=barcode_only())
    assert filed.status_code == 201, filed.text
    handler = tokens(Role.handler, audience="complaints")
    case = (await complaints.get(f"/v1/complaints/{filed.json()['id']}", headers=handler)).json()
    assert case["target_uscc"] == DAIRY and case["target_name"] == "南宁市示例乳业有限公司"
    assert case["product"] == "纯牛奶 250mL"
    assert case["tracing"] == {
        "gtin": MILK,
        "batch": "20261015A",
        "status": "traced",
        "uscc": DAIRY,
        "name": "南宁市示例乳业有限公司",
    }
    # the registry was asked with the barcode and a service token, nothing of the reporter's
    assert [r.url.path for r in wired] == [f"/v1/products/{MILK}/trace"]
    leaked = str(wired[0].url) + str(dict(wired[0].headers)) + wired[0].content.decode()
    assert not any(secret in leaked for secret in REPORTER)

    await move(complaints, handler, case["id"], "accept", "investigate", "substantiate", severity="major")
    transport = httpx.ASGITransport(app=registry_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
        dispatcher = Dispatcher(
            sessions=complaints_app.state.sessions,
            settings=complaints_app.state.settings,
            clock=SystemClock(),  # token times are checked against the wall clock
            client=client,
        )
        assert await dispatcher.run_once() == 1
    events = (
        await registry.get(f"/v1/enterprises/{DAIRY}/credit-events", headers=tokens(Role.regulator))
    ).json()["items"]
    assert [(e["kind"], e["gtin"], e["batch"], e["product_name"]) for e in events] == [
        ("complaint_substantiated", MILK, "20261015A", "纯牛奶 250mL")
    ]


async def test_untraceable_barcodes_still_file_the_case(
    registry: httpx.AsyncClient, complaints: httpx.AsyncClient, wired: list[httpx.Request], tokens: Tokens
) -> None:
    await seed(registry, tokens)
    handler = tokens(Role.handler, audience="complaints")
    unknown = "480000000001" + str(check_digit("480000000001"))
    filed = await complaints.post("/v1/complaints", json=barcode_only(gtin=unknown))
    assert filed.status_code == 201, filed.text
    case = (await complaints.get(f"/v1/complaints/{filed.json()['id']}", headers=handler)).json()
    assert case["target_uscc"] is None and case["tracing"]["status"] == "not_found"

    in_store = "200000000001" + str(check_digit("200000000001"))
    filed = await complaints.post("/v1/complaints", json=barcode_only(gtin=in_store))
    case = (await complaints.get(f"/v1/complaints/{filed.json()['id']}", headers=handler)).json()
    assert case["tracing"]["status"] == "restricted"

    # naming the enterprise too: nothing is traced, the barcode is kept
    named = await complaints.post("/v1/complaints", json=complaint_body(gtin=MILK))
    case = (await complaints.get(f"/v1/complaints/{named.json()['id']}", headers=handler)).json()
    assert case["tracing"]["status"] == "named" and case["target_uscc"] == code(1)
    assert len(wired) == 2

    wrong = await complaints.post(
        "/v1/complaints", json=barcode_only(gtin=MILK[:-1] + str((int(MILK[-1]) + 1) % 10))
    )
    assert wrong.status_code == 422 and f"check digit should be {MILK[-1]}" in wrong.text


async def test_a_registry_outage_leaves_the_case_untraced(
    complaints: httpx.AsyncClient, complaints_app: FastAPI, tokens: Tokens
) -> None:
    async def nowhere() -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(base_url="http://127.0.0.1:9", timeout=2) as client:
            yield client

    complaints_app.dependency_overrides[registry_client] = nowhere
    try:
        filed = await complaints.post("/v1/complaints", json=barcode_only())
    finally:
        complaints_app.dependency_overrides.clear()
    assert filed.status_code == 201
    case = (
        await complaints.get(
            f"/v1/complaints/{filed.json()['id']}", headers=tokens(Role.handler, audience="complaints")
        )
    ).json()
    assert case["tracing"]["status"] == "unavailable" and case["target_uscc"] is None
