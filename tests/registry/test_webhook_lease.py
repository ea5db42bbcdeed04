"""Two replicas, one slow partner: deliveries stay strictly ordered and never overlap."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.common.clock import SystemClock
from services.common.db import create_engine, session_factory
from services.common.roles import Role
from services.registry.partners.webhooks import WebhookDispatcher
from tests.processes import free_port
from tests.support import Backend, Tokens, code, register


class SlowReceiver:
    """Answers every delivery after `delay` seconds and records when each one was in flight."""

    def __init__(self, delay: float):
        self.delay = delay
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks/qcr"
        self.spans: list[tuple[float, float, int]] = []

    async def _handle(self, request: Request) -> Response:
        started = time.monotonic()
        seq = json.loads(await request.body())["seq"]
        await asyncio.sleep(self.delay)
        self.spans.append((started, time.monotonic(), seq))
        return Response(status_code=204)

    @contextmanager
    def running(self) -> Iterator[SlowReceiver]:
        app = Starlette(routes=[Route("/hooks/qcr", self._handle, methods=["POST"])])
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None))
        thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
        thread.start()
        while not server.started:
            threading.Event().wait(0.02)
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(10)


async def test_two_replicas_deliver_in_order_without_overlap(
    registry: httpx.AsyncClient, registry_app: FastAPI, backend: Backend, tokens: Tokens
) -> None:
    partner = tokens(Role.partner)
    with SlowReceiver(delay=0.3).running() as receiver:
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
    spans = sorted(receiver.spans)
    assert [seq for _, _, seq in spans] == sorted({seq for _, _, seq in spans}), "out of order or twice"
    assert len(spans) == 8
    for (_, ended, _), (started, _, _) in itertools.pairwise(spans):
        assert started >= ended, "two deliveries to the same subscription were in flight at once"
