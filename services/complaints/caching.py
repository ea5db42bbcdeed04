"""No cache keeps a case: every answer under /v1/complaints is `Cache-Control: no-store`.

The tracking code is the only key to a case, and the intake answer carries it: a shared proxy or a
browser cache that kept either answer would hand the case to whoever asks next. The shared headers
middleware only marks answers to requests with a token; these routes are public.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/v1/complaints"


class NoStoreMiddleware:
    def __init__(self, app: ASGIApp, *, prefix: str = PREFIX):
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == self.prefix or path.startswith(self.prefix + "/")):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(n, v) for n, v in message.get("headers", []) if n.lower() != b"cache-control"]
                message["headers"] = [*headers, (b"cache-control", b"no-store")]
            await send(message)

        await self.app(scope, receive, send_no_store)
