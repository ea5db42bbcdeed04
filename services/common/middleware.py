"""The one pure-ASGI middleware in front of every request: request id, bounds, headers, metrics, log.

One layer instead of four (request log, metrics, security headers, body limit): the request
headers are read in one pass, the response start is rewritten once, the metric children for a
(method, route, status) are bound once and reused, and the log line is built only when it is
written. What each part guarantees is unchanged:

- every answer carries `X-Request-ID` (the caller's, when it is a safe token) and
  `X-Content-Type-Options: nosniff`; HTML is never framed and sends no referrer; an answer to a
  request with a token is never stored by a cache (`Cache-Control: no-store`), unless the route set
  its own header of that name;
- a body over the limit is refused with 413 (declared or streamed), a NUL in the path, the query or
  a JSON body with 422 (PostgreSQL text cannot hold one; see `limits`);
- one log line and one metric observation per request, labelled by the route template, never by
  the raw path.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.limits import JSON_NUL, TAIL, NulInBody, TooLarge, is_json_body, send_413, send_problem
from services.common.observability import Metrics, request_id_var, route_template

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_ALWAYS = ((b"x-content-type-options", b"nosniff"),)
_HTML = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
)
_NO_STORE = (b"cache-control", b"no-store")


class ServiceMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, max_bytes: int):
        self.app = app
        self.metrics = metrics
        self.max_bytes = max_bytes
        self.logger = logging.getLogger("qcr.request")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = b""
        with_token = False
        declared: bytes | None = None
        has_body = False
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value
            elif name == b"authorization":
                with_token = True
            elif name == b"content-length":
                declared = value
                has_body = True
            elif name == b"transfer-encoding":
                has_body = True
        text = incoming.decode("latin-1")
        rid = text if text and _REQUEST_ID_OK.match(text) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500
        sent = False

        async def send_wrapped(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                sent = True
                status = message["status"]
                headers = list(message.get("headers", ()))
                present = {n.lower() for n, _ in headers}
                extra = [(b"x-request-id", rid.encode()), *_ALWAYS]
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html"):
                    extra += _HTML
                if with_token:
                    extra.append(_NO_STORE)
                message["headers"] = headers + [(n, v) for n, v in extra if n not in present]
            await send(message)

        try:
            if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
                await send_problem(
                    send_wrapped,
                    422,
                    "Unprocessable content",
                    "validation",
                    "a NUL character in the path or query",
                )
            elif declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
                await send_413(send_wrapped, self.max_bytes)
            elif has_body:
                try:
                    await self.app(scope, self._bounded(scope, receive), send_wrapped)
                except TooLarge:
                    if not sent:
                        await send_413(send_wrapped, self.max_bytes)
            else:
                await self.app(scope, receive, send_wrapped)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            self.metrics.observe(scope["method"], route, status, elapsed)
            if self.logger.isEnabledFor(logging.INFO):
                self.logger.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            request_id_var.reset(token)

    def _bounded(self, scope: Scope, receive: Receive) -> Receive:
        """`receive`, counting the body against the limit and looking for an escaped NUL in JSON."""
        is_json = is_json_body(scope["headers"])
        limit = self.max_bytes
        received = 0
        tail = b""

        async def counting_receive() -> Message:
            nonlocal received, tail
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise TooLarge(limit)
                if is_json and b"u0000" in tail + chunk and JSON_NUL.search(tail + chunk):
                    raise NulInBody
                tail = (tail + chunk)[-TAIL:]
            return message

        return counting_receive
