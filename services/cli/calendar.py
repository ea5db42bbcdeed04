"""`qcr calendar check FILE`: validate a working-day calendar and show which deadlines it would move.

Run it before pointing `REGISTRY_WORKDAYS_FILE` / `COMPLAINTS_WORKDAYS_FILE` at a new State
Council notice. It checks the file (dates, weekdays of make-up days, overlaps, coverage), then
recomputes every running complaint deadline with it inside a transaction that is rolled back, and
lists what would move. Exit status 1 when the file is invalid.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path

from services.common.db import create_engine, session_factory
from services.common.workdays import CalendarError, WorkCalendar, china_day, parse_calendar
from services.complaints.cases.clock import Move, recompute_open
from services.complaints.policy import load_policy
from services.complaints.settings import ComplaintsSettings


async def would_move(database_url: str, calendar: WorkCalendar) -> list[Move]:
    """The complaint deadlines `calendar` would move; nothing is written."""
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            try:
                return await recompute_open(session, policy=load_policy(), calendar=calendar)
            finally:
                await session.rollback()
    finally:
        await engine.dispose()


def _when(moment: datetime | None) -> str:
    return china_day(moment).isoformat() if moment is not None else "-"


def run_check(args: argparse.Namespace) -> int:
    path: Path = args.file
    try:
        calendar = parse_calendar(path.read_text(encoding="utf-8"), source=str(path))
    except (OSError, CalendarError) as exc:
        print(f"INVALID {exc}")
        return 1
    policy = load_policy()
    today = china_day(datetime.now(UTC))
    covered = calendar.days_covered_after(today)
    print(
        f"valid: {path} covers {calendar.valid_from} to {calendar.valid_to}; "
        f"{len(calendar.holidays)} holidays, {len(calendar.makeup_workdays)} make-up working days; "
        f"fingerprint {calendar.fingerprint}"
    )
    print(
        f"covers {covered} days after {today}; "
        f"the longest complaint deadline runs {policy.longest_period_days} days"
    )
    if covered < policy.longest_period_days:
        print("WARNING: shorter than the longest deadline: new deadlines will be provisional")
    if args.no_database:
        return 0
    settings = ComplaintsSettings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    moves = asyncio.run(would_move(settings.database_url, calendar))
    print(f"{len(moves)} open complaint deadlines would move")
    for m in moves:
        flag = " (provisional)" if m.provisional else ""
        print(f"  {m.complaint_id} {m.deadline}: {_when(m.before)} -> {_when(m.after)}{flag}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("calendar", help="the working-day calendar")
    commands = p.add_subparsers(dest="calendar_command", required=True)
    check = commands.add_parser("check", help="validate a calendar file; list the deadlines it would move")
    check.add_argument("file", type=Path)
    check.add_argument("--data-dir", type=Path, help="where the complaints database is (default settings)")
    check.add_argument("--no-database", action="store_true", help="only validate the file")
    check.set_defaults(run=run_check)
