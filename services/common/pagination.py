"""Opaque keyset cursors and the page envelope every list answers with."""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Query
from pydantic import BaseModel

from services.common.errors import Unprocessable

T = TypeVar("T")
MAX_LIMIT = 200
# The largest value of a BIGINT column: sequence numbers and ids in queries stay below it.
MAX_SEQUENCE = 2**63 - 1
# The largest integer every JSON reader keeps exactly (an IEEE double): the bound of numbers in bodies.
MAX_JSON_INT = 2**53 - 1

# What each position of a cursor holds; a cursor that does not fit is refused before any query.
CursorKind = Literal["datetime", "uuid", "int", "code"]
TIME_AND_ID: tuple[CursorKind, ...] = ("datetime", "uuid")
SEQUENCE: tuple[CursorKind, ...] = ("int",)
CODE: tuple[CursorKind, ...] = ("code",)
ID: tuple[CursorKind, ...] = ("uuid",)
_CODE = re.compile(r"^[0-9A-Z]{1,40}$")
# Every cursor is unpadded base64url (what encode_cursor writes).
CURSOR_PATTERN = "^[A-Za-z0-9_-]*$"
_CURSOR_TEXT = re.compile("[A-Za-z0-9_-]*")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key), default=str).encode()).decode().rstrip("=")


def _fits(kind: str, value: Any) -> bool:
    if kind == "int":
        return type(value) is int and 0 <= value <= MAX_SEQUENCE
    if not isinstance(value, str) or len(value) > 64:
        return False
    if kind == "code":
        return bool(_CODE.match(value))
    try:
        if kind == "uuid":
            uuid.UUID(value)
            return True
        at = datetime.fromisoformat(value)
        # An offset that carries the instant past year 1 or 9999 has no UTC value to compare with.
        return at.tzinfo is not None and at.astimezone(UTC) is not None
    except (ValueError, OverflowError):
        return False


def decode_cursor(cursor: str | None, shape: tuple[CursorKind, ...]) -> list[Any] | None:
    """The key in a next_cursor this service issued, checked position by position against `shape`.

    A forged or damaged cursor is a 422, never a value that makes a query fail further down.
    """
    if not cursor:
        return None
    if not _CURSOR_TEXT.fullmatch(cursor):  # b64decode would skip the characters outside its alphabet
        raise Unprocessable("cursor is not one this service issued", field="cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error) as exc:
        raise Unprocessable("cursor is not one this service issued", field="cursor") from exc
    if (
        not isinstance(key, list)
        or len(key) != len(shape)
        or not all(_fits(kind, value) for kind, value in zip(shape, key, strict=True))
    ):
        raise Unprocessable("cursor is not one this service issued", field="cursor")
    return key


def cursor_format(shape: tuple[CursorKind, ...]) -> str:
    """The OpenAPI format of a cursor whose key has this shape, e.g. `cursor-datetime-uuid`."""
    return "-".join(("cursor", *shape))


def _cursor_query(shape: tuple[CursorKind, ...]) -> Any:
    # What OpenAPI says of a cursor: base64url text (the pattern, checked first) of a key of this
    # shape (the format, which no pattern can state: a schema fuzzer registers a generator for it).
    # Anything else is a client error, 422.
    return Query(
        max_length=500,
        pattern=CURSOR_PATTERN,
        description="next_cursor of the previous page (empty: the first page); any other value is a 422",
        json_schema_extra={"format": cursor_format(shape)},
    )


LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
# One alias per key shape; a route decodes its cursor with the shape its alias names.
TimeAndIdCursor = Annotated[str | None, _cursor_query(TIME_AND_ID)]
SequenceCursor = Annotated[str | None, _cursor_query(SEQUENCE)]
CodeCursor = Annotated[str | None, _cursor_query(CODE)]
IdCursor = Annotated[str | None, _cursor_query(ID)]
CURSOR_SHAPES = (TIME_AND_ID, SEQUENCE, CODE, ID)


def time_and_id_after(cursor: str | None) -> tuple[str, str] | None:
    """A (time, id) cursor as the `after` key that `keyset_after` takes; None for the first page."""
    key = decode_cursor(cursor, TIME_AND_ID)
    return (str(key[0]), str(key[1])) if key else None


def keyset_after(time_column: Any, id_column: Any, after: tuple[Any, Any], *, descending: bool = True) -> Any:
    """The rows past a (time, id) cursor key, in the order (time, id) descending or ascending."""
    at = datetime.fromisoformat(after[0]) if isinstance(after[0], str) else after[0]
    last = uuid.UUID(after[1]) if isinstance(after[1], str) else after[1]
    if descending:
        return (time_column < at) | ((time_column == at) & (id_column < last))
    return (time_column > at) | ((time_column == at) & (id_column > last))
