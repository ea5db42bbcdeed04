"""The standard's text: a PDF, recognised by its content (never by its name), bounded, hashed."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from services.common.errors import PayloadTooLarge, Unprocessable

PDF_MEDIA_TYPE = "application/pdf"
# ISO 32000 (7.5): a header `%PDF-n.m` within the first 1024 bytes (readers accept junk before it),
# a body of indirect objects (`n g obj ... endobj`), a trailer or cross-reference stream reached by
# `startxref`, and the end-of-file marker `%%EOF` within the last 1024 bytes. No PDF library is
# locked, so the check is on that skeleton: enough to refuse an HTML page that merely starts with
# `%PDF-`, without trying to render the file.
_WINDOW = 1024
_HEADER = re.compile(rb"%PDF-\d\.\d")
_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b.*?\bendobj\b", re.S)
_TRAILER = re.compile(rb"\b(?:trailer|startxref)\b")


# What OpenAPI says of the content: strict base64 (as decoded below) with the format `pdf-base64`
# for the skeleton above, which no pattern can express (a schema fuzzer registers a generator).
BASE64_PATTERN = "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
PDF_FORMAT = "pdf-base64"


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


def _not_a_pdf(content: bytes) -> str | None:
    header = _HEADER.search(content[:_WINDOW])
    if header is None:
        return "no %PDF- header"
    tail = content[-_WINDOW:]
    end = tail.rfind(b"%%EOF")
    if end < 0:
        return "no %%EOF end-of-file marker"
    body = content[header.end() : len(content) - len(tail) + end]
    if not _OBJECT.search(body):
        return "no objects"
    if not _TRAILER.search(body):
        return "no trailer or cross-reference"
    return None


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
    problem = _not_a_pdf(content)
    if problem:
        raise _invalid(f"content is not a PDF file ({problem})")
    return Document(filename, content, hashlib.sha256(content).hexdigest())
