"""A list entry's and a repair application's working-day deadlines, written from their facts.

One place computes them — when a step is taken (lifecycle, repairs) and when a newer working-day
calendar is loaded (`recompute_open`, run by the calendar watch and by `qcr calendar check`) — so a
deadline is always the one its facts and the calendar in force give. Each row records the calendar
it was computed with (`deadlines_calendar`, the calendar file's fingerprint).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.calendar_watch import Move, Tracked, moves_since, snapshot
from services.common.workdays import WorkCalendar, china_day, load_calendar
from services.registry.lists import authority, machine
from services.registry.lists.models import ListEntry, RepairApplication
from services.registry.lists.rules import ListRules

ENTRY_DEADLINES: Tracked = (
    ("defence_due", "defence_due_at", "defence_due_provisional"),
    ("push_due", "push_due_at", "push_due_provisional"),
    ("publication_due", "publication_due_at", "publication_due_provisional"),
    ("stop_publication_due", "stop_publication_due_at", "stop_publication_due_provisional"),
)
REPAIR_DEADLINES: Tracked = (
    ("acceptance_due", "acceptance_due_at", "acceptance_due_provisional"),
    ("decision_due", "decision_due_at", "decision_due_provisional"),
)
# Entry states with a deadline still running: the time to state one's case (第十三条), the
# publication of a decision (第十四条); repairs awaiting acceptance or a decision (第十七条).
OPEN_ENTRY_STATES = ("notice_served", "decided")
OPEN_REPAIR_STATES = ("received", "accepted")


def write_entry(entry: ListEntry, list_rules: ListRules, calendar: WorkCalendar | None = None) -> None:
    """Every deadline of `entry` from its facts (notice served, decided, pushed, removed)."""
    calendar = calendar or load_calendar()
    if entry.notice_served_at is not None:
        due = list_rules.defence_due(entry.notice_served_at, calendar)
        entry.defence_due_at, entry.defence_due_provisional = due.at, due.provisional
    if entry.listing_decided_at is not None:
        cross = authority.cross_province(entry.authority_division, entry.uscc[2:8])
        if cross:
            push = list_rules.push_due(entry.listing_decided_at, calendar)
            entry.push_due_at, entry.push_due_provisional = push.at, push.provisional
        else:
            entry.push_due_at, entry.push_due_provisional = None, False
        if cross and entry.pushed_at is not None:
            # 10 working days from the push received (第十四条第二款).
            due = list_rules.publication_due_after_push(entry.pushed_at, calendar)
        else:
            due = list_rules.publication_due(
                entry.listing_decided_at, cross_province=cross, calendar=calendar
            )
        entry.publication_due_at, entry.publication_due_provisional = due.at, due.provisional
    if entry.kind == "black" and entry.status == machine.REMOVED and entry.removed_at is not None:
        stop = list_rules.stop_publication_due(entry.removed_at, calendar)
        entry.stop_publication_due_at, entry.stop_publication_due_provisional = stop.at, stop.provisional
    else:
        entry.stop_publication_due_at, entry.stop_publication_due_provisional = None, False
    entry.deadlines_calendar = calendar.fingerprint


def write_repair(
    application: RepairApplication, list_rules: ListRules, calendar: WorkCalendar | None = None
) -> None:
    """Acceptance due 2 working days from filing; the decision 15 from acceptance (第十七条)."""
    calendar = calendar or load_calendar()
    due = list_rules.repair_acceptance_due(application.filed_at, calendar)
    application.acceptance_due_at, application.acceptance_due_provisional = due.at, due.provisional
    if application.accepted_at is not None:
        decision = list_rules.repair_decision_due(application.accepted_at, calendar)
        application.decision_due_at, application.decision_due_provisional = decision.at, decision.provisional
    else:
        application.decision_due_at, application.decision_due_provisional = None, False
    application.deadlines_calendar = calendar.fingerprint


def _other_calendar(column, calendar: WorkCalendar):  # type: ignore[no-untyped-def]
    return or_(column.is_(None), column != calendar.fingerprint)


def _open_entries(now: datetime):  # type: ignore[no-untyped-def]
    return ListEntry.status.in_(OPEN_ENTRY_STATES) | (
        (ListEntry.status == machine.REMOVED) & (ListEntry.stop_publication_due_at > now)
    )


async def recompute_open(
    session: AsyncSession, *, list_rules: ListRules, calendar: WorkCalendar, now: datetime, batch: int = 500
) -> list[Move]:
    """Recompute the running deadlines computed with another calendar; answers what moved.

    Rows an API write holds are skipped (that write computes with the calendar in force; the next
    run finds any it missed). The caller commits, or rolls back for a dry run.
    """
    moves: list[Move] = []
    kinds: tuple[tuple[Any, Any, Tracked, Any], ...] = (
        (ListEntry, _open_entries(now), ENTRY_DEADLINES, write_entry),
        (RepairApplication, RepairApplication.status.in_(OPEN_REPAIR_STATES), REPAIR_DEADLINES, write_repair),
    )
    for model, running, tracked, write in kinds:
        last_id = None
        while True:
            statement = (
                select(model)
                .where(running, _other_calendar(model.deadlines_calendar, calendar))
                .order_by(model.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
            if last_id is not None:
                statement = statement.where(model.id > last_id)
            rows = (await session.execute(statement)).scalars().all()
            if not rows:
                break
            for row in rows:
                before = snapshot(row, tracked)
                write(row, list_rules, calendar)
                moves.extend(moves_since(str(row.id), row, tracked, before))
            await session.flush()
            last_id = rows[-1].id
    return moves


async def latest_open_deadline(session: AsyncSession, *, now: datetime) -> date | None:
    """The last day of the latest deadline still running (China time), or None when none runs."""
    latest: list[datetime] = []
    for statement in (
        select(func.max(ListEntry.defence_due_at)).where(ListEntry.status == "notice_served"),
        select(func.max(ListEntry.publication_due_at)).where(ListEntry.status == "decided"),
        select(func.max(ListEntry.stop_publication_due_at)).where(_open_entries(now)),
        select(func.max(RepairApplication.acceptance_due_at)).where(RepairApplication.status == "received"),
        select(func.max(RepairApplication.decision_due_at)).where(RepairApplication.status == "accepted"),
    ):
        found = (await session.execute(statement)).scalar_one_or_none()
        if found is not None:
            latest.append(found)
    return china_day(max(latest)) if latest else None
