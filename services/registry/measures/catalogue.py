"""The joint-measures catalogue (`catalogue.toml`): loaded once, checked, served as it stands."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CATALOGUE_FILE = Path(__file__).with_name("catalogue.toml")
USES = ("government_procurement", "bidding", "licensing", "honours", "notification_commitment")
CONDITIONS = ("list", "grade_in", "risk_class_in", "severe_events_within_years")


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    quote: str
    missing: bool


@dataclass(frozen=True)
class Measure:
    id: str
    use: str
    when: dict[str, Any]
    effect: str
    zh: str
    en: str
    source: Source
    status: str  # law | policy


@dataclass(frozen=True)
class Catalogue:
    version: str
    measures: tuple[Measure, ...]
    raw: dict[str, Any]

    def for_use(self, use: str) -> list[Measure]:
        return [m for m in self.measures if m.use == use]


def parse(raw: dict[str, Any]) -> Catalogue:
    sources = {
        key: Source(
            key=key, title=s["title"], quote=s.get("quote", ""), missing=bool(s.get("missing", False))
        )
        for key, s in raw["sources"].items()
    }
    measures = []
    for m in raw["measure"]:
        if m["use"] not in USES:
            raise ValueError(f"measure {m['id']}: unknown use {m['use']!r}")
        if len(m["when"]) != 1 or next(iter(m["when"])) not in CONDITIONS:
            raise ValueError(f"measure {m['id']}: `when` must be one of {', '.join(CONDITIONS)}")
        source = sources[m["source"]]
        if m["status"] == "law" and (source.missing or not source.quote):
            raise ValueError(f"measure {m['id']}: status law needs a quoted source")
        if m["status"] not in ("law", "policy"):
            raise ValueError(f"measure {m['id']}: status is law or policy")
        measures.append(
            Measure(
                id=m["id"],
                use=m["use"],
                when=dict(m["when"]),
                effect=m["effect"],
                zh=m["zh"],
                en=m["en"],
                source=source,
                status=m["status"],
            )
        )
    return Catalogue(version=raw["version"], measures=tuple(measures), raw=raw)


@cache
def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    return parse(tomllib.loads(path.read_text(encoding="utf-8")))
