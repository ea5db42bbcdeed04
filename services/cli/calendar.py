"""`qcr calendar check FILE`: validate a working-day calendar and show which deadlines it would move.

Run it before pointing `REGISTRY_WORKDAYS_FILE` / `COMPLAINTS_WORKDAYS_FILE` at a new State
Council notice. It checks the file (dates, weekdays of make-up days, overlaps, coverage), then
recomputes every running deadline with it — complaint cases in the complaints database; list
entries and repair applications in the registry's — inside transactions that are rolled back, and
lists what would move. Exit status 1 when the file is invalid, 2 when a database could not be read.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from services.common.calendar_watch import Move, Recompute, dry_run
from services.common.db import create_engine, session_factory
from services.common.workdays import CalendarError, WorkCalendar, china_day, parse_calendar
from services.complaints.cases.clock import recompute_open as recompute_cases
from services.complaints.policy import load_policy
from services.complaints.settings import ComplaintsSettings
from services.registry.lists import deadlines as list_deadlines
from services.registry.lists.rules import load_list_rules
from services.registry.settings import RegistrySettings


async def would_move(database_url: str, recompute: Recompute, calendar: WorkCalendar) -> list[Move]:
    """The deadlines `calendar` would move in one database; nothing is written."""
    engine = create_engine(database_url, pool_size=1)
    try:
        return await dry_run(session_factory(engine), recompute, calendar)
    finally:
        await engine.dispose()


def _when(moment: datetime | None) -> str:
    return china_day(moment).isoformat() if moment is not None else "-"


def _report(what: str, moves: list[Move]) -> None:
    print(f"{len(moves)} open {what} deadlines would move")
    for m in moves:
        flag = " (provisional)" if m.provisional else ""
        print(f"  {m.subject} {m.deadline}: {_when(m.before)} -> {_when(m.after)}{flag}")


def run_check(args: argparse.Namespace) -> int:
    path: Path = args.file
    try:
        calendar = parse_calendar(path.read_text(encoding="utf-8"), source=str(path))
    except (OSError, CalendarError) as exc:
        print(f"INVALID {exc}")
        return 1
    policy, list_rules = load_policy(), load_list_rules()
    now = datetime.now(UTC)
    today = china_day(now)
    covered = calendar.days_covered_after(today)
    print(
        f"valid: {path} covers {calendar.valid_from} to {calendar.valid_to}; "
        f"{len(calendar.holidays)} holidays, {len(calendar.makeup_workdays)} make-up working days; "
        f"fingerprint {calendar.fingerprint}"
    )
    print(
        f"covers {covered} days after {today}; the longest complaint deadline runs "
        f"{policy.longest_period_days} days, the longest list deadline {list_rules.longest_period_days}"
    )
    if covered < max(policy.longest_period_days, list_rules.longest_period_days):
        print("WARNING: shorter than the longest deadline: new deadlines will be provisional")
    if args.no_database:
        return 0
    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    checks: list[tuple[str, str, Recompute]] = [
        (
            "complaint",
            ComplaintsSettings(**overrides).database_url,
            lambda session, cal: recompute_cases(session, policy=policy, calendar=cal),
        ),
        (
            "list",
            RegistrySettings(**overrides).database_url,
            lambda session, cal: list_deadlines.recompute_open(
                session, list_rules=list_rules, calendar=cal, now=now
            ),
        ),
    ]
    unread = 0
    for what, url, recompute in checks:
        try:
            moves = asyncio.run(would_move(url, recompute, calendar))
        except (OSError, SQLAlchemyError) as exc:
            # A host that runs one service only has no database of the other: say so, check the rest.
            print(f"NOT CHECKED: the {what} deadlines (database unreadable: {exc.__class__.__name__})")
            unread += 1
            continue
        _report(what, moves)
    return 2 if unread else 0


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("calendar", help="the working-day calendar")
    commands = p.add_subparsers(dest="calendar_command", required=True)
    check = commands.add_parser("check", help="validate a calendar file; list the deadlines it would move")
    check.add_argument("file", type=Path)
    check.add_argument("--data-dir", type=Path, help="where the databases are (default settings)")
    check.add_argument("--no-database", action="store_true", help="only validate the file")
    check.set_defaults(run=run_check)
