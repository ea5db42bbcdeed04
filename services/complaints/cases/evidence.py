"""Evidence attachments: decoded, bounded in size, typed by content (never by file name)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from services.common.errors import PayloadTooLarge, Unprocessable

_SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
]

MEDIA_TYPES = tuple(media for _, media in _SIGNATURES)
# The documented form of an attachment: strict base64 (as decoded below) whose bytes start with one
# of the signatures above: "/9j/" is FF D8 FF, "JVBERi[0-3]" + 1 is "%PDF-", "iVBORw0KGg[o-r]" + 1
# is the PNG signature (each signature's last byte shares a base64 character with the next byte).
_B64 = "[A-Za-z0-9+/]"
_HEAD = f"(?:/9j/|JVBERi[0-3]{_B64}|iVBORw0KGg[o-r]{_B64})"  # then whole groups, or the bare signature
CONTENT_PATTERN = f"^(?:JVBERi0=|iVBORw0KGg[o-r]=|{_HEAD}(?:{_B64}{{4}})*(?:{_B64}{{2}}==|{_B64}{{3}}=)?)$"


@dataclass(frozen=True)
class Evidence:
    filename: str
    media_type: str
    content: bytes
    sha256: str


def sniff(content: bytes) -> str | None:
    return next((media for magic, media in _SIGNATURES if content.startswith(magic)), None)


def decode(index: int, filename: str, content_base64: str, *, max_bytes: int) -> Evidence:
    field = f"attachments.{index}"
    try:
        content = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Unprocessable(
            f"{field}.content_base64: not valid base64",
            errors=[{"field": f"{field}.content_base64", "message": "not valid base64"}],
        ) from exc
    if len(content) > max_bytes:
        raise PayloadTooLarge(f"{field}: {len(content)} bytes; at most {max_bytes} per attachment")
    media_type = sniff(content)
    if media_type is None:
        message = "content is not a PDF, PNG or JPEG file"
        raise Unprocessable(f"{field}: {message}", errors=[{"field": field, "message": message}])
    return Evidence(filename, media_type, content, hashlib.sha256(content).hexdigest())
