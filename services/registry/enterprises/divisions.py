"""What a code says about its holder: province and entity type, from a data file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from services.common import uscc as uscc_rules

_DATA = Path(__file__).with_name("divisions.toml")


@dataclass(frozen=True)
class CodeFacts:
    division: str
    province: str | None
    registration_authority: str
    authority_label: str | None
    entity_type: str
    entity_type_label: str | None


@cache
def _table() -> dict[str, dict[str, dict[str, object]]]:
    return tomllib.loads(_DATA.read_text(encoding="utf-8"))


def describe(code: str) -> CodeFacts:
    p = uscc_rules.parts(code)
    table = _table()
    province = table["provinces"].get(p.division[:2])
    authority = table["authorities"].get(p.registration_authority)
    types = authority.get("types", {}) if authority else {}
    return CodeFacts(
        division=p.division,
        province=str(province["zh"]) if province else None,
        registration_authority=p.registration_authority,
        authority_label=str(authority["zh"]) if authority else None,
        entity_type=p.entity_type,
        entity_type_label=types.get(p.entity_type) if isinstance(types, dict) else None,
    )
