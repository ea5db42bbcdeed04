"""Text normalisation for names and free text arriving from clients."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field

_SPACES = re.compile(r"\s+")
# Unicode category Cc is exactly these two ranges; a regex is much faster than a per-character scan.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What the OpenAPI documents say, so a schema-valid value is one the server takes. A line: control
# characters other than whitespace (which collapses to a space) refused, something not blank.
# Python's whitespace (str.isspace, what strip() and \\s take), spelled out: JSON Schema regexes
# follow ECMAScript, whose \\s is a different set.
WHITESPACE = (
    "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
)
_NOT_SPACE_CONTROL = "\\x00-\\x08\\x0e-\\x1b\\x7f-\\x84\\x86-\\x9f"
LINE_PATTERN = f"^[^{_NOT_SPACE_CONTROL}]*[^{WHITESPACE}{_NOT_SPACE_CONTROL}][^{_NOT_SPACE_CONTROL}]*$"
_REFUSED_IN_TEXT = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
TEXT_PATTERN = f"^[^{_REFUSED_IN_TEXT}]*$"
# Prose: free text (tabs and newlines kept) with at least one character that is not whitespace.
# A free-text query parameter: anything but NUL (refused in every query string, services/common/limits).
QUERY_PATTERN = "^[^\\x00]*$"
PROSE_PATTERN = f"^[^{_REFUSED_IN_TEXT}]*[^{WHITESPACE}{_REFUSED_IN_TEXT}][^{_REFUSED_IN_TEXT}]*$"


def clean_line(value: str) -> str:
    """NFC (full-width punctuation of Chinese names kept), trimmed, inner whitespace collapsed."""
    value = _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()
    if _CONTROL.search(value):
        raise ValueError("control characters are not allowed")
    if not value:
        raise ValueError("must not be blank")
    return value


def search_text(value: str) -> str:
    """A search term, normalised like the names it is matched against (NFC, spaces collapsed)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def clean_text(value: str) -> str:
    # Checked before trimming: a leading vertical tab is refused, as the documented pattern says.
    if _CONTROL_IN_TEXT.search(value):
        raise ValueError("control characters are not allowed")
    return unicodedata.normalize("NFC", value).strip()


def Line(max_length: int) -> type[str]:
    field = Field(min_length=1, max_length=max_length, json_schema_extra={"pattern": LINE_PATTERN})
    return Annotated[str, field, AfterValidator(clean_line)]  # type: ignore[return-value]


def Text(max_length: int) -> type[str]:
    field = Field(max_length=max_length, json_schema_extra={"pattern": TEXT_PATTERN})
    return Annotated[str, field, AfterValidator(clean_text)]  # type: ignore[return-value]


def _not_blank(value: str) -> str:
    if not value:
        raise ValueError("must not be blank")
    return value


def Prose(max_length: int) -> type[str]:
    """Free text that must say something (newlines kept)."""
    field = Field(min_length=1, max_length=max_length, json_schema_extra={"pattern": PROSE_PATTERN})
    return Annotated[str, field, AfterValidator(clean_text), AfterValidator(_not_blank)]  # type: ignore[return-value]
