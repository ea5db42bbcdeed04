"""The targets file: what the source documents ask the figures to reach."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TARGETS_FILE = Path(__file__).with_name("targets.toml")


@dataclass(frozen=True)
class Target:
    target: float
    source: str


@cache
def load_target(path: Path = TARGETS_FILE) -> Target:
    data = tomllib.loads(path.read_text(encoding="utf-8"))["closure_rate"]
    return Target(target=float(data["target"]), source=str(data["source"]))
