"""Public routes are rate-limited per client, configurably: 429 with Retry-After, then recovery.

Time comes from the injectable clock; nothing sleeps.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.common.clock import FrozenClock
from services.common.ratelimit import RateLimiter
from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from tests.support import Backend, complaint_body

PROBLEM = "application/problem+json"


@asynccontextmanager
async def client_at(app: FastAPI, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """Another client of the same running app, calling from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def assert_limited(response: httpx.Response, *, html: bool = False) -> int:
    assert response.status_code == 429, response.text[:300]
    wait = int(response.headers["retry-after"])
    assert 1 <= wait <= 60
    if html:
        assert response.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in response.headers["content-security-policy"]
    else:
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["retry_after"] == wait
    return wait


async def test_enterprise_search_is_limited_per_client_and_recovers(
    registry: httpx.AsyncClient, registry_app: FastAPI, clock: FrozenClock
) -> None:
    registry_app.state.rate_limits["search"] = (3, 60)
    for _ in range(3):
        assert (await registry.get("/v1/enterprises", params={"q": "乳业"})).status_code == 200
    wait = assert_limited(await registry.get("/v1/enterprises", params={"q": "乳业"}))
    # The portal's search page draws on the same allowance: it is the same search.
    assert_limited(await registry.get("/search", params={"q": "乳业"}), html=True)
    # Another client is not held back by the first.
    async with client_at(registry_app, "203.0.113.7") as neighbour:
        assert (await neighbour.get("/v1/enterprises")).status_code == 200
    clock.advance(timedelta(seconds=wait))
    assert (await registry.get("/v1/enterprises", params={"q": "乳业"})).status_code == 200


async def test_public_lists_are_limited_per_client_and_recover(
    registry: httpx.AsyncClient, registry_app: FastAPI, clock: FrozenClock
) -> None:
    registry_app.state.rate_limits["public_list"] = (2, 60)
    assert (await registry.get("/v1/lists/black")).status_code == 200
    assert (await registry.get("/lists/red")).status_code == 200
    assert_limited(await registry.get("/v1/lists/red"))
    assert_limited(await registry.get("/lists/black"), html=True)
    clock.advance(timedelta(seconds=61))
    assert (await registry.get("/lists/black")).status_code == 200


async def test_complaint_intake_and_tracking_are_limited_per_client(
    complaints: httpx.AsyncClient, complaints_app: FastAPI, clock: FrozenClock
) -> None:
    complaints_app.state.rate_limits["intake"] = (1, 60)
    complaints_app.state.rate_limits["tracking"] = (1, 60)
    assert (await complaints.post("/v1/complaints", json=complaint_body())).status_code == 201
    assert_limited(await complaints.post("/v1/complaints", json=complaint_body()))
    assert (await complaints.get("/v1/complaints/track/AAAA-BBBB-CCCC-DDDD")).status_code == 404
    assert_limited(await complaints.get("/v1/complaints/track/AAAA-BBBB-CCCC-DDDD"))
    async with client_at(complaints_app, "198.51.100.9") as other:
        assert (
            await other.post("/v1/complaints", json=complaint_body(description="另一位消费者的投诉内容"))
        ).status_code == 201
    clock.advance(timedelta(seconds=60))
    assert (await complaints.post("/v1/complaints", json=complaint_body())).status_code == 201


async def test_limits_come_from_settings(
    backend: Backend, keys_dir: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = RegistrySettings(
        environment="test",
        data_dir=keys_dir,
        database_url=backend.registry_url,
        db_pool_size=2,
        webhooks_enabled=False,
        search_rate=(1, 10),
        public_list_rate=(2, 30),
        console_login_rate=(3, 60),
    )
    app = create_app(settings, clock=clock)
    assert app.state.rate_limits == {"search": (1, 10), "public_list": (2, 30), "console_login": (3, 60)}
    async with client_at(app, "192.0.2.1") as client, app.router.lifespan_context(app):
        assert (await client.get("/v1/enterprises")).status_code == 200
        assert assert_limited(await client.get("/v1/enterprises")) <= 10
    # From the environment, as operators set it.
    monkeypatch.setenv("REGISTRY_SEARCH_RATE", "[5, 1]")
    monkeypatch.setenv("REGISTRY_PUBLIC_LIST_RATE", "[7, 2]")
    monkeypatch.setenv("REGISTRY_CONSOLE_LOGIN_RATE", "[9, 3]")
    from_env = RegistrySettings(data_dir=keys_dir)
    assert (from_env.search_rate, from_env.public_list_rate) == ((5, 1), (7, 2))
    assert from_env.console_login_rate == (9, 3)


def test_the_limiter_stays_bounded_under_a_flood_of_clients() -> None:
    limiter = RateLimiter(max_keys=100)
    for n in range(5000):
        limiter.hit("search", f"2001:db8::{n:x}", limit=10, window_seconds=60, now=1000.0)
        assert len(limiter) <= 100
    # Windows that have ended make room first; a client still within its window keeps its count.
    limiter = RateLimiter(max_keys=3)
    assert limiter.hit("intake", "a", limit=1, window_seconds=3600, now=0.0) is None
    assert limiter.hit("tracking", "b", limit=5, window_seconds=60, now=0.0) is None
    assert limiter.hit("tracking", "c", limit=5, window_seconds=60, now=0.0) is None
    assert limiter.hit("tracking", "d", limit=5, window_seconds=60, now=120.0) is None  # b and c ended
    assert limiter.hit("intake", "a", limit=1, window_seconds=3600, now=120.0) == 3480
