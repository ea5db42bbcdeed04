"""Applying a step of the state machine to an entry, and the red-list withdrawals grading triggers.

Steps are announced as domain events (`EntryListed`, `EntryRemoved`, `EntryStepped`); the audit and
the feed follow from them. The red-list floor is applied by its subscriber through
`enforce_red_floor`, the one place that rule is enforced. Lock order everywhere: the enterprise row
first, then its entries.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import NotFound, Unprocessable
from services.registry.credit.rules import RuleSet
from services.registry.enterprises.models import Enterprise
from services.registry.events import unit_of_work as events
from services.registry.events.domain import EntryListed, EntryRemoved, EntryStepped
from services.registry.lists import authority, deadlines, machine
from services.registry.lists.models import ListEntry, ListTransition, RepairApplication
from services.registry.lists.rules import ListRules, load_list_rules

SWEEP_ACTOR = "system:lists-sweep"
# Repair applications awaiting a step: acceptance (received) or the decision (accepted).
OPEN_REPAIRS = ("received", "accepted")


def is_active(now: datetime) -> ColumnElement[bool]:
    """Listed and still within the publication term: what the public sees."""
    return (ListEntry.status == machine.LISTED) & (
        ListEntry.expires_at.is_(None) | (ListEntry.expires_at > now)
    )


def is_due_to_expire(entry: ListEntry, now: datetime) -> bool:
    return entry.status == machine.LISTED and entry.expires_at is not None and entry.expires_at <= now


async def lock_entry(session: AsyncSession, entry_id: uuid.UUID) -> ListEntry:
    """The entry, row-locked and re-read: what another transaction committed is what we check."""
    statement = (
        select(ListEntry)
        .where(ListEntry.id == entry_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    entry = (await session.execute(statement)).scalar_one_or_none()
    if entry is None:
        raise NotFound(f"no list entry {entry_id}")
    return entry


def known_facts(entry: ListEntry) -> frozenset[str]:
    """The facts the conditional steps of the machine look at (the enterprise's division is in its code)."""
    return machine.facts(
        cross_province=authority.cross_province(entry.authority_division, entry.uscc[2:8]),
        exit_kind=entry.exit_kind if entry.status == machine.REMOVED else None,
        pushed=entry.pushed_at is not None,
        consented=entry.consent_at is not None,
    )


async def transition(
    session: AsyncSession,
    entry: ListEntry,
    action: str,
    *,
    by: str,
    actor: str,
    now: datetime,
    list_rules: ListRules,
    note: str | None = None,
    reference: str | None = None,
    exit_kind: str | None = None,
) -> ListEntry:
    """Take `action` on a locked entry: check it against the machine, update, record the step."""
    before = entry.status
    target = machine.step(entry.kind, before, action, by=by, known=known_facts(entry))
    entry.status = target.to
    entry.updated_at = now
    # The facts the step establishes; the deadlines follow from them (lists/deadlines.py).
    if action == "push":
        # The registry is both bureaus' system: the push is received when recorded (第十四条第二款).
        entry.pushed_at = now
    elif target.to == "notice_served" and before != "notice_served":
        entry.notice_served_at = now
    elif target.to == "decided":
        # The listing decision: publication due in 20 working days, or 10 + 10 across provinces (第十四条).
        entry.listing_decided_at = now
    elif target.to == machine.LISTED:
        if entry.kind == "black" and before == "notice_served":
            entry.listing_decided_at = now
        if before == machine.REMOVED:
            # Removal obtained by fraud: restored, and the term counts again from now (第二十条).
            entry.removed_at = entry.removed_by = entry.exit_kind = entry.exit_reason = entry.exit_ref = None
        entry.listed_at = now
        entry.expires_at = (
            list_rules.publication_ends(now, entry.restriction_ends_at) if entry.kind == "black" else None
        )
    elif target.to in (machine.REMOVED, "cancelled"):
        # An expiry happened when the term ended, however late the sweep noticed it.
        entry.removed_at = entry.expires_at if action == "expire" and entry.expires_at else now
        entry.removed_by = actor
        entry.exit_kind = (target.exit_kind or exit_kind) if target.to == machine.REMOVED else None
        entry.exit_reason = note
        entry.exit_ref = reference
    deadlines.write_entry(entry, list_rules)
    session.add(
        ListTransition(
            entry_id=entry.id,
            uscc=entry.uscc,
            action=action,
            from_status=before,
            to_status=target.to,
            at=now,
            actor=actor,
            note=note,
            reference=reference,
        )
    )
    if before in (machine.LISTED, "decided") and target.to == machine.REMOVED and action != "repair":
        await _close_pending_repairs(session, entry, action=action, actor=actor, now=now)
    await session.flush()
    await record_in_ledger(session, entry, action=action, before=before, actor=actor, now=now)
    return entry


async def record_in_ledger(
    session: AsyncSession, entry: ListEntry, *, action: str, before: str | None, actor: str, now: datetime
) -> None:
    """Announce every step; whether it entered or left the public list decides the event's kind."""
    kind: type[EntryStepped] = EntryStepped
    if entry.status == machine.LISTED and before != machine.LISTED:
        kind = EntryListed
    elif before == machine.LISTED and entry.status != machine.LISTED:
        kind = EntryRemoved
    events.record(
        session,
        kind(
            uscc=entry.uscc,
            actor=actor,
            at=now,
            entry_id=str(entry.id),
            action=action,
            details={
                "entry_id": str(entry.id),
                "list": entry.kind,
                "from": before,
                "to": entry.status,
                "listed_at": entry.listed_at,
                "expires_at": entry.expires_at,
                "exit_kind": entry.exit_kind,
                "reason": entry.reason,
                "authority": entry.authority,
            },
        ),
    )


async def _close_pending_repairs(
    session: AsyncSession, entry: ListEntry, *, action: str, actor: str, now: datetime
) -> None:
    statement = (
        select(RepairApplication)
        .where(RepairApplication.entry_id == entry.id, RepairApplication.status.in_(OPEN_REPAIRS))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    for application in (await session.execute(statement)).scalars():
        application.status = "closed"
        application.decided_at = now
        application.decided_by = actor
        application.reasons = f"the entry left the list ({entry.exit_kind or action}) before a decision"


async def _listed_red(session: AsyncSession, uscc: str) -> Sequence[ListEntry]:
    statement = (
        select(ListEntry)
        .where(ListEntry.uscc == uscc, ListEntry.kind == "red", ListEntry.status == machine.LISTED)
        .order_by(ListEntry.listed_at)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalars().all()


async def withdraw_red(
    session: AsyncSession,
    *,
    uscc: str,
    cause: str,
    note: str,
    reference: str | None,
    actor: str,
    now: datetime,
    list_rules: ListRules,
) -> list[ListEntry]:
    """Take the enterprise off the red list because it stopped qualifying; the caller holds its lock."""
    withdrawn = []
    for entry in await _listed_red(session, uscc):
        await transition(
            session,
            entry,
            "disqualify",
            by="system",
            actor=actor,
            now=now,
            list_rules=list_rules,
            note=note,
            reference=reference,
            exit_kind=cause,
        )
        withdrawn.append(entry)
    return withdrawn


async def enforce_red_floor(
    session: AsyncSession,
    *,
    uscc: str,
    grade: str,
    rules: RuleSet,
    now: datetime,
    actor: str,
    cause: str,
    cause_ref: str | None,
) -> list[ListEntry]:
    """After a grade change: below the red-list floor means off the red list, with the cause."""
    list_rules = load_list_rules()
    if list_rules.meets_red_floor(grade, rules):
        return []
    floor = list_rules.red_grade_floor.value
    return await withdraw_red(
        session,
        uscc=uscc,
        cause="downgraded",
        note=f"graded {grade}, below the red-list floor {floor} ({cause})",
        reference=cause_ref,
        actor=actor,
        now=now,
        list_rules=list_rules,
    )


def invalid(field: str, message: str) -> Unprocessable:
    return Unprocessable(f"{field}: {message}", errors=[{"field": field, "in": "body", "message": message}])


async def lock_enterprise(session: AsyncSession, uscc: str) -> Enterprise:
    statement = (
        select(Enterprise)
        .where(Enterprise.uscc == uscc)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    enterprise = (await session.execute(statement)).scalar_one_or_none()
    if enterprise is None:
        raise NotFound(f"no enterprise with code {uscc}", uscc=uscc)
    return enterprise


async def expire_if_due(
    session: AsyncSession, entry: ListEntry, *, list_rules: ListRules, now: datetime
) -> None:
    """The term ended but the sweep has not run yet: record the expiry before anything else."""
    if is_due_to_expire(entry, now):
        await transition(
            session,
            entry,
            "expire",
            by="system",
            actor=SWEEP_ACTOR,
            now=now,
            list_rules=list_rules,
            note=f"publication term ended ({list_rules.publication_term_years.cite()})",
        )
