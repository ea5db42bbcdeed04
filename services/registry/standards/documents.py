"""The standard's text: a PDF, recognised by its content (never by its name), bounded, hashed."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from services.common.errors import PayloadTooLarge, Unprocessable

PDF_MEDIA_TYPE = "application/pdf"
# ISO 32000: the header "%PDF-" is within the first 1024 bytes (usually at 0); readers accept junk
# before it, so do we, but nothing that lacks it.
_HEADER_WINDOW = 1024


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes
    sha256: str


def _invalid(message: str) -> Unprocessable:
    return Unprocessable(
        f"document: {message}",
        errors=[{"field": "document.content_base64", "in": "body", "message": message}],
    )


def decode(filename: str, content_base64: str, *, max_bytes: int) -> Document:
    # A quick bound before decoding: base64 is 4 characters per 3 bytes.
    if len(content_base64) > (max_bytes + 2) // 3 * 4 + 4:
        raise PayloadTooLarge(f"document: larger than {max_bytes} bytes", max_bytes=max_bytes)
    try:
        content = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _invalid("not valid base64") from exc
    if len(content) > max_bytes:
        raise PayloadTooLarge(f"document: {len(content)} bytes; at most {max_bytes}", max_bytes=max_bytes)
    if b"%PDF-" not in content[:_HEADER_WINDOW]:
        raise _invalid("content is not a PDF file (no %PDF- header)")
    return Document(filename, content, hashlib.sha256(content).hexdigest())
