"""Decimals in request bodies, read exactly as their OpenAPI schema states.

A decimal arrives as a string of digits ("12.50") or as a JSON integer. A JSON number with a
fraction is refused: a binary float has no exact decimal places (0.57 reads as 0.5700000000000001),
so no schema could say which of them are taken. Strings, integers and bounds are what the schema
says, and nothing else is read (no exponents, underscores or non-ASCII digits, which `Decimal()`
itself would take).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema


def _reader(pattern: str, low: int, high: int, expected: str) -> Any:
    text = re.compile(pattern)

    def read(value: object) -> Decimal:
        if isinstance(value, Decimal):  # built in code, not read from a request
            return value
        if isinstance(value, float) and value.is_integer() and low <= value <= high:
            value = int(value)  # 5.0 is the integer 5, in JSON Schema as here
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return Decimal(value)
        if isinstance(value, str) and text.fullmatch(value):
            return Decimal(value)
        raise ValueError(f"must be {expected}")

    return BeforeValidator(read)  # a Decimal, or refused: the decimal check after it has no say


def _decimal(pattern: str, low: int, high: int, expected: str, description: str) -> Any:
    schema = {
        "anyOf": [
            {"type": "integer", "minimum": low, "maximum": high},
            {"type": "string", "pattern": f"^{pattern}$"},
        ],
        "description": description,
    }
    return Annotated[Decimal, _reader(pattern, low, high, expected), WithJsonSchema(schema)]


def Fixed(integer_digits: int, places: int, *, signed: bool = False) -> Any:
    """At most `integer_digits` digits before the point and `places` after; negative if `signed`."""
    high = 10**integer_digits - 1
    sign = "-?" if signed else ""
    pattern = f"{sign}[0-9]{{1,{integer_digits}}}(?:\\.[0-9]{{1,{places}}})?"
    expected = (
        f"a decimal string with at most {integer_digits} digits before the point and {places} after"
        f' (e.g. "12.50"), or an integer{"" if signed else " not below 0"}'
    )
    return _decimal(pattern, -high if signed else 0, high, expected, expected)


def Fraction(places: int) -> Any:
    """A share in [0, 1]: "0.25", "1", 0 or 1; at most `places` decimal places."""
    pattern = f"(?:0(?:\\.[0-9]{{1,{places}}})?|1(?:\\.0{{1,{places}}})?)"
    expected = (
        f'a fraction in [0, 1] as a string with at most {places} decimal places (e.g. "0.25"), or 0 or 1'
    )
    return _decimal(pattern, 0, 1, expected, expected)
