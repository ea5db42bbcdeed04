"""The complaint rules file: channels, workflow and the dated rule sets, loaded once."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from services.common.workdays import china_day, span_days

RULES_FILE = Path(__file__).with_name("rules.toml")
OPEN_STATES = frozenset({"received", "accepted", "investigating"})
FINAL_STATES = frozenset({"closed"})
# Actions that keep the state: they move or record deadlines, never the case.
CLOCK_ACTIONS = frozenset({"extend", "pause", "resume", "flag_violation", "extend_check", "notify"})


@dataclass(frozen=True)
class Period:
    """A legal period: its length in working days or calendar days, and the article it comes from."""

    basis: str
    working_days: int = 0
    days: int = 0
    extension_working_days: int = 0
    extension_days: int = 0
    pausable: bool = False

    @property
    def in_working_days(self) -> bool:
        return self.working_days > 0


@dataclass(frozen=True)
class RuleSet:
    key: str
    name: str
    received_from: date | None
    received_before: date | None
    merged_report_restarts: bool
    complaint_accept: Period
    mediation: Period
    parties_notice: Period
    violation_check: Period
    report_decision: Period
    report_case: Period
    reporter_notice: Period | None  # Order 20 Art. 31 para 2 only
    confidentiality: str
    rewards: str

    def governs(self, day: date) -> bool:
        if self.received_from is not None and day < self.received_from:
            return False
        return self.received_before is None or day < self.received_before


@dataclass(frozen=True)
class Policy:
    channels: tuple[str, ...]
    handler_channels: tuple[str, ...]
    received_at_max_age_days: int
    duplicate_window_days: int
    weekends_are_holidays: bool
    workflow: dict[str, dict[str, str]]
    rule_sets: dict[str, RuleSet]

    def allowed_actions(self, state: str) -> list[str]:
        return sorted(self.workflow.get(state, {}))

    def rule_set_for(self, received_at: datetime) -> RuleSet:
        """The rule set that governs a case, by its China-time day of receipt (Order 121 Art. 46)."""
        day = china_day(received_at)
        for rule_set in self.rule_sets.values():
            if rule_set.governs(day):
                return rule_set
        raise LookupError(f"no complaint rule set governs cases received on {day}")

    def rule_set(self, key: str) -> RuleSet:
        return self.rule_sets[key]

    @property
    def longest_period_days(self) -> int:
        """The longest period any rule set can run, in calendar days (working days counted as 7/5
        plus the longest holiday block, so the calendar check warns early rather than late)."""
        longest = 0
        for rs in self.rule_sets.values():
            for p in (rs.complaint_accept, rs.mediation, rs.parties_notice, rs.violation_check):
                longest = max(longest, _span(p))
            longest = max(longest, _span(rs.report_decision), _span(rs.report_case))
        return longest


def _span(p: Period) -> int:
    return span_days(working_days=p.working_days + p.extension_working_days, days=p.days + p.extension_days)


def _period(table: dict[str, Any]) -> Period:
    return Period(
        basis=str(table["basis"]),
        working_days=int(table.get("working_days", 0)),
        days=int(table.get("days", 0)),
        extension_working_days=int(table.get("extension_working_days", 0)),
        extension_days=int(table.get("extension_days", 0)),
        pausable=bool(table.get("pausable", False)),
    )


def _rule_set(key: str, table: dict[str, Any]) -> RuleSet:
    def day(name: str) -> date | None:
        return date.fromisoformat(table[name]) if name in table else None

    return RuleSet(
        key=key,
        name=str(table["name"]),
        received_from=day("received_from"),
        received_before=day("received_before"),
        merged_report_restarts=bool(table["merged_report_restarts"]),
        complaint_accept=_period(table["complaint_accept"]),
        mediation=_period(table["mediation"]),
        parties_notice=_period(table["parties_notice"]),
        violation_check=_period(table["violation_check"]),
        report_decision=_period(table["report_decision"]),
        report_case=_period(table["report_case"]),
        reporter_notice=_period(table["reporter_notice"]) if "reporter_notice" in table else None,
        confidentiality=str(table["citations"]["confidentiality"]),
        rewards=str(table["citations"]["rewards"]),
    )


@cache
def load_policy(path: Path = RULES_FILE) -> Policy:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    workflow = {state: dict(actions) for state, actions in data["workflow"].items()}
    for state, actions in workflow.items():
        unknown = set(actions.values()) - set(workflow)
        if unknown:
            raise ValueError(f"{path}: {state} leads to unknown states {unknown}")
    rule_sets = {key: _rule_set(key, table) for key, table in data["rule_sets"].items()}
    # The dated sets must not overlap and must leave no day uncovered.
    probes = [date(2000, 1, 1), date(2100, 1, 1)] + [
        d for rs in rule_sets.values() for d in (rs.received_from, rs.received_before) if d is not None
    ]
    for probe in probes:
        governing = [rs.key for rs in rule_sets.values() if rs.governs(probe)]
        if len(governing) != 1:
            raise ValueError(
                f"{path}: cases received on {probe} are governed by {governing or 'no rule set'}"
            )
    return Policy(
        channels=tuple(data["channels"]["accepted"]),
        handler_channels=tuple(data["channels"]["handler_channels"]),
        received_at_max_age_days=int(data["channels"]["received_at_max_age_days"]),
        duplicate_window_days=int(data["duplicates"]["window_days"]),
        weekends_are_holidays=bool(data["weekends_are_holidays"]),
        workflow=workflow,
        rule_sets=rule_sets,
    )
