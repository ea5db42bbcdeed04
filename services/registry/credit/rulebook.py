"""Rules versions by effective date: which version grades at a given moment, and when the next starts.

The rules directory holds one file per version, each with its `effective_from` day; a version is in
force from 00:00 Beijing time that day until the next one starts. A grade computed at a moment uses
the version in force then; a write or the sweep after a version starts grades under it, and the
stored grade of every enterprise comes due for a regrade on that day (its `regrade_due_at`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from pathlib import Path

from services.common.workdays import CHINA
from services.registry.credit.rules import RulesError, RuleSet, load_rules


def starts_at(day: date) -> datetime:
    """The instant a version dated `day` takes effect: the start of that day, Beijing time."""
    return datetime.combine(day, time(0), tzinfo=CHINA)


@dataclass(frozen=True)
class RuleBook:
    """Every rules version, earliest first, with the day it takes effect."""

    versions: tuple[tuple[date, RuleSet], ...]

    def in_force(self, at: datetime) -> RuleSet:
        """The version in force at `at` (the earliest one for a moment before any starts)."""
        found = self.versions[0][1]
        for day, rules in self.versions:
            if starts_at(day) <= at:
                found = rules
        return found

    def next_change_after(self, at: datetime) -> datetime | None:
        """When the next version takes effect after `at`; None when none is scheduled."""
        for day, _ in self.versions:
            if starts_at(day) > at:
                return starts_at(day)
        return None

    def effective_from(self, version: str) -> date | None:
        return next((day for day, rules in self.versions if rules.version == version), None)

    @property
    def all(self) -> tuple[RuleSet, ...]:
        return tuple(rules for _, rules in self.versions)


def _effective_from(path: Path) -> date:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    try:
        return date.fromisoformat(str(data["effective_from"]))
    except (KeyError, ValueError) as exc:
        raise RulesError(f"{path}: effective_from must be a date (YYYY-MM-DD)") from exc


@cache
def load_rule_book(path: Path) -> RuleBook:
    """The versions in `path`: a directory of rules files, or a single file (one version)."""
    files = sorted(path.glob("*.toml")) if path.is_dir() else [path]
    if not files:
        raise RulesError(f"{path}: no rules files")
    versions = sorted(((_effective_from(f), load_rules(f)) for f in files), key=lambda v: v[0])
    days = [day for day, _ in versions]
    if len(set(days)) != len(days):
        raise RulesError(f"{path}: two rules versions take effect on the same day")
    names = [rules.version for _, rules in versions]
    if len(set(names)) != len(names):
        raise RulesError(f"{path}: a rules version appears twice")
    grades = {tuple(g.grade for g in rules.grades) for _, rules in versions}
    if len(grades) != 1:
        # Stored grades, list floors and filters name grades: every version keeps the same letters.
        raise RulesError(f"{path}: every rules version must define the same grades")
    return RuleBook(tuple(versions))
