"""GTIN-8, -12, -13 and -14: normalisation, the mod-10 check digit, and the ranges that are not items.

The rules are those of GB 12904 (《商品条码 零售商品编码与条码表示》, named in 商品条码管理办法
第三十七条: "本办法所称商品条码相关国家标准，包括《商品条码零售商品编码与条码表示》（GB12904）……")
and the GS1 General Specifications it follows. Input is normalised (spaces removed, full-width
digits made ASCII) and nothing else is corrected: a wrong check digit is refused, never fixed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field

LENGTHS = (8, 12, 13, 14)
RANGES_FILE = Path(__file__).parent / "data" / "gs1_ranges.toml"
_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_SPACES = {" ", "\u3000", "\u00a0", "\t"}


class GtinError(ValueError):
    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


@dataclass(frozen=True)
class Range:
    view: str
    first: str
    last: str
    kind: str
    zh: str
    en: str

    def holds(self, digits: str) -> bool:
        head = digits[: len(self.first)]
        return self.first <= head <= self.last


def normalise(raw: str) -> str:
    """Spaces out, full-width digits to ASCII; nothing else."""
    return "".join(c for c in raw.translate(_FULL_WIDTH) if c not in _SPACES)


def check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of the digits before it: weights 3, 1, 3, … from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def validate(raw: str) -> str:
    """The normalised GTIN, or a GtinError naming the rule it breaks."""
    code = normalise(raw)
    if not code:
        raise GtinError("empty", "a GTIN is required")
    bad = next((i for i, c in enumerate(code) if not ("0" <= c <= "9")), None)
    if bad is not None:
        raise GtinError("digits", f"a GTIN has digits only; {code[bad]!r} at position {bad + 1}")
    if len(code) not in LENGTHS:
        raise GtinError("length", f"a GTIN has 8, 12, 13 or 14 digits, got {len(code)}")
    expected = check_digit(code[:-1])
    if int(code[-1]) != expected:
        raise GtinError("check_digit", f"check digit should be {expected}, got {code[-1]}")
    return code


def _checked(value: str) -> str:
    try:
        return validate(value)
    except GtinError as exc:
        raise ValueError(exc.message) from exc


# What OpenAPI says of a GTIN: what `normalise` takes to 8, 12, 13 or 14 digits (the spaces it
# drops, full-width digits), and the format `gtin` for the check digit, which no pattern can express
# (a schema fuzzer registers a generator for it).
GTIN_FORMAT = "gtin"
_SPACE = "[ \\t\\u00a0\\u3000]"
_DIGIT = "[0-9\\uff10-\\uff19]"
PATTERN = f"^{_SPACE}*(?:(?:{_DIGIT}{_SPACE}*){{8}}|(?:{_DIGIT}{_SPACE}*){{12,14}})$"
SCHEMA = {"pattern": PATTERN, "format": GTIN_FORMAT}
# A GTIN that names a trade item: outside the restricted-circulation and coupon ranges (`special_range`).
TRADE_ITEM_FORMAT = "gtin-trade-item"
GtinChecked = Annotated[
    str,
    Field(
        max_length=40,
        description="GTIN-8, -12, -13 or -14; check digit verified",
        examples=["6901234000018"],
        json_schema_extra=SCHEMA,
    ),
    AfterValidator(_checked),
]


def as_gtin14(code: str) -> str:
    """The 14-digit form (left-padded with zeros): one key for the same item however it is written."""
    return code.rjust(14, "0")


def prefix_view(code: str) -> tuple[str, str]:
    """Which digits a company prefix is read from: ("gtin8", 8 digits) or ("gtin13", 13 digits)."""
    if len(code) == 8:
        return "gtin8", code
    return "gtin13", as_gtin14(code)[1:]


@cache
def ranges() -> tuple[Range, ...]:
    data = tomllib.loads(RANGES_FILE.read_text(encoding="utf-8"))
    return tuple(Range(**entry) for entry in data["ranges"])


def special_range(code: str) -> Range | None:
    """The restricted-circulation or coupon range a valid GTIN falls in, if any."""
    view, digits = prefix_view(code)
    return next((r for r in ranges() if r.view == view and r.holds(digits)), None)


def candidate_prefixes(code: str) -> list[str]:
    """Every leading run of the prefix view that could be a company prefix (4 to 12 digits)."""
    _, digits = prefix_view(code)
    longest = min(len(digits) - 1, 12)
    return [digits[:n] for n in range(4, longest + 1)]
