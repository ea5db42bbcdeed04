"""The versioned rule set and the pure function that grades an enterprise from its events."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

SEVERITIES = ("minor", "major", "severe")


@dataclass(frozen=True)
class Grade:
    grade: str
    min_score: int
    zh: str
    en: str


@dataclass(frozen=True)
class Kind:
    name: str
    zh: str
    en: str
    effects: dict[str, int]
    recorders: frozenset[str]


@dataclass(frozen=True)
class RuleSet:
    version: str
    base_score: int
    min_score: int
    max_score: int
    grades: tuple[Grade, ...]
    kinds: dict[str, Kind]

    def grade_for(self, score: int) -> Grade:
        for grade in self.grades:
            if score >= grade.min_score:
                return grade
        return self.grades[-1]

    def grade_rank(self, grade: str) -> int:
        """0 for the best grade; larger is worse."""
        return [g.grade for g in self.grades].index(grade)


@dataclass(frozen=True)
class EventFacts:
    """What grading needs to know about one event."""

    id: str
    kind: str
    severity: str
    authority: str
    source_ref: str
    occurred_at: datetime
    expires_at: datetime | None
    revoked: bool


@dataclass(frozen=True)
class Assessment:
    score: int
    grade: str
    rule_version: str
    explanation: list[dict[str, Any]] = field(default_factory=list)
    next_review_at: datetime | None = None


class RulesError(ValueError):
    pass


@cache
def load_rules(path: Path) -> RuleSet:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    grades = tuple(Grade(g["grade"], int(g["min_score"]), g["zh"], g["en"]) for g in data["grades"])
    if [g.min_score for g in grades] != sorted((g.min_score for g in grades), reverse=True):
        raise RulesError(f"{path}: grades must run from best (highest floor) to worst")
    kinds = {}
    for name, spec in data["kinds"].items():
        effects = {s: int(v) for s, v in spec["effects"].items()}
        if set(effects) != set(SEVERITIES):
            raise RulesError(f"{path}: kind {name} needs an effect for each of {SEVERITIES}")
        kinds[name] = Kind(name, spec["zh"], spec["en"], effects, frozenset(spec["recorders"]))
    return RuleSet(
        str(data["version"]),
        int(data["base_score"]),
        int(data["min_score"]),
        int(data["max_score"]),
        grades,
        kinds,
    )


def is_active(event: EventFacts, at: datetime) -> bool:
    return not event.revoked and (event.expires_at is None or event.expires_at > at)


def assess(events: Iterable[EventFacts], rules: RuleSet, at: datetime) -> Assessment:
    """Score and grade at `at`; deterministic for the same events, rules and moment."""
    active = sorted((e for e in events if is_active(e, at)), key=lambda e: (e.occurred_at, e.id))
    score = rules.base_score
    explanation = []
    for event in active:
        kind = rules.kinds.get(event.kind)
        effect = kind.effects[event.severity] if kind else 0
        score += effect
        explanation.append(
            {
                "event_id": event.id,
                "kind": event.kind,
                "severity": event.severity,
                "authority": event.authority,
                "source_ref": event.source_ref,
                "occurred_at": event.occurred_at.isoformat(),
                "expires_at": event.expires_at.isoformat() if event.expires_at else None,
                "effect": effect,
                "reason": (
                    f"{kind.zh} / {kind.en} ({event.severity}): {effect:+d} under rules {rules.version}"
                    if kind
                    else f"kind {event.kind} has no effect under rules {rules.version}"
                ),
            }
        )
    score = max(rules.min_score, min(rules.max_score, score))
    expiries = [e.expires_at for e in active if e.expires_at is not None]
    return Assessment(
        score=score,
        grade=rules.grade_for(score).grade,
        rule_version=rules.version,
        explanation=explanation,
        next_review_at=min(expiries) if expiries else None,
    )
