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
from services.registry.partners import targets, webhooks
from services.registry.partners.webhooks import WebhookDispatcher
from services.registry.settings import RegistrySettings
from tests.receiver import Receiver
from tests.support import Backend, Tokens, code, register, running, wipe


def local_dispatcher(app: FastAPI, clock: FrozenClock) -> WebhookDispatcher:
    """A dispatcher allowed to deliver to the test receivers on 127.0.0.1."""
    return WebhookDispatcher(
        sessions=app.state.sessions,
        clock=clock,
        timeout=2,
        backoff_base=1,
        backoff_max=10,
        private_targets=True,
    )


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
    # IPv6 forms that carry an IPv4 address inside them: NAT64, 6to4, IPv4-compatible.
    "https://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/latest",  # NAT64 of 169.254.169.254
    "https://[64:ff9b:1::a00:1]/hook",  # local-use NAT64
    "https://[2002:c0a8:1::1]/hook",  # 6to4 of 192.168.0.1
    "https://[2002:a9fe:a9fe::1]/hook",  # 6to4 of 169.254.169.254
    "https://[2002:7f00:1::1]/hook",  # 6to4 of 127.0.0.1
    "https://[::a00:1]/hook",  # IPv4-compatible 10.0.0.1
    # Hosts that are no host name at all.
    "https://" + "a" * 300 + ".example/hook",
    "https://xn--/hook",
    "https://%00/hook",
]


@pytest.fixture
async def guarded(
    backend: Backend, keys_dir: Path, clock: FrozenClock
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    """The registry as it runs by default: deliveries to private addresses refused."""
    settings = RegistrySettings(
        environment="test",
        data_dir=keys_dir,
        database_url=backend.registry_url,
        db_pool_size=2,
        webhooks_enabled=False,
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
        assert "127.0.0.1" not in refused.text and "10.0.0.1" not in refused.text
    for url in ["https://8.8.8.8/hook", "https://[64:ff9b::808:808]/hook", "https://[2002:808:808::1]/hook"]:
        public = await client.post(
            "/v1/subscriptions", json={"url": url, "kinds": ["listed"]}, headers=partner
        )
        assert public.status_code == 201, (url, public.text)


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
    assert subscription["last_error"] == webhooks.DELIVERY_FAILED
    assert subscription["cursor"] == "0"


def test_private_targets_are_refused_unless_explicitly_allowed(keys_dir: Path) -> None:
    production = {
        "environment": "production",
        "database_url": "postgresql+asyncpg://db/registry",
        "ledger_key_file": keys_dir / "ledger.pem",
        "reports_key_file": keys_dir / "reports.pem",
        "reports_jwks_file": keys_dir / "reports.jwks.json",
        "trusted_issuers": [{"issuer": "idp", "jwks": "https://idp.example/jwks", "roles": ["regulator"]}],
    }
    for values in ({"environment": "dev"}, {"environment": "test"}, production):
        assert RegistrySettings(data_dir=keys_dir, **values).webhook_private_targets is False, values
    assert RegistrySettings(
        environment="dev", data_dir=keys_dir, webhook_private_targets=True
    ).webhook_private_targets
    with pytest.raises(ValueError, match="private"):
        RegistrySettings(data_dir=keys_dir, webhook_private_targets=True, **production)


async def test_the_partner_sees_one_generic_error_whatever_went_wrong(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, clock: FrozenClock
) -> None:
    """No port scanner: a closed port and a server answering 403 leave the same stored error."""
    partner = tokens(Role.partner)
    with Receiver(fail_first=100, fail_status=403).running() as receiver:
        for url in ("http://127.0.0.1:9/hook", receiver.url):
            hook = {"url": url, "kinds": ["enterprise_created"], "after": 0}
            assert (await registry.post("/v1/subscriptions", json=hook, headers=partner)).status_code == 201
        await register(registry, tokens(Role.regulator), code(1))
        worker = local_dispatcher(registry_app, clock)
        assert await worker.run_once() == 0
        assert receiver.calls == 1  # the 403 was really answered
    errors = [s["last_error"] for s in (await registry.get("/v1/subscriptions", headers=partner)).json()]
    assert errors == [webhooks.DELIVERY_FAILED, webhooks.DELIVERY_FAILED]


async def test_delivery_connects_to_the_address_that_was_vetted(
    registry: httpx.AsyncClient,
    registry_app: FastAPI,
    tokens: Tokens,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: the name is resolved once per delivery, and the POST goes to that address.

    The name below exists in no DNS; the registry's own resolver (stubbed here) answers for it, so a
    delivery only arrives if the client connects to the vetted address instead of resolving again.
    """
    lookups: list[str] = []

    async def resolver(host: str) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(targets, "resolve_host", resolver)
    partner = tokens(Role.partner)
    with Receiver().running() as receiver:
        url = receiver.url.replace("127.0.0.1", "partner-hooks.invalid")
        hook = {"url": url, "kinds": ["enterprise_created"], "after": 0}
        assert (await registry.post("/v1/subscriptions", json=hook, headers=partner)).status_code == 201
        lookups.clear()
        for n in (1, 2):
            await register(registry, tokens(Role.regulator), code(n))
        worker = local_dispatcher(registry_app, clock)
        assert await worker.run_once() == 2
    assert lookups == ["partner-hooks.invalid"]  # one resolution for the pass, none by the client
    assert [r.headers["host"] for r in receiver.received] == [f"partner-hooks.invalid:{receiver.port}"] * 2
