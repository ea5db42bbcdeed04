"""No secret in logs or answers; security headers on every HTML page; CORS closed unless configured."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from services.common.devkeys import COMPLAINTS_KEY_NAME, DEV_KEY_NAME
from services.common.roles import Role
from services.complaints.app import create_app as create_complaints_app
from services.complaints.confidential import DEV_KEY_FILE
from services.complaints.settings import ComplaintsSettings
from services.registry.app import create_app as create_registry_app
from services.registry.portal.complaints_client import complaints_client
from services.registry.settings import RegistrySettings
from tests.security.conftest import PNG, RegistryWorld
from tests.support import Backend, Tokens, code, complaint_body, move, register, running

REPORTER = {"name": "王秘密", "phone": "13912345678", "email": "secret.reporter@example.cn"}


def key_material(keys_dir: Path) -> list[str]:
    """Every private thing in the data dir: signing keys (PEM body lines) and the reporter key."""
    secrets = [(keys_dir / "keys" / DEV_KEY_FILE).read_text().strip()]
    for name in (DEV_KEY_NAME, COMPLAINTS_KEY_NAME):
        pem = (keys_dir / "keys" / f"{name}.pem").read_text()
        secrets += [line for line in pem.splitlines() if line and not line.startswith("-----")]
    return secrets


@pytest.fixture
async def portal(
    registry: httpx.AsyncClient, registry_app: FastAPI, complaints: httpx.AsyncClient, complaints_app: FastAPI
) -> AsyncIterator[httpx.AsyncClient]:
    """The registry client, its complaint form wired to the in-process complaints app."""

    async def to_complaints() -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=complaints_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://complaints") as client:
            yield client

    registry_app.dependency_overrides[complaints_client] = to_complaints
    try:
        yield registry
    finally:
        registry_app.dependency_overrides.clear()


async def test_no_secret_reaches_the_logs_or_an_error_answer(
    portal: httpx.AsyncClient,
    complaints: httpx.AsyncClient,
    tokens: Tokens,
    keys_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    logging.getLogger().handlers[0].flush()
    capsys.readouterr()
    regulator, handler, partner = tokens(Role.regulator), tokens(Role.handler), tokens(Role.partner)
    await register(portal, regulator, code(1))
    # Reporter data through the API (with evidence) and through the portal form.
    evidence = {"filename": "收据.png", "content_base64": base64.b64encode(PNG).decode()}
    filed = await complaints.post(
        "/v1/complaints", json=complaint_body(reporter=REPORTER, attachments=[evidence])
    )
    assert filed.status_code == 201, filed.text
    form = {
        "kind": "complaint",
        "target_uscc": code(1),
        "category": "food_safety",
        "description": "鲜牛奶在保质期内变质，商家拒绝退换。",
        "reporter_name": REPORTER["name"],
        "reporter_phone": REPORTER["phone"],
        "reporter_email": REPORTER["email"],
    }
    page = await portal.post("/complaints", data=form)
    assert page.status_code == 200, page.text[:300]
    tracking_code = filed.json()["tracking_code"]
    tracked = await portal.get("/track", params={"code": tracking_code})
    assert tracked.status_code == 200
    for leaky in (tracked.text, (await complaints.get(f"/v1/complaints/track/{tracking_code}")).text):
        assert not any(value in leaky for value in REPORTER.values())
    # A handler works the case; a refused write and a refused token along the way.
    case = filed.json()["id"]
    await move(complaints, handler, case, "accept", "investigate")
    bad_email = complaint_body(reporter={**REPORTER, "email": "not-an-email"})
    refused = await complaints.post("/v1/complaints", json=bad_email)
    assert refused.status_code == 422 and not any(value in refused.text for value in REPORTER.values())
    bogus = {"Authorization": "Bearer " + handler["Authorization"].split()[1][:-4] + "AAAA"}
    assert (await complaints.get(f"/v1/complaints/{case}", headers=bogus)).status_code == 401
    detail = await complaints.get(f"/v1/complaints/{case}", headers=handler)
    assert detail.json()["reporter"]["phone"] == REPORTER["phone"]
    # Tokens of every kind in use, a partner lookup and a webhook with its secret.
    lookup = await portal.post("/v1/credit-status:batch", json={"usccs": [code(1)]}, headers=partner)
    assert lookup.status_code == 200
    hook = await portal.post(
        "/v1/subscriptions", json={"url": "http://127.0.0.1:9/h", "kinds": ["listed"]}, headers=partner
    )
    webhook_secret = hook.json()["secret"]

    logging.getLogger().handlers[0].flush()
    logs = capsys.readouterr().err
    lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    assert any(line.get("logger") == "qcr.request" for line in lines), "no request was logged"
    secrets = [
        *REPORTER.values(),
        tracking_code,  # whoever has it reads the case's progress
        webhook_secret,
        *(headers["Authorization"].split()[1] for headers in (regulator, handler, partner, bogus)),
        *key_material(keys_dir),
    ]
    for secret in secrets:
        assert secret not in logs, f"{secret[:12]}… is in the logs"


async def test_errors_never_echo_the_token_or_the_internals(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = tokens(Role.regulator)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"database password hunter2 and token {token['Authorization']}")

    monkeypatch.setattr("services.registry.enterprises.service.register", broken)
    transport = httpx.ASGITransport(app=registry_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        crashed = await client.post("/v1/enterprises", json={"uscc": code(1), "name": "甲"}, headers=token)
    assert crashed.status_code == 500
    assert crashed.headers["content-type"] == "application/problem+json"
    assert crashed.json()["detail"] == "an unexpected error occurred"
    assert "hunter2" not in crashed.text and token["Authorization"] not in crashed.text


def html_routes(app: FastAPI) -> list[str]:
    return [
        route.path
        for route in iter_route_contexts(app.routes)
        if "GET" in (route.methods or ()) and not route.path.startswith(("/v1/", "/healthz", "/readyz"))
    ]


async def test_every_html_page_carries_security_headers(
    registry: httpx.AsyncClient,
    registry_app: FastAPI,
    registry_world: RegistryWorld,
    complaints: httpx.AsyncClient,
) -> None:
    filled = {
        "/enterprises/{code}": f"/enterprises/{registry_world.own}",
        "/lists/{name}": "/lists/black",
        "/search": "/search?q=安全",
    }
    pages = [filled.get(path, path) for path in html_routes(registry_app)]
    # and the pages that answer trouble: unknown code, empty search, bad tracking code, a 404
    pages += ["/enterprises/914501000000000000", "/search?q=", "/track?code=%3Cscript%3E", "/lists/grey"]
    checked = 0
    for url in pages:
        response = await registry.get(url)
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        checked += 1
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff", url
        assert headers["x-frame-options"] == "DENY", url
        assert "frame-ancestors 'none'" in headers["content-security-policy"], url
        assert headers["referrer-policy"] == "no-referrer", url
        if not url.startswith(("/docs", "/redoc")):  # the portal: no script at all
            assert "default-src 'none'" in headers["content-security-policy"], url
            assert "script-src" not in headers["content-security-policy"], url
    assert checked >= 12
    for url in ("/docs", "/redoc"):
        assert "frame-ancestors 'none'" in (await complaints.get(url)).headers["content-security-policy"]


async def test_answers_to_token_holders_are_not_cached(
    registry: httpx.AsyncClient, complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    filed = (await complaints.post("/v1/complaints", json=complaint_body())).json()
    detail = await complaints.get(f"/v1/complaints/{filed['id']}", headers=tokens(Role.handler))
    assert detail.headers["cache-control"] == "no-store"
    assert detail.headers["x-content-type-options"] == "nosniff"
    await register(registry, tokens(Role.regulator), code(1))
    own = await registry.get(f"/v1/enterprises/{code(1)}", headers=tokens(Role.enterprise, uscc=code(1)))
    assert own.headers["cache-control"] == "no-store"


async def _preflight(client: httpx.AsyncClient, origin: str, method: str = "POST") -> httpx.Response:
    return await client.options(
        "/v1/credit-status:batch",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type, x-purpose",
        },
    )


async def test_cors_is_closed_by_default(
    registry: httpx.AsyncClient, complaints: httpx.AsyncClient, tokens: Tokens
) -> None:
    for client in (registry, complaints):
        preflight = await _preflight(client, "https://evil.example")
        assert "access-control-allow-origin" not in preflight.headers
        simple = await client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in simple.headers


async def test_cors_opens_to_the_configured_origins_only(backend: Backend, keys_dir: Path) -> None:
    portal_origin = "https://portal.samr.example"
    registry_app = create_registry_app(
        RegistrySettings(
            environment="test",
            data_dir=keys_dir,
            database_url=backend.registry_url,
            db_pool_size=2,
            webhooks_enabled=False,
            cors_origins=[portal_origin],
        )
    )
    complaints_app = create_complaints_app(
        ComplaintsSettings(
            environment="test",
            data_dir=keys_dir,
            database_url=backend.complaints_url,
            db_pool_size=2,
            dispatch_enabled=False,
            cors_origins=[portal_origin],
        )
    )
    async with running(registry_app) as registry, running(complaints_app) as complaints:
        for client in (registry, complaints):
            allowed = await _preflight(client, portal_origin)
            assert allowed.status_code == 200
            assert allowed.headers["access-control-allow-origin"] == portal_origin
            assert "x-purpose" in allowed.headers["access-control-allow-headers"].lower()
            assert "access-control-allow-credentials" not in allowed.headers
            refused = await _preflight(client, "https://evil.example")
            assert refused.status_code == 400
            assert "access-control-allow-origin" not in refused.headers
            answer = await client.get("/healthz", headers={"Origin": portal_origin})
            assert answer.headers["access-control-allow-origin"] == portal_origin
        assert (await _preflight(registry, portal_origin, "DELETE")).status_code == 200
    monkeypatched = RegistrySettings.model_validate({"cors_origins": [portal_origin, "https://b.example"]})
    assert monkeypatched.cors_origins == [portal_origin, "https://b.example"]


async def test_database_errors_do_not_carry_what_was_written(
    complaints: httpx.AsyncClient, complaints_app: FastAPI
) -> None:
    """Such an error is logged with its traceback; SQLAlchemy would put the bound values in it."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError) as failure:
        async with complaints_app.state.engine.connect() as conn:
            await conn.execute(text("SELECT * FROM no_such_table WHERE x = :v"), {"v": REPORTER["phone"]})
    assert REPORTER["phone"] not in str(failure.value)
