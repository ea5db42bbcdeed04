"""Two replicas, one slow partner: deliveries stay strictly ordered and never overlap."""

from __future__ import annotations

import asyncio
import itertools
import json

import httpx
from fastapi import FastAPI

from services.common.clock import SystemClock
from services.common.db import create_engine, session_factory
from services.common.roles import Role
from services.registry.partners.webhooks import WebhookDispatcher
from tests.receiver import Receiver
from tests.support import Backend, Tokens, code, register


async def test_two_replicas_deliver_in_order_without_overlap(
    registry: httpx.AsyncClient, registry_app: FastAPI, backend: Backend, tokens: Tokens
) -> None:
    partner = tokens(Role.partner)
    with Receiver(delay=0.3).running() as receiver:
        hook = {"url": receiver.url, "kinds": ["enterprise_created"], "after": 0}
        assert (await registry.post("/v1/subscriptions", json=hook, headers=partner)).status_code == 201
        for n in range(1, 9):
            await register(registry, tokens(Role.regulator), code(n))
        # The second replica has its own engine, as another process would. The lease is shorter than
        # the pass (8 deliveries of 0.3 s): a replica that does not renew it per POST loses it.
        other_engine = create_engine(backend.registry_url, pool_size=2)
        replicas = [
            WebhookDispatcher(
                sessions=sessions,
                clock=SystemClock(),
                timeout=0.9,
                backoff_base=0.1,
                backoff_max=0.2,
                lease_seconds=1,
                private_targets=True,
            )
            for sessions in (registry_app.state.sessions, session_factory(other_engine))
        ]

        async def work(replica: WebhookDispatcher) -> None:
            for _ in range(200):
                if len(receiver.spans) >= 8:
                    return
                if not await replica.run_once():
                    await asyncio.sleep(0.05)

        try:
            await asyncio.gather(*(work(r) for r in replicas))
        finally:
            await other_engine.dispose()
    spans = sorted((started, ended, json.loads(body)["seq"]) for started, ended, body in receiver.spans)
    assert [seq for _, _, seq in spans] == sorted({seq for _, _, seq in spans}), "out of order or twice"
    assert len(spans) == 8
    for (_, ended, _), (started, _, _) in itertools.pairwise(spans):
        assert started >= ended, "two deliveries to the same subscription were in flight at once"
