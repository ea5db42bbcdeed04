"""A partner's webhook must not make the registry POST into the registry's own network (SSRF)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.registry.app import create_app
from services.registry.database import load_models
from services.registry.partners.webhooks import WebhookDispatcher
from services.registry.settings import RegistrySettings
from tests.support import Backend, Tokens, code, register, running, wipe

INSIDE = [
    "http://127.0.0.1:9/hook",
    "https://localhost/hook",
    "https://api.localhost/hook",
    "https://[::1]/hook",
    "https://10.1.2.3/hook",
    "https://192.168.0.10/hook",
    "https://172.16.5.4/hook",
    "http://169.254.169.254/latest/meta-data",  # a cloud's instance metadata
    "https://0.0.0.0/hook",
    "https://[fd00::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
]


@pytest.fixture
async def guarded(
    backend: Backend, keys_dir: Path, clock: FrozenClock
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    """The registry as production runs it: deliveries to private addresses refused."""
    settings = RegistrySettings(
        environment="test",
        data_dir=keys_dir,
        database_url=backend.registry_url,
        db_pool_size=2,
        webhooks_enabled=False,
        webhook_private_targets=False,
    )
    app = create_app(settings, clock=clock)
    async with running(app) as client:
        try:
            yield client, app
        finally:
            await wipe(app.state.engine, load_models())


async def test_subscriptions_to_internal_addresses_are_refused(
    guarded: tuple[httpx.AsyncClient, FastAPI], tokens: Tokens
) -> None:
    client, _ = guarded
    partner = tokens(Role.partner)
    for url in INSIDE:
        refused = await client.post(
            "/v1/subscriptions", json={"url": url, "kinds": ["listed"]}, headers=partner
        )
        assert refused.status_code == 422, (url, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["errors"][0]["field"] == "url"
    for odd in ["https://" + "a" * 300 + ".example/hook", "https://xn--/hook", "https://%00/hook"]:
        answer = await client.post(
            "/v1/subscriptions", json={"url": odd, "kinds": ["listed"]}, headers=partner
        )
        assert answer.status_code in (201, 422), (odd, answer.text)
    public = await client.post(
        "/v1/subscriptions", json={"url": "https://8.8.8.8/hook", "kinds": ["listed"]}, headers=partner
    )
    assert public.status_code == 201, public.text


async def test_a_stored_internal_target_gets_no_delivery(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, clock: FrozenClock
) -> None:
    """An address may turn private after the check (a name re-pointed): delivery checks again."""
    partner = tokens(Role.partner)
    hook = {"url": "http://127.0.0.1:9/hook", "kinds": ["enterprise_created"], "after": 0}
    assert (await registry.post("/v1/subscriptions", json=hook, headers=partner)).status_code == 201
    await register(registry, tokens(Role.regulator), code(1))
    guarded = WebhookDispatcher(
        sessions=registry_app.state.sessions,
        clock=clock,
        timeout=1,
        backoff_base=1,
        backoff_max=10,
        private_targets=False,
    )
    assert await guarded.run_once() == 0
    (subscription,) = (await registry.get("/v1/subscriptions", headers=partner)).json()
    assert subscription["last_error"].startswith("refused: 127.0.0.1 is not a public address")
    assert subscription["cursor"] == "0"


def test_private_targets_are_allowed_outside_production_only() -> None:
    def allowed(**values: object) -> bool:
        return RegistrySettings.model_construct(**values).webhook_private_targets_allowed

    assert not allowed(environment="production", webhook_private_targets=None)
    assert allowed(environment="dev", webhook_private_targets=None)
    assert not allowed(environment="dev", webhook_private_targets=False)
