"""Request bounds enforced before a handler runs (by `middleware.ServiceMiddleware`): the body's
size, and no NUL anywhere.

PostgreSQL text cannot hold a NUL, and no field of either API means one: a NUL in the path, the
query or a JSON body (written `\\u0000`) is refused here, once, rather than failing a query later.
"""

from __future__ import annotations

import email.message
import json
import re

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Send

from services.common.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE


class TooLarge(StarletteHTTPException):
    """Raised from `receive` once a streamed body passes the limit.

    An HTTPException, so FastAPI passes it through its body parsing (anything else becomes a 400
    "error parsing the body") and the app's handler renders the 413 problem.
    """

    def __init__(self, limit: int):
        super().__init__(413, f"request body exceeds {limit} bytes")


async def send_413(send: Send, limit: int) -> None:
    await send_problem(
        send, 413, "Payload too large", "payload-too-large", f"request body exceeds {limit} bytes"
    )


async def send_problem(send: Send, status: int, title: str, slug: str, detail: str) -> None:
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


class NulInBody(StarletteHTTPException):
    def __init__(self) -> None:
        super().__init__(422, "a NUL character (\\u0000) in the body")


# An escaped NUL in JSON text: `\u0000` after an even number of backslashes (`\\u0000` is the
# six characters themselves, escaped, and harmless).
JSON_NUL = re.compile(rb"(?:^|[^\\])(?:\\\\)*\\u0000")
TAIL = 64


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
