"""The articles of Order 83 and the Standardization Law the standards rules cite (order83.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROVISIONS_FILE = Path(__file__).with_name("order83.toml")


@dataclass(frozen=True)
class CorrectionBasis:
    """An article that orders a correction by a deadline, and what it provides once the deadline passes."""

    key: str
    basis: str
    after_deadline: str


@dataclass(frozen=True)
class Provisions:
    version: str
    indicators: str
    below_recommended: str
    mandatory: str
    timing: str
    supervision: str
    corrections: dict[str, CorrectionBasis]


@cache
def load_provisions(path: Path = PROVISIONS_FILE) -> Provisions:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    disclosure = data["disclosure"]
    return Provisions(
        version=str(data["version"]),
        indicators=str(disclosure["indicators"]["basis"]),
        below_recommended=str(disclosure["below_recommended"]["basis"]),
        mandatory=str(disclosure["mandatory"]["basis"]),
        timing=str(disclosure["timing"]["basis"]),
        supervision=str(data["supervision"]["basis"]),
        corrections={
            key: CorrectionBasis(key, str(value["basis"]), str(value["after_deadline"]))
            for key, value in data["corrections"].items()
        },
    )
