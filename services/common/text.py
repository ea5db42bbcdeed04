"""Text normalisation for names and free text arriving from clients."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field

_SPACES = re.compile(r"\s+")


def clean_line(value: str) -> str:
    """NFKC, trimmed, inner whitespace collapsed; control characters refused."""
    value = _SPACES.sub(" ", unicodedata.normalize("NFKC", value)).strip()
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("control characters are not allowed")
    if not value:
        raise ValueError("must not be blank")
    return value


def clean_text(value: str) -> str:
    value = unicodedata.normalize("NFKC", value).strip()
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in value):
        raise ValueError("control characters are not allowed")
    return value


def Line(max_length: int) -> type[str]:  # noqa: N802 - reads as a type in schemas
    return Annotated[str, Field(min_length=1, max_length=max_length), AfterValidator(clean_line)]  # type: ignore[return-value]


def Text(max_length: int) -> type[str]:  # noqa: N802
    return Annotated[str, Field(max_length=max_length), AfterValidator(clean_text)]  # type: ignore[return-value]
