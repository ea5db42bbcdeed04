"""Date-times arriving in JSON: RFC 3339 strings with a zone, nothing else.

Pydantic's own datetime parsing also takes numbers (and digit strings) as Unix times, so
`"decided_at": 0` would be read as 1970-01-01: a typo or a client bug recorded as a fact.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2})",
)


def _rfc3339(value: Any) -> Any:
    if isinstance(value, str) and not _RFC3339.fullmatch(value.strip()):
        raise ValueError("a date-time is written like 2026-11-01T08:00:00+08:00 (RFC 3339, with its zone)")
    if not isinstance(value, str) and not hasattr(value, "tzinfo"):
        raise ValueError("a date-time is a string like 2026-11-01T08:00:00+08:00, not a number")
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]
