from datetime import UTC, date, datetime

from services.common.workdays import CHINA, load_calendar


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
