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
    value = unicodedata.normalize("NFC", value).strip()
    if _CONTROL_IN_TEXT.search(value):
        raise ValueError("control characters are not allowed")
    return value


# What OpenAPI states of a one-line field: no control character (whitespace, collapsed, aside) and at
# least one character that is not whitespace. Python's whitespace includes \x1c-\x1f and \x85.
_REFUSED = r"\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f"
LINE_PATTERN = rf"^[^{_REFUSED}]*[^\s{_REFUSED}][^{_REFUSED}]*$"


def Line(max_length: int) -> type[str]:
    return Annotated[  # type: ignore[return-value]
        str, Field(min_length=1, max_length=max_length, pattern=LINE_PATTERN), AfterValidator(clean_line)
    ]


# Free text keeps tabs and newlines; any other control character is refused, wherever it is.
_REFUSED_IN_TEXT = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
TEXT_PATTERN = rf"^[^{_REFUSED_IN_TEXT}]*$"
PROSE_PATTERN = rf"^[^{_REFUSED_IN_TEXT}]*[^\s{_REFUSED_IN_TEXT}][^{_REFUSED_IN_TEXT}]*$"


def _not_blank(value: str) -> str:
    if not value:
        raise ValueError("must not be blank")
    return value


def Text(max_length: int) -> type[str]:
    return Annotated[  # type: ignore[return-value]
        str, Field(max_length=max_length, pattern=TEXT_PATTERN), AfterValidator(clean_text)
    ]


def Prose(max_length: int) -> type[str]:
    """Free text that must say something (newlines kept)."""
    return Annotated[  # type: ignore[return-value]
        str,
        Field(min_length=1, max_length=max_length, pattern=PROSE_PATTERN),
        AfterValidator(clean_text),
        AfterValidator(_not_blank),
    ]
