"""Request bounds enforced before a handler runs: the body's size, and no NUL anywhere.

PostgreSQL text cannot hold a NUL, and no field of either API means one: a NUL in the path, the
query or a JSON body (written `\\u0000`) is refused here, once, rather than failing a query later.
"""

from __future__ import annotations

import email.message
import json
import re

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


class _NulInBody(StarletteHTTPException):
    def __init__(self) -> None:
        super().__init__(422, "a NUL character (\\u0000) in the body")


# An escaped NUL in JSON text: `\u0000` after an even number of backslashes (`\\u0000` is the
# six characters themselves, escaped, and harmless).
_JSON_NUL = re.compile(rb"(?:^|[^\\])(?:\\\\)*\\u0000")
_TAIL = 64


def is_json_body(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether FastAPI will parse this body as JSON, decided exactly as it does: the first
    Content-Type header, parsed as a MIME type (case-insensitive, parameters ignored), `application/json`
    or `application/*+json`; no Content-Type at all may be parsed as JSON too."""
    value = next((v for n, v in headers if n.lower() == b"content-type"), None)
    if not value:
        return True
    message = email.message.Message()
    message["content-type"] = value.decode("latin-1")
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


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
        is_json = is_json_body(scope.get("headers", []))
        received = 0
        started = False
        tail = b""

        async def counting_receive() -> Message:
            nonlocal received, tail
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > self.max_bytes:
                    raise _TooLarge(self.max_bytes)
                if is_json and b"u0000" in tail + chunk and _JSON_NUL.search(tail + chunk):
                    raise _NulInBody
                tail = (tail + chunk)[-_TAIL:]
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
