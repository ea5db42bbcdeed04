"""The configured complaint categories (categories.toml): codes with zh/en labels.

Read by intake (the accepted codes, also the OpenAPI enum) and by the registry portal's form (the
options it offers), so the two cannot disagree. Nothing here imports the rest of the service.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATEGORIES_FILE = Path(__file__).with_name("categories.toml")
FALLBACK = "other"
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


@dataclass(frozen=True)
class Category:
    code: str
    zh: str
    en: str


@cache
def load_categories(path: Path = CATEGORIES_FILE) -> tuple[Category, ...]:
    entries = tomllib.loads(path.read_text(encoding="utf-8"))["category"]
    categories = tuple(Category(str(e["code"]), str(e["zh"]), str(e["en"])) for e in entries)
    codes = [c.code for c in categories]
    bad = [code for code in codes if not _CODE.match(code)]
    if bad or len(set(codes)) != len(codes) or FALLBACK not in codes:
        raise ValueError(f"{path}: codes must be unique snake_case, {FALLBACK!r} included; bad: {bad}")
    return categories


def category_codes() -> tuple[str, ...]:
    return tuple(c.code for c in load_categories())
