"""Unified social credit code (GB 32100-2015) with the organisation code check (GB 11714)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Annotated

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from services.common.text import WHITESPACE

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
LENGTH = 18


class UsccError(ValueError):
    """A code that breaks a GB 32100 / GB 11714 rule; the message names the rule."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


@dataclass(frozen=True)
class UsccParts:
    code: str
    registration_authority: str
    entity_type: str
    division: str
    organisation_code: str


def normalise(raw: str) -> str:
    """Trim and upper-case (after NFKC, so full-width input reads as ASCII); nothing else."""
    return unicodedata.normalize("NFKC", raw).strip().upper()


def check_format(code: str) -> None:
    if len(code) != LENGTH:
        raise UsccError("length", f"must be {LENGTH} characters, got {len(code)}")
    for pos, ch in enumerate(code, start=1):
        if ch not in _VALUE:
            raise UsccError(
                "charset",
                f"character {ch!r} at position {pos} is not allowed "
                "(digits and letters except I, O, S, V, Z)",
            )


def uscc_check_character(first17: str) -> str:
    total = sum(_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def _org_value(ch: str) -> int:
    if ch.isdigit():
        return int(ch)
    return ord(ch) - ord("A") + 10


def organisation_check_character(body8: str) -> str:
    total = sum(_org_value(c) * w for c, w in zip(body8, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def check_digits(code: str) -> None:
    """Both check characters; raises UsccError naming the one that fails."""
    org_expected = organisation_check_character(code[8:16])
    if code[16] != org_expected:
        raise UsccError(
            "organisation_check",
            f"organisation code check character (position 17, GB 11714) should be "
            f"{org_expected}, got {code[16]}",
        )
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        raise UsccError(
            "check_character",
            f"check character (position 18, GB 32100) should be {expected}, got {code[17]}",
        )


def validate(raw: str, *, allow_check_failure: bool = False) -> str:
    """Normalised code, or UsccError; `allow_check_failure` is the audited pilot-code override."""
    code = normalise(raw)
    check_format(code)
    if not allow_check_failure:
        check_digits(code)
    return code


def parts(code: str) -> UsccParts:
    return UsccParts(
        code=code,
        registration_authority=code[0],
        entity_type=code[1],
        division=code[2:8],
        organisation_code=code[8:17],
    )


def with_check_characters(first16: str) -> str:
    """Complete a 16-character stem with both check characters (used for demo and test data)."""
    first17 = first16 + organisation_check_character(first16[8:16])
    return first17 + uscc_check_character(first17)


def _format_only(raw: object) -> str:
    if not isinstance(raw, str):
        raise PydanticCustomError("uscc", "must be a string")
    code = normalise(raw)
    try:
        check_format(code)
    except UsccError as exc:
        raise PydanticCustomError("uscc", exc.message) from exc
    return code


def _full_check(raw: object) -> str:
    code = _format_only(raw)
    try:
        check_digits(code)
    except UsccError as exc:
        raise PydanticCustomError("uscc", exc.message) from exc
    return code


_DOC = "unified social credit code (GB 32100-2015), 18 characters"
# What OpenAPI says of a code: what `normalise` + `check_format` take (surrounding spaces and lower
# case are accepted and normalised), and the format `uscc` for the check characters, which no
# pattern can express (a schema fuzzer registers a generator for it).
_LETTERS = ALPHABET[10:]
USCC_FORMAT = "uscc"
PATTERN = f"^[{WHITESPACE}]*[0-9{_LETTERS}{_LETTERS.lower()}]{{{LENGTH}}}[{WHITESPACE}]*$"
SCHEMA = {"pattern": PATTERN, "format": USCC_FORMAT}
UsccFormat = Annotated[
    str,
    BeforeValidator(_format_only),
    Field(description=_DOC, examples=["91350100M000100Y43"], json_schema_extra=SCHEMA),
]
UsccChecked = Annotated[
    str,
    BeforeValidator(_full_check),
    Field(description=_DOC + ", both check characters verified", json_schema_extra=SCHEMA),
]
