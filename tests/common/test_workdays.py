import os
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from services.common.workdays import (
    CHINA,
    DEFAULT_CALENDAR,
    CalendarError,
    configure,
    load_calendar,
    parse_calendar,
)


def test_weekends_holidays_and_makeup_days() -> None:
    cal = load_calendar()
    assert cal.is_working_day(date(2026, 11, 27))  # a Friday
    assert not cal.is_working_day(date(2026, 11, 28))  # Saturday
    assert not cal.is_working_day(date(2026, 10, 1))  # National Day
    makeup = sorted(d for d in cal.makeup_workdays if d.year == 2026)
    assert makeup and all(d.weekday() >= 5 and cal.is_working_day(d) for d in makeup)


def test_add_working_days_skips_the_national_day_week() -> None:
    cal = load_calendar()
    # Received Wednesday 2026-09-30; 1–7 October are off; the next working day counts first.
    due = cal.add_working_days(date(2026, 9, 30), 7)
    days = [d for d in (date(2026, 10, n) for n in range(1, 32)) if cal.is_working_day(d)]
    assert due == days[6]
    assert due > date(2026, 10, 9)


def test_deadline_is_end_of_day_in_china_time() -> None:
    cal = load_calendar()
    # 20:00 UTC on Friday is already Saturday in China: counting starts after Saturday.
    due = cal.deadline(datetime(2026, 11, 20, 20, 0, tzinfo=UTC), 1)
    assert due == datetime(2026, 11, 23, 23, 59, 59, tzinfo=CHINA)
    assert cal.deadline(datetime(2026, 11, 20, 1, 0, tzinfo=UTC), 1).date() == date(2026, 11, 23)
    assert cal.deadline(datetime(2026, 11, 19, 1, 0, tzinfo=UTC), 1).date() == date(2026, 11, 20)


def test_a_60_day_period_ending_in_the_national_day_holiday_ends_on_the_first_day_after_it() -> None:
    cal = load_calendar()
    # From Mon 3 Aug 2026, day 60 is Fri 2 Oct, inside 1–7 Oct: the period ends Thu 8 Oct (Art. 45).
    assert cal.add_calendar_days(date(2026, 8, 3), 60) == date(2026, 10, 8)
    # Day 60 on an ordinary Saturday (19 Sep) stays there unless weekends are read as holidays;
    # then it moves to Sun 20 Sep, a make-up working day (调休上班) before the National Day week.
    assert cal.add_calendar_days(date(2026, 7, 21), 60) == date(2026, 9, 19)
    assert cal.add_calendar_days(date(2026, 7, 21), 60, weekends_are_holidays=True) == date(2026, 9, 20)


def test_working_days_between_skips_the_start_day_and_counts_make_up_days() -> None:
    cal = load_calendar()
    assert cal.working_days_between(date(2026, 11, 10), date(2026, 11, 17)) == 5
    assert cal.working_days_between(date(2026, 11, 10), date(2026, 11, 10)) == 0
    # 8, 9 Oct and the make-up Saturday 10 Oct after the National Day week.
    assert cal.working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 3


def test_coverage_of_the_published_calendar() -> None:
    cal = load_calendar()
    assert cal.covers_period(date(2026, 11, 20), date(2026, 12, 31))
    assert not cal.covers_period(date(2026, 11, 20), date(2027, 1, 4))
    assert cal.days_covered_after(date(2026, 11, 20)) == 41
    assert cal.days_covered_after(date(2027, 2, 1)) == 0


BAD_CALENDAR = """
[meta]
valid_from = "2027-01-01"
valid_to = "2027-12-31"
[holidays]
dates = ["2027-02-10", "2027-02-10", "2027-05-03"]
[makeup_workdays]
dates = ["2027-05-03", "2027-02-17", "2028-01-02"]
"""


def test_a_calendar_file_with_weekday_make_up_days_overlaps_and_gaps_is_refused() -> None:
    with pytest.raises(CalendarError) as refused:
        parse_calendar(BAD_CALENDAR, source="2027.toml")
    message = str(refused.value)
    assert "holidays lists dates twice: 2027-02-10" in message
    assert "both holiday and workday: 2027-05-03" in message
    assert "not on a weekend: 2027-02-17 (Wednesday)" in message  # a Wednesday cannot be 调休上班
    assert "makeup_workdays outside 2027-01-01–2027-12-31: 2028-01-02" in message
    assert "元旦 2027-01-01 is not a holiday" in message  # the notice for 2027 looks missing


def test_a_changed_calendar_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "workdays.toml"
    text = DEFAULT_CALENDAR.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    first = load_calendar(path)
    assert first.valid_to == date(2026, 12, 31)
    longer = text.replace('valid_to = "2026-12-31"', 'valid_to = "2027-01-31"').replace(
        '"2026-01-01", "2026-01-02", "2026-01-03",', '"2026-01-01", "2026-01-02", "2026-01-03", "2027-01-01",'
    )
    path.write_text(longer, encoding="utf-8")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    second = load_calendar(path)
    assert second.valid_to == date(2027, 1, 31) and second.fingerprint != first.fingerprint


def test_both_services_read_the_calendar_file_their_setting_names(tmp_path: Path, keys_dir: Path) -> None:
    from services.complaints.app import create_app as complaints_app
    from services.complaints.settings import ComplaintsSettings
    from services.registry.app import create_app as registry_app
    from services.registry.settings import RegistrySettings

    path = tmp_path / "notice.toml"
    path.write_text(
        DEFAULT_CALENDAR.read_text(encoding="utf-8").replace('"2026-10-10",', '"2026-10-10", "2026-11-28",'),
        encoding="utf-8",
    )  # test data: Saturday 2026-11-28 made a working day
    common = {"environment": "test", "data_dir": keys_dir, "workdays_file": path}
    try:
        registry_app(RegistrySettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/r.db", **common))
        # The registry's list deadlines read the configured calendar.
        assert load_calendar().is_working_day(date(2026, 11, 28))
        configure(DEFAULT_CALENDAR)
        assert not load_calendar().is_working_day(date(2026, 11, 28))
        complaints_app(ComplaintsSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/c.db", **common))
        assert load_calendar().is_working_day(date(2026, 11, 28))
        broken = tmp_path / "broken.toml"
        broken.write_text("[meta]\n", encoding="utf-8")
        with pytest.raises(CalendarError):  # a bad file is refused at start-up, not at the first deadline
            registry_app(
                RegistrySettings(
                    database_url=f"sqlite+aiosqlite:///{tmp_path}/r.db", **common | {"workdays_file": broken}
                )
            )
    finally:
        configure(DEFAULT_CALENDAR)
