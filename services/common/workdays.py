"""Working-day arithmetic on the official calendar (weekends, public holidays, make-up workdays).

The calendar is a data file (services/common/data/workdays_cn.toml by default; each service's
`workdays_file` setting names another), so operators load the next State Council notice without a
release. `load_calendar()` re-reads the file when it changes on disk.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
DEFAULT_CALENDAR = Path(__file__).parent / "data" / "workdays_cn.toml"
logger = logging.getLogger("qcr.workdays")


class CalendarError(ValueError):
    """The calendar file is malformed or inconsistent."""


def end_of_day(day: date) -> datetime:
    """A deadline's instant: the end of its last day, China time."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=CHINA)


def china_day(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    valid_from: date
    valid_to: date
    fingerprint: str = ""

    def covers(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_to

    def covers_period(self, start: date, end: date) -> bool:
        """True when every day from `start` to `end` is in the published notices."""
        return self.covers(start) and self.covers(end)

    def days_covered_after(self, today: date) -> int:
        """How many days after `today` the published calendar still reaches (0 when it ends today)."""
        return max((self.valid_to - today).days, 0)

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def is_statutory_holiday(self, day: date, *, weekends_are_holidays: bool = False) -> bool:
        """A 法定节假日: a day the State Council's notice gives off (optionally: any non-working day)."""
        if weekends_are_holidays:
            return not self.is_working_day(day)
        return day in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (the start day itself is not counted)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        remaining = days
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        if not self.covers(day):
            # Past the published notices only weekends are known; the deadline may move later.
            logger.warning("working-day deadline beyond the calendar", extra={"deadline": day.isoformat()})
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: the start day is not counted."""
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def add_calendar_days(self, start: date, days: int, *, weekends_are_holidays: bool = False) -> date:
        """The last day of an `days`-day period starting after `start`; a last day that is a statutory
        holiday moves to the first day after the holiday."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start + timedelta(days=days)
        while self.is_statutory_holiday(day, weekends_are_holidays=weekends_are_holidays):
            day += timedelta(days=1)
        return day

    def deadline(self, received_at: datetime, days: int) -> datetime:
        """End of the `days`-th working day after the local day of `received_at` (China time)."""
        return end_of_day(self.add_working_days(china_day(received_at), days))


def span_days(*, working_days: int, days: int = 0) -> int:
    """An upper bound, in calendar days, of a period of `days` plus `working_days` working days:
    working days counted as 7/5 plus the longest holiday block (a warning then comes early, not late)."""
    return days + (working_days * 7 + 4) // 5 + (9 if working_days else 0)


def parse_calendar(text: str, *, source: str = "<calendar>") -> WorkCalendar:
    """A calendar from the TOML text; raises CalendarError when it is inconsistent."""
    try:
        data = tomllib.loads(text)
        holidays_list = [date.fromisoformat(d) for d in data["holidays"]["dates"]]
        makeup_list = [date.fromisoformat(d) for d in data["makeup_workdays"]["dates"]]
        meta = data["meta"]
        valid_from = date.fromisoformat(meta["valid_from"])
        valid_to = date.fromisoformat(meta["valid_to"])
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise CalendarError(f"{source}: {exc}") from exc
    problems = calendar_problems(holidays_list, makeup_list, valid_from, valid_to)
    if problems:
        raise CalendarError(f"{source}: " + "; ".join(problems))
    fingerprint = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return WorkCalendar(frozenset(holidays_list), frozenset(makeup_list), valid_from, valid_to, fingerprint)


def calendar_problems(
    holidays: list[date], makeup: list[date], valid_from: date, valid_to: date
) -> list[str]:
    """What is wrong with a calendar: weekdays, overlaps, duplicates and coverage."""
    problems: list[str] = []
    if valid_to < valid_from:
        problems.append(f"valid_to {valid_to} is before valid_from {valid_from}")
    for name, days in (("holidays", holidays), ("makeup_workdays", makeup)):
        repeated = sorted({d for d in days if days.count(d) > 1})
        if repeated:
            problems.append(f"{name} lists dates twice: {', '.join(map(str, repeated))}")
        outside = sorted(d for d in days if not valid_from <= d <= valid_to)
        if outside:
            problems.append(f"{name} outside {valid_from}–{valid_to}: {', '.join(map(str, outside))}")
    overlap = sorted(set(holidays) & set(makeup))
    if overlap:
        problems.append(f"dates both holiday and workday: {', '.join(map(str, overlap))}")
    # A make-up working day (调休上班) is always a Saturday or Sunday in the notices.
    weekdays = sorted(d for d in makeup if d.weekday() < 5)
    if weekdays:
        problems.append(
            "make-up workdays that are not on a weekend: "
            + ", ".join(f"{d} ({d.strftime('%A')})" for d in weekdays)
        )
    # Every covered year has a notice: at least New Year's Day (元旦, 1 January) is a holiday.
    for year in range(valid_from.year, valid_to.year + 1):
        new_year = date(year, 1, 1)
        if valid_from <= new_year <= valid_to and new_year not in holidays:
            problems.append(f"{year} is covered but 元旦 {new_year} is not a holiday: is its notice missing?")
    return problems


_cache: dict[tuple[str, int, int], WorkCalendar] = {}
_configured = DEFAULT_CALENDAR


def configure(path: Path | None) -> None:
    """Make `path` the calendar `load_calendar()` reads (a service's `workdays_file` setting)."""
    global _configured
    if path is not None:
        load_calendar(path)  # refuse a bad file at start-up, not on the first deadline
        _configured = path


def configured_path() -> Path:
    return _configured


def load_calendar(path: Path | None = None) -> WorkCalendar:
    """The calendar in `path` (default: the configured one), re-read when the file changes."""
    path = path or _configured
    stat = os.stat(path)
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    found = _cache.get(key)
    if found is None:
        found = parse_calendar(path.read_text(encoding="utf-8"), source=str(path))
        for old in [k for k in _cache if k[0] == key[0]]:
            del _cache[old]
        _cache[key] = found
    return found
