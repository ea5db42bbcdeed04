"""Working-day arithmetic on the official calendar (weekends, public holidays, make-up workdays)."""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
DEFAULT_CALENDAR = Path(__file__).parent / "data" / "workdays_cn.toml"
logger = logging.getLogger("qcr.workdays")


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    valid_from: date
    valid_to: date

    def covers(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_to

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

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

    def deadline(self, received_at: datetime, days: int) -> datetime:
        """End of the `days`-th working day after the local day of `received_at` (China time)."""
        local_day = received_at.astimezone(CHINA).date()
        due = self.add_working_days(local_day, days)
        return datetime.combine(due, time(23, 59, 59), tzinfo=CHINA)


@cache
def load_calendar(path: Path = DEFAULT_CALENDAR) -> WorkCalendar:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    holidays = frozenset(date.fromisoformat(d) for d in data["holidays"]["dates"])
    makeup = frozenset(date.fromisoformat(d) for d in data["makeup_workdays"]["dates"])
    overlap = holidays & makeup
    if overlap:
        raise ValueError(f"{path}: dates both holiday and workday: {sorted(overlap)}")
    meta = data["meta"]
    return WorkCalendar(
        holidays, makeup, date.fromisoformat(meta["valid_from"]), date.fromisoformat(meta["valid_to"])
    )
