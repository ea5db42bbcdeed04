"""A real HTTP server on loopback in front of the registry that can fail on purpose and counts."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.processes import free_port


class FlakyProxy:
    """Forwards to `upstream`; the first `fail_first` POSTs get 500 without reaching it."""

    def __init__(self, upstream: str, fail_first: int = 0):
        self.upstream = upstream
        self.fail_first = fail_first
        self.posts: list[str] = []
        self.forwarded: Counter[str] = Counter()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        if request.method == "POST":
            with self._lock:
                self.posts.append(request.url.path)
                failing = len(self.posts) <= self.fail_first
            if failing:
                return Response(b'{"detail": "injected failure"}', status_code=500)
        async with httpx.AsyncClient(base_url=self.upstream, timeout=10) as client:
            upstream = await client.request(
                request.method,
                request.url.path,
                content=body,
                headers={
                    k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type")
                },
            )
        if request.method == "POST":
            source_ref = httpx.Response(200, content=body).json().get("source_ref", "?")
            with self._lock:
                self.forwarded[source_ref] += 1
        return Response(
            upstream.content,
            status_code=upstream.status_code,
            media_type=upstream.headers.get("content-type"),
        )

    @contextmanager
    def running(self) -> Iterator[FlakyProxy]:
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST"])])
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
