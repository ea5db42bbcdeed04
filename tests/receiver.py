"""A partner's webhook endpoint: a real HTTP server on loopback that records what it receives."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.processes import free_port


@dataclass(frozen=True)
class Received:
    body: bytes
    headers: dict[str, str]


class Receiver:
    def __init__(self, fail_first: int = 0, fail_status: int = 503, delay: float = 0):
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.delay = delay  # a slow partner: seconds before each answer
        self.spans: list[tuple[float, float, bytes]] = []  # (started, answered, body), monotonic
        self.received: list[Received] = []
        self.calls = 0
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks/qcr"

    async def _handle(self, request: Request) -> Response:
        started = time.monotonic()
        if self.delay:
            await asyncio.sleep(self.delay)
        try:
            return await self._answer(request)
        finally:
            self.spans.append((started, time.monotonic(), await request.body()))

    async def _answer(self, request: Request) -> Response:
        self.calls += 1
        if self.calls <= self.fail_first:
            return Response(status_code=self.fail_status)
        self.received.append(Received(await request.body(), dict(request.headers)))
        return Response(status_code=204)

    @contextmanager
    def running(self) -> Iterator[Receiver]:
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
