"""The list rules (terms, deadlines, the red-list floor) from their data file, and their arithmetic."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from services.common.workdays import CHINA, WorkCalendar, load_calendar, span_days
from services.registry.credit.rules import RulesError, RuleSet
from services.registry.lists.authority import AUTHORITY_LEVELS

LIST_RULES_FILE = Path(__file__).with_name("list_rules.toml")


@dataclass(frozen=True)
class Provision:
    """A number and where it comes from, so answers can cite it."""

    value: int | str
    basis: str
    status: str

    def cite(self) -> str:
        return f"{self.basis} [{self.status}]"


@dataclass(frozen=True)
class ListRules:
    version: str
    regulation: str
    defence_working_days: Provision
    publication_working_days: Provision
    cross_province_push_working_days: Provision
    cross_province_publication_working_days: Provision
    superior_consent_levels: tuple[str, ...]
    superior_consent: Provision
    publication_term_years: Provision
    repair_after_years: Provision
    repair_acceptance_working_days: Provision
    repair_decision_working_days: Provision
    stop_publication_working_days: Provision
    reapply_bar_years: Provision
    # The re-application bar is registry policy, not law (see list_rules.toml): off unless enabled.
    reapply_bar_enabled: bool
    red_grade_floor: Provision

    @property
    def longest_period_days(self) -> int:
        """The longest working-day deadline of the lists, in calendar days (`span_days`): publication
        (20, or 10 + 10 across provinces), the defence period, repair acceptance then decision."""
        return max(
            span_days(working_days=int(self.publication_working_days.value)),
            span_days(
                working_days=int(self.cross_province_push_working_days.value)
                + int(self.cross_province_publication_working_days.value)
            ),
            span_days(working_days=int(self.defence_working_days.value)),
            span_days(
                working_days=int(self.repair_acceptance_working_days.value)
                + int(self.repair_decision_working_days.value)
            ),
            span_days(working_days=int(self.stop_publication_working_days.value)),
        )

    def check_against(self, rules: RuleSet) -> None:
        """The red-list floor must be a grade of the credit rules in force."""
        if self.red_grade_floor.value not in {g.grade for g in rules.grades}:
            raise RulesError(
                f"red-list grade floor {self.red_grade_floor.value!r} is not a grade of rules {rules.version}"
            )

    def meets_red_floor(self, grade: str, rules: RuleSet) -> bool:
        self.check_against(rules)
        return rules.grade_rank(grade) <= rules.grade_rank(str(self.red_grade_floor.value))

    def publication_ends(self, listed_at: datetime, restriction_ends_at: datetime | None = None) -> datetime:
        """Three years from listing, or the end of a longer statutory restriction (Order 44 第二十一条)."""
        term = add_years(listed_at, int(self.publication_term_years.value))
        return max(term, restriction_ends_at) if restriction_ends_at else term

    def needs_consent(self, level: str | None) -> bool:
        """County and city bureaus need the next level's consent; an unknown level is treated as one."""
        return level is None or level in self.superior_consent_levels

    def publication_due(
        self, decided_at: datetime, *, cross_province: bool, calendar: WorkCalendar | None = None
    ) -> Deadline:
        """The latest publication: 20 working days, or 10 to push plus 10 to publish across provinces."""
        if not cross_province:
            return _deadline(decided_at, int(self.publication_working_days.value), calendar)
        pushed_by = self.push_due(decided_at, calendar)
        return self.publication_due_after_push(pushed_by.at, calendar)

    def push_due(self, decided_at: datetime, calendar: WorkCalendar | None = None) -> Deadline:
        return _deadline(decided_at, int(self.cross_province_push_working_days.value), calendar)

    def publication_due_after_push(
        self, pushed_at: datetime, calendar: WorkCalendar | None = None
    ) -> Deadline:
        return _deadline(pushed_at, int(self.cross_province_publication_working_days.value), calendar)

    def stop_publication_due(self, removed_at: datetime, calendar: WorkCalendar | None = None) -> Deadline:
        return _deadline(removed_at, int(self.stop_publication_working_days.value), calendar)

    def repair_acceptance_due(self, filed_at: datetime, calendar: WorkCalendar | None = None) -> Deadline:
        return _deadline(filed_at, int(self.repair_acceptance_working_days.value), calendar)

    def repair_possible_from(self, listed_at: datetime) -> datetime:
        return add_years(listed_at, int(self.repair_after_years.value))

    def reapply_barred_until(self, removed_early_at: datetime) -> datetime:
        return add_years(removed_early_at, int(self.reapply_bar_years.value))

    def defence_due(self, served_at: datetime, calendar: WorkCalendar | None = None) -> Deadline:
        return _deadline(served_at, int(self.defence_working_days.value), calendar)

    def repair_decision_due(self, accepted_at: datetime, calendar: WorkCalendar | None = None) -> Deadline:
        return _deadline(accepted_at, int(self.repair_decision_working_days.value), calendar)


