"""Credit repair (提前移出, Order 44 第十六条、第十七条): filing, acceptance, decision, and undoing a fraud.

An application is received, then accepted or refused within 2 working days of receipt (第十七条第二款),
then approved or rejected within 15 working days of acceptance (第十七条第三款); both deadlines are
stored on the application and shown as overdue once passed. An approval obtained by fraud is revoked
when the listing is restored (第二十条).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.errors import Conflict, NotFound, Unprocessable
from services.common.pagination import keyset_after
from services.registry.events import unit_of_work as events
from services.registry.events.domain import RepairDecided
from services.registry.lists import deadlines, lifecycle, machine
from services.registry.lists.models import ListEntry, RepairApplication
from services.registry.lists.rules import ListRules
from services.registry.lists.schemas import RepairAcceptance, RepairApplicationCreate, RepairDecision


async def repairs_of(session: AsyncSession, entry_id: uuid.UUID) -> Sequence[RepairApplication]:
    statement = (
        select(RepairApplication)
        .where(RepairApplication.entry_id == entry_id)
        .order_by(RepairApplication.filed_at, RepairApplication.id)
    )
    return (await session.execute(statement)).scalars().all()


async def _early_removal_barring(
    session: AsyncSession, entry: ListEntry, list_rules: ListRules
) -> ListEntry | None:
    """Registry policy, off by default: an earlier early removal less than the bar before this listing."""
    if not list_rules.reapply_bar_enabled:
        return None
    assert entry.listed_at is not None
    statement = select(ListEntry).where(
        ListEntry.uscc == entry.uscc,
        ListEntry.kind == "black",
        ListEntry.exit_kind == "repaired",
        ListEntry.id != entry.id,
        ListEntry.removed_at <= entry.listed_at,
    )
    for earlier in (await session.execute(statement)).scalars():
        assert earlier.removed_at is not None
        if entry.listed_at < list_rules.reapply_barred_until(earlier.removed_at):
            return earlier
    return None


def _check_eligible(entry: ListEntry, list_rules: ListRules, now: datetime) -> None:
    """On the list for at least a year, and no statutory restriction still running (第十六条)."""
    if entry.kind != "black":
        raise Conflict("credit repair applies to black-list entries only", current_state=entry.status)
    if entry.status != machine.LISTED or lifecycle.is_due_to_expire(entry, now):
        status = machine.REMOVED if lifecycle.is_due_to_expire(entry, now) else entry.status
        raise Conflict(
            f"credit repair is for entries on the list; this entry is {status}", current_state=status
        )
    assert entry.listed_at is not None
    possible_from = list_rules.repair_possible_from(entry.listed_at)
    if now < possible_from:
        raise Conflict(
            f"credit repair may be applied for from {possible_from.isoformat()}, after "
            f"{list_rules.repair_after_years.value} year(s) on the list "
            f"({list_rules.repair_after_years.cite()})",
            current_state=entry.status,
            possible_from=possible_from.isoformat(),
        )
    if entry.restriction_ends_at is not None and now < entry.restriction_ends_at:
        raise Conflict(
            f"a statutory restriction runs until {entry.restriction_ends_at.isoformat()}; early removal "
            f"may not be applied for before then ({list_rules.repair_after_years.basis}第二款)",
            current_state=entry.status,
            possible_from=entry.restriction_ends_at.isoformat(),
        )


async def file_repair(
    session: AsyncSession,
    *,
    entry_id: uuid.UUID,
    data: RepairApplicationCreate,
    actor: Principal,
    list_rules: ListRules,
    now: datetime,
) -> RepairApplication:
    """The enterprise applies for early removal; received now, to be accepted or refused in 2 working days."""
    entry = await lifecycle.lock_entry(session, entry_id)
    _check_eligible(entry, list_rules, now)
    earlier = await _early_removal_barring(session, entry, list_rules)
    if earlier is not None:
        raise Conflict(
            f"listed again within {list_rules.reapply_bar_years.value} years of an early removal "
            f"(entry {earlier.id}); this registry's policy bars another application "
            f"({list_rules.reapply_bar_years.cite()})",
            current_state=entry.status,
            earlier_entry_id=str(earlier.id),
        )
    pending = (
        await session.execute(
            select(RepairApplication.id).where(
                RepairApplication.entry_id == entry.id, RepairApplication.status.in_(lifecycle.OPEN_REPAIRS)
            )
        )
    ).scalar_one_or_none()
    if pending is not None:
        raise Conflict(f"application {pending} is awaiting a decision", application_id=str(pending))
    declarations = data.declarations.model_dump()
    missing = [name for name, done in declarations.items() if not done]
    if missing:
        raise Unprocessable(
            "early removal requires every condition: " + ", ".join(missing),
            errors=[
                {"field": f"declarations.{name}", "in": "body", "message": "must be met"} for name in missing
            ],
        )
    application = RepairApplication(
        id=uuid.uuid4(),
        entry_id=entry.id,
        uscc=entry.uscc,
        status="received",
        evidence=data.evidence,
        declarations=declarations,
        filed_at=now,
        filed_by=actor.actor,
    )
    deadlines.write_repair(application, list_rules)
    session.add(application)
    await session.flush()
    return application


async def get_repair(session: AsyncSession, application_id: uuid.UUID) -> RepairApplication:
    application = await session.get(RepairApplication, application_id)
    if application is None:
        raise NotFound(f"no repair application {application_id}")
    return application


async def _locked(
    session: AsyncSession, application_id: uuid.UUID, *, list_rules: ListRules, now: datetime, expected: str
) -> tuple[ListEntry, RepairApplication]:
    """The entry and the application, locked in the usual order, the application in `expected` state."""
    found = await get_repair(session, application_id)
    await lifecycle.lock_enterprise(session, found.uscc)
    entry = await lifecycle.lock_entry(session, found.entry_id)
    await lifecycle.expire_if_due(session, entry, list_rules=list_rules, now=now)
    application = await session.get(
        RepairApplication, application_id, with_for_update=True, populate_existing=True
    )
    assert application is not None
    if application.status != expected:
        raise Conflict(
            f"application {application_id} is {application.status}, not {expected}",
            current_state=application.status,
        )
    return entry, application


async def accept_repair(
    session: AsyncSession,
    *,
    application_id: uuid.UUID,
    data: RepairAcceptance,
    actor: Principal,
    list_rules: ListRules,
    now: datetime,
) -> RepairApplication:
    """Accept (the 15 working days to decide start now) or refuse (with reasons) a received application."""
    _, application = await _locked(
        session, application_id, list_rules=list_rules, now=now, expected="received"
    )
    if data.decision == "refuse" and not data.reasons:
        raise lifecycle.invalid("reasons", "the reasons are required to refuse an application")
    application.accepted_by = actor.actor
    if data.decision == "accept":
        application.status = "accepted"
        application.accepted_at = now
        deadlines.write_repair(application, list_rules)
    else:
        application.status = "refused"
        application.decided_at = now
        application.decided_by = actor.actor
        application.reasons = data.reasons
    await session.flush()
    _announce(session, application, actor=actor, now=now)
    return application


def _announce(
    session: AsyncSession, application: RepairApplication, *, actor: Principal, now: datetime
) -> None:
    """Every decision on an application — accepted, refused, approved, rejected — is audited."""
    events.record(
        session,
        RepairDecided(
            uscc=application.uscc,
            actor=actor.actor,
            at=now,
            application_id=str(application.id),
            entry_id=str(application.entry_id),
            decision=application.status,
            reasons=application.reasons,
        ),
    )


async def decide_repair(
    session: AsyncSession,
    *,
    application_id: uuid.UUID,
    data: RepairDecision,
    actor: Principal,
    list_rules: ListRules,
    now: datetime,
) -> RepairApplication:
    """Approve (the entry leaves the list now) or reject an accepted application, with reasons."""
    entry, application = await _locked(
        session, application_id, list_rules=list_rules, now=now, expected="accepted"
    )
    if data.decision == "approve":
        await lifecycle.transition(
            session,
            entry,
            "repair",
            by="system",
            actor=actor.actor,
            now=now,
            list_rules=list_rules,
            note=data.reasons,
            reference=str(application.id),
        )
    application.status = "approved" if data.decision == "approve" else "rejected"
    application.decided_at = now
    application.decided_by = actor.actor
    application.reasons = data.reasons
    await session.flush()
    _announce(session, application, actor=actor, now=now)
    return application


async def revoke_approval(
    session: AsyncSession, entry: ListEntry, *, application_ref: str | None, actor: Principal, now: datetime
) -> None:
    """The approval behind a restored listing was obtained by fraud: mark it revoked (第二十条)."""
    if application_ref is None:
        return
    application = await session.get(
        RepairApplication, uuid.UUID(application_ref), with_for_update=True, populate_existing=True
    )
    if application is None or application.entry_id != entry.id:
        return
    application.status = "revoked"
    application.reasons = f"{application.reasons or ''}\n[revoked {now.isoformat()} by {actor.actor}]".strip()
    await session.flush()


async def open_repairs(
    session: AsyncSession, *, after: tuple[str, str] | None, limit: int
) -> Sequence[RepairApplication]:
    """Applications awaiting acceptance or a decision, the earliest filed first."""
    statement = (
        select(RepairApplication)
        .where(RepairApplication.status.in_(lifecycle.OPEN_REPAIRS))
        .order_by(RepairApplication.filed_at, RepairApplication.id)
        .limit(limit)
    )
    if after is not None:
        statement = statement.where(
            keyset_after(RepairApplication.filed_at, RepairApplication.id, after, descending=False)
        )
    return (await session.execute(statement)).scalars().all()
