"""Request bounds enforced before a handler runs: the body's size, and no NUL in the path or query."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE


class _TooLarge(StarletteHTTPException):
    """Raised from `receive` once a streamed body passes the limit.

    An HTTPException, so FastAPI passes it through its body parsing (anything else becomes a 400
    "error parsing the body") and the app's handler renders the 413 problem.
    """

    def __init__(self, limit: int):
        super().__init__(413, f"request body exceeds {limit} bytes")


async def _send_413(send: Send, limit: int) -> None:
    await _send_problem(
        send, 413, "Payload too large", "payload-too-large", f"request body exceeds {limit} bytes"
    )


async def _send_problem(send: Send, status: int, title: str, slug: str, detail: str) -> None:
    body = json.dumps(
        {"type": PROBLEM_TYPE_BASE + slug, "title": title, "status": status, "detail": detail}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # PostgreSQL text cannot hold a NUL: refused here, once, rather than failing a query later.
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            await _send_problem(
                send, 422, "Unprocessable content", "validation", "a NUL character in the path or query"
            )
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _send_413(send, self.max_bytes)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_413(send, self.max_bytes)