@dataclass(frozen=True)
class Deadline:
    at: datetime
    # True when the working-day calendar does not reach the date yet: holidays published later
    # can only move it later.
    provisional: bool


def _deadline(start: datetime, days: int, calendar: WorkCalendar | None) -> Deadline:
    calendar = calendar or load_calendar()
    due = calendar.deadline(start, days)
    return Deadline(due.astimezone(UTC), provisional=not calendar.covers(due.date()))


def add_years(moment: datetime, years: int) -> datetime:
    """The same instant `years` later on the China calendar.

    A period counted in years ends on the corresponding day; a day that does not exist (29
    February) ends the period on the last day of that month (民法典 第二百零二条).
    """
    local = moment.astimezone(CHINA)
    year = local.year + years
    try:
        shifted = local.replace(year=year)
    except ValueError:
        shifted = local.replace(year=year, day=28)
    return shifted.astimezone(UTC)


def _provision(table: dict[str, object], key: str) -> Provision:
    return Provision(table[key], str(table["basis"]), str(table["status"]))  # type: ignore[arg-type]


@cache
def load_list_rules(path: Path = LIST_RULES_FILE) -> ListRules:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    black, red = data["black"], data["red"]
    consent = black["superior_consent"]
    levels = tuple(str(level) for level in consent["levels"])
    unknown = set(levels) - set(AUTHORITY_LEVELS)
    if unknown:
        raise RulesError(f"{path}: superior_consent.levels: unknown level(s) {sorted(unknown)}")
    rules = ListRules(
        version=str(data["version"]),
        regulation=str(black["regulation"]),
        defence_working_days=_provision(black["defence"], "working_days"),
        publication_working_days=_provision(black["publication"], "working_days"),
        cross_province_push_working_days=_provision(black["cross_province_push"], "working_days"),
        cross_province_publication_working_days=_provision(
            black["cross_province_publication"], "working_days"
        ),
        superior_consent_levels=levels,
        superior_consent=Provision(", ".join(levels), str(consent["basis"]), str(consent["status"])),
        publication_term_years=_provision(black["publication_term"], "years"),
        repair_after_years=_provision(black["repair_after"], "years"),
        repair_acceptance_working_days=_provision(black["repair_acceptance"], "working_days"),
        repair_decision_working_days=_provision(black["repair_decision"], "working_days"),
        stop_publication_working_days=_provision(black["stop_publication"], "working_days"),
        reapply_bar_years=_provision(black["reapply_bar"], "years"),
        reapply_bar_enabled=bool(black["reapply_bar"]["enabled"]),
        red_grade_floor=_provision(red["grade_floor"], "grade"),
    )
    for provision in (
        rules.defence_working_days,
        rules.publication_working_days,
        rules.cross_province_push_working_days,
        rules.cross_province_publication_working_days,
        rules.publication_term_years,
        rules.repair_after_years,
        rules.repair_acceptance_working_days,
        rules.repair_decision_working_days,
        rules.stop_publication_working_days,
        rules.reapply_bar_years,
    ):
        if not isinstance(provision.value, int) or provision.value <= 0:
            raise RulesError(f"{path}: {provision.basis}: expected a positive whole number")
    return rules
