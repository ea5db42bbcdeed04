"""Every legal deadline of a case, computed in one place from what happened to it.

The deadlines are a pure function of the case's facts (when it was received, accepted, decided,
paused, extended, …), its rule set and the working-day calendar, so they can be recomputed whenever
a newer calendar is loaded. Counting follows Order 121 Art. 45 (see rules.toml): the start day is
not counted; a calendar-day period whose last day is a statutory holiday ends on the first day
after it. Paused time (testing, appraisal) is not counted: each closed pause moves the deadline of
the phase it fell in by the days it lasted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from services.common.workdays import WorkCalendar, china_day, end_of_day
from services.complaints.policy import Period, RuleSet


@dataclass(frozen=True)
class Pause:
    start: datetime
    end: datetime | None  # None while the clock is stopped


@dataclass(frozen=True)
class Due:
    at: datetime
    provisional: bool  # the period runs past the published calendar: it can only move later
    basis: str


@dataclass(frozen=True)
class Facts:
    kind: str
    anonymous: bool
    received_at: datetime
    decision_period_from: datetime  # received_at, or the last merged report (Order 121 Art. 35)
    accepted_at: datetime | None = None
    decided_at: datetime | None = None  # a report's decision whether to open a case
    mediation_ended_at: datetime | None = None
    violation_found_at: datetime | None = None
    decision_extended: bool = False
    case_extended: bool = False
    violation_check_extended: bool = False
    pauses: tuple[Pause, ...] = field(default=())


@dataclass(frozen=True)
class CaseDeadlines:
    accept: Due
    resolve: Due | None
    notify: Due | None
    violation_check: Due | None


def _paused(pauses: tuple[Pause, ...], *, after: datetime | None, before: datetime | None) -> list[Pause]:
    """The closed pauses that started inside a phase [after, before)."""
    return [
        p
        for p in pauses
        if p.end is not None and (after is None or p.start >= after) and (before is None or p.start < before)
    ]


def _due(
    period: Period,
    start: datetime,
    calendar: WorkCalendar,
    *,
    extended: bool = False,
    pauses: list[Pause] | None = None,
    weekends_are_holidays: bool = False,
) -> Due:
    first = china_day(start)
    # Each closed pause as (first day, last day) on the China calendar; its start day counts.
    stopped = [
        (china_day(p.start), china_day(p.end))
        for p in (pauses if period.pausable and pauses else [])
        if p.end is not None
    ]
    if period.in_working_days:
        length = period.working_days + (period.extension_working_days if extended else 0)
        length += sum(calendar.working_days_between(a, b) for a, b in stopped)
        last: date = calendar.add_working_days(first, length)
    else:
        length = period.days + (period.extension_days if extended else 0)
        length += sum((b - a).days for a, b in stopped)
        last = calendar.add_calendar_days(first, length, weekends_are_holidays=weekends_are_holidays)
    at = end_of_day(last).astimezone(UTC)
    return Due(at, provisional=not calendar.covers_period(first, last), basis=period.basis)


def compute(
    facts: Facts, rules: RuleSet, calendar: WorkCalendar, *, weekends_are_holidays: bool = False
) -> CaseDeadlines:
    complaint = facts.kind == "complaint"
    if complaint:
        accept = _due(rules.complaint_accept, facts.received_at, calendar)
    else:
        accept = _due(
            rules.report_decision,
            facts.decision_period_from,
            calendar,
            extended=facts.decision_extended,
            pauses=_paused(facts.pauses, after=None, before=facts.decided_at),
        )
    resolve = None
    if facts.accepted_at is not None:
        # Mediation (complaint) or the opened case (report): both pause for testing and appraisal.
        resolve = _due(
            rules.mediation if complaint else rules.report_case,
            facts.accepted_at,
            calendar,
            extended=False if complaint else facts.case_extended,
            pauses=_paused(facts.pauses, after=facts.accepted_at, before=None),
            weekends_are_holidays=weekends_are_holidays,
        )
    notify = None
    if complaint and facts.mediation_ended_at is not None:
        notify = _due(rules.parties_notice, facts.mediation_ended_at, calendar)
    elif not complaint and rules.reporter_notice is not None and facts.decided_at and not facts.anonymous:
        notify = _due(rules.reporter_notice, facts.decided_at, calendar)
    violation = None
    if complaint and facts.violation_found_at is not None:
        violation = _due(
            rules.violation_check, facts.violation_found_at, calendar, extended=facts.violation_check_extended
        )
    return CaseDeadlines(accept, resolve, notify, violation)
