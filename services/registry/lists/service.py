"""List rules: proposals, guarded transitions, statements, credit repair, the disclosure and the sweep."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.errors import Conflict, NotFound, Unprocessable
from services.common.pagination import keyset_after
from services.registry.credit.rules import RuleSet
from services.registry.enterprises.models import Enterprise
from services.registry.events import unit_of_work as events
from services.registry.events.domain import RepairDecided
from services.registry.lists import lifecycle, machine
from services.registry.lists.models import ListEntry, ListStatement, ListTransition, RepairApplication
from services.registry.lists.rules import ListRules
from services.registry.lists.schemas import (
    ListEntryCreate,
    RepairApplicationCreate,
    RepairDecision,
    StatementCreate,
    StatementReply,
    TransitionRequest,
)

# A decision dated in the future is a typo; allow for clocks that disagree a little.
FUTURE_TOLERANCE = timedelta(minutes=5)
OPEN_BLACK = ("proposed", "notice_served", machine.LISTED)
SWEEP_ACTOR = "system:lists-sweep"


def _invalid(field: str, message: str) -> Unprocessable:
    return Unprocessable(f"{field}: {message}", errors=[{"field": field, "in": "body", "message": message}])


async def _lock_enterprise(session: AsyncSession, uscc: str) -> Enterprise:
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


async def get_entry(session: AsyncSession, entry_id: uuid.UUID) -> ListEntry:
    entry = await session.get(ListEntry, entry_id)
    if entry is None:
        raise NotFound(f"no list entry {entry_id}")
    return entry


def _record_creation(entry: ListEntry, *, actor: str, now: datetime) -> ListTransition:
    return ListTransition(
        entry_id=entry.id,
        uscc=entry.uscc,
        action="propose" if entry.status == "proposed" else "list",
        from_status=None,
        to_status=entry.status,
        at=now,
        actor=actor,
    )


async def _red_list_obstacles(
    session: AsyncSession, enterprise: Enterprise, *, rules: RuleSet, list_rules: ListRules, now: datetime
) -> list[str]:
    obstacles = []
    grade = enterprise.grade  # the one stored grade, kept current by writes and the sweep
    if not list_rules.meets_red_floor(grade, rules):
        obstacles.append(f"graded {grade}, below the red-list floor {list_rules.red_grade_floor.value}")
    black = (
        await session.execute(
            select(ListEntry.id, ListEntry.status, ListEntry.expires_at).where(
                ListEntry.uscc == enterprise.uscc,
                ListEntry.kind == "black",
                ListEntry.status.in_(OPEN_BLACK),
            )
        )
    ).all()
    for entry_id, status, expires_at in black:
        if status != machine.LISTED or expires_at is None or expires_at > now:
            obstacles.append(f"black-list entry {entry_id} is {status}")
    return obstacles


async def propose(
    session: AsyncSession,
    *,
    data: ListEntryCreate,
    actor: Principal,
    rules: RuleSet,
    list_rules: ListRules,
    now: datetime,
) -> ListEntry:
    """A black-list proposal (awaiting notice), or a red-list entry (listed at once, if eligible)."""
    decided_at = data.decided_at or now
    if decided_at > now + FUTURE_TOLERANCE:
        raise _invalid("decided_at", "is in the future")
    try:
        enterprise = await _lock_enterprise(session, data.uscc)
    except NotFound as exc:
        raise _invalid("uscc", f"no enterprise with code {data.uscc} is registered") from exc
    if enterprise.status != "active":
        raise Conflict(f"enterprise {data.uscc} is {enterprise.status}; it cannot be listed")
    duplicate = (
        await session.execute(
            select(ListEntry.id).where(
                ListEntry.kind == data.list,
                ListEntry.uscc == data.uscc,
                ListEntry.decision_no == data.decision_no,
            )
        )
    ).scalar_one_or_none()
    if duplicate is not None:
        raise Conflict(
            f"decision {data.decision_no!r} already has {data.list}-list entry {duplicate}",
            entry_id=str(duplicate),
        )
    if data.list == "red":
        obstacles = await _red_list_obstacles(
            session, enterprise, rules=rules, list_rules=list_rules, now=now
        )
        if obstacles:
            raise Conflict("not eligible for the red list: " + "; ".join(obstacles), obstacles=obstacles)
    status = machine.INITIAL[data.list]
    entry = ListEntry(
        id=uuid.uuid4(),
        uscc=data.uscc,
        kind=data.list,
        status=status,
        reason=data.reason,
        legal_basis=data.legal_basis,
        decision_no=data.decision_no,
        authority=data.authority,
        decided_at=decided_at,
        proposed_at=now,
        proposed_by=actor.actor,
        defence_due_provisional=False,
        listed_at=now if status == machine.LISTED else None,
        updated_at=now,
    )
    session.add(entry)
    await session.flush()
    creation = _record_creation(entry, actor=actor.actor, now=now)
    session.add(creation)
    await session.flush()
    await lifecycle.record_in_ledger(
        session, entry, action=creation.action, before=None, actor=actor.actor, now=now
    )
    return entry


async def _unanswered(session: AsyncSession, entry_id: uuid.UUID) -> int:
    statement = select(ListStatement.id).where(
        ListStatement.entry_id == entry_id, ListStatement.replied_at.is_(None)
    )
    return len((await session.execute(statement)).all())


async def _answered(session: AsyncSession, entry_id: uuid.UUID) -> int:
    statement = select(ListStatement.id).where(
        ListStatement.entry_id == entry_id, ListStatement.replied_at.is_not(None)
    )
    return len((await session.execute(statement)).all())


async def _check_may_list(session: AsyncSession, entry: ListEntry, now: datetime) -> None:
    """Listing waits for the defence: its deadline passed, or the enterprise's statement answered."""
    unanswered = await _unanswered(session, entry.id)
    if unanswered:
        raise machine.illegal(
            entry.kind,
            entry.status,
            "list",
            f"the enterprise's statement is not answered yet ({unanswered} open); reply before listing",
        )
    assert entry.defence_due_at is not None
    if now <= entry.defence_due_at and not await _answered(session, entry.id):
        raise machine.illegal(
            entry.kind,
            entry.status,
            "list",
            f"the enterprise may state its case until {entry.defence_due_at.isoformat()}; "
            "list after that, or once its statement is answered",
        )


async def _expire_if_due(
    session: AsyncSession, entry: ListEntry, *, list_rules: ListRules, now: datetime
) -> None:
    """The term ended but the sweep has not run yet: record the expiry before anything else."""
    if lifecycle.is_due_to_expire(entry, now):
        await lifecycle.transition(
            session,
            entry,
            "expire",
            by="system",
            actor=SWEEP_ACTOR,
            now=now,
            list_rules=list_rules,
            note=f"publication term ended ({list_rules.publication_term_years.cite()})",
        )


async def act(
    session: AsyncSession,
    *,
    entry_id: uuid.UUID,
    data: TransitionRequest,
    actor: Principal,
    list_rules: ListRules,
    now: datetime,
) -> ListEntry:
    """A regulator's action on an entry, checked against the state machine under the row locks."""
    if data.action not in machine.REGULATOR_ACTIONS:
        raise _invalid("action", f"unknown action; known: {', '.join(sorted(machine.REGULATOR_ACTIONS))}")
    uscc = (await get_entry(session, entry_id)).uscc
    await _lock_enterprise(session, uscc)
    entry = await lifecycle.lock_entry(session, entry_id)
    await _expire_if_due(session, entry, list_rules=list_rules, now=now)
    target = machine.step(entry.kind, entry.status, data.action, by="regulator")
    if target.needs_note and not data.note:
        raise _invalid("note", f"the reasons are required to {data.action}")
    if entry.kind == "black" and data.action == "list":
        await _check_may_list(session, entry, now)
    await lifecycle.transition(
        session,
        entry,
        data.action,
        by="regulator",
        actor=actor.actor,
        now=now,
        list_rules=list_rules,
        note=data.note,
        reference=data.reference,
    )
    if entry.kind == "black" and entry.status == machine.LISTED:
        # Serious dishonesty ends trustworthiness: off the red list in this same transaction.
        await lifecycle.withdraw_red(
            session,
            uscc=uscc,
            cause="blacklisted",
            note=f"listed as seriously dishonest (decision {entry.decision_no})",
            reference=str(entry.id),
            actor=actor.actor,
            now=now,
            list_rules=list_rules,
        )
    return entry


async def add_statement(
    session: AsyncSession, *, entry_id: uuid.UUID, data: StatementCreate, actor: Principal, now: datetime
) -> ListStatement:
    entry = await lifecycle.lock_entry(session, entry_id)
    if entry.kind != "black" or entry.status != "notice_served":
        raise Conflict(
            f"statements are taken while a black-list notice is served; this entry is {entry.status}",
            current_state=entry.status,
        )
    assert entry.defence_due_at is not None
    if now > entry.defence_due_at:
        raise Conflict(
            f"the time to state one's case ended at {entry.defence_due_at.isoformat()}",
            current_state=entry.status,
            defence_due_at=entry.defence_due_at.isoformat(),
        )
    statement = ListStatement(
        id=uuid.uuid4(),
        entry_id=entry.id,
        uscc=entry.uscc,
        text=data.text,
        hearing_requested=data.hearing_requested,
        submitted_at=now,
        submitted_by=actor.actor,
    )
    session.add(statement)
    await session.flush()
    return statement


async def reply_to_statement(
    session: AsyncSession,
    *,
    entry_id: uuid.UUID,
    statement_id: uuid.UUID,
    data: StatementReply,
    actor: Principal,
    now: datetime,
) -> ListStatement:
    entry = await lifecycle.lock_entry(session, entry_id)
    statement = await session.get(ListStatement, statement_id, populate_existing=True)
    if statement is None or statement.entry_id != entry.id:
        raise NotFound(f"no statement {statement_id} on list entry {entry_id}")
    if statement.replied_at is not None:
        raise Conflict(f"statement {statement_id} was answered at {statement.replied_at.isoformat()}")
    if entry.status != "notice_served":
        raise Conflict(f"the entry is {entry.status}; statements are closed", current_state=entry.status)
    statement.reply = data.reply
    statement.replied_at = now
    statement.replied_by = actor.actor
    await session.flush()
    return statement


async def statements_of(session: AsyncSession, entry_id: uuid.UUID) -> Sequence[ListStatement]:
    statement = (
        select(ListStatement)
        .where(ListStatement.entry_id == entry_id)
        .order_by(ListStatement.submitted_at, ListStatement.id)
    )
    return (await session.execute(statement)).scalars().all()


async def history_of(session: AsyncSession, entry_id: uuid.UUID) -> Sequence[ListTransition]:
    statement = select(ListTransition).where(ListTransition.entry_id == entry_id).order_by(ListTransition.id)
    return (await session.execute(statement)).scalars().all()


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
    """An earlier entry removed early (repaired) less than the bar before this listing, if any."""
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


async def file_repair(
    session: AsyncSession,
    *,
    entry_id: uuid.UUID,
    data: RepairApplicationCreate,
    actor: Principal,
    list_rules: ListRules,
    now: datetime,
) -> RepairApplication:
    """The enterprise applies for early removal (信用修复); refused unless the rules allow it now."""
    entry = await lifecycle.lock_entry(session, entry_id)
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
    earlier = await _early_removal_barring(session, entry, list_rules)
    if earlier is not None:
        raise Conflict(
            f"listed again within {list_rules.reapply_bar_years.value} years of an early removal "
            f"(entry {earlier.id}); early removal may not be applied for again "
            f"({list_rules.reapply_bar_years.cite()})",
            current_state=entry.status,
            earlier_entry_id=str(earlier.id),
        )
    pending = (
        await session.execute(
            select(RepairApplication.id).where(
                RepairApplication.entry_id == entry.id, RepairApplication.status == "pending"
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
    due = list_rules.repair_decision_due(now)
    application = RepairApplication(
        id=uuid.uuid4(),
        entry_id=entry.id,
        uscc=entry.uscc,
        status="pending",
        evidence=data.evidence,
        declarations=declarations,
        filed_at=now,
        filed_by=actor.actor,
        decision_due_at=due.at,
        decision_due_provisional=due.provisional,
    )
    session.add(application)
    await session.flush()
    return application


async def get_repair(session: AsyncSession, application_id: uuid.UUID) -> RepairApplication:
    application = await session.get(RepairApplication, application_id)
    if application is None:
        raise NotFound(f"no repair application {application_id}")
    return application


async def decide_repair(
    session: AsyncSession,
    *,
    application_id: uuid.UUID,
    data: RepairDecision,
    actor: Principal,
    list_rules: ListRules,
    now: datetime,
) -> RepairApplication:
    """Approve (the entry leaves the list now) or reject, with reasons; one decision per application."""
    found = await get_repair(session, application_id)
    await _lock_enterprise(session, found.uscc)
    entry = await lifecycle.lock_entry(session, found.entry_id)
    await _expire_if_due(session, entry, list_rules=list_rules, now=now)
    application = await session.get(
        RepairApplication, application_id, with_for_update=True, populate_existing=True
    )
    assert application is not None
    if application.status != "pending":
        raise Conflict(
            f"application {application_id} is already {application.status}", current_state=application.status
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
    events.record(
        session,
        RepairDecided(
            uscc=application.uscc,
            actor=actor.actor,
            at=now,
            application_id=str(application.id),
            entry_id=str(entry.id),
            decision=application.status,
            reasons=data.reasons,
        ),
    )
    return application


async def pending_repairs(
    session: AsyncSession, *, after: tuple[str, str] | None, limit: int
) -> Sequence[RepairApplication]:
    """Applications awaiting a decision, the most urgent first."""
    statement = (
        select(RepairApplication)
        .where(RepairApplication.status == "pending")
        .order_by(RepairApplication.decision_due_at, RepairApplication.id)
        .limit(limit)
    )
    if after is not None:
        statement = statement.where(
            keyset_after(RepairApplication.decision_due_at, RepairApplication.id, after, descending=False)
        )
    return (await session.execute(statement)).scalars().all()


async def entries_of(
    session: AsyncSession, *, uscc: str, after: tuple[str, str] | None, limit: int
) -> Sequence[ListEntry]:
    """Every entry of one enterprise, removed ones included, newest first."""
    statement = (
        select(ListEntry)
        .where(ListEntry.uscc == uscc)
        .order_by(ListEntry.proposed_at.desc(), ListEntry.id.desc())
        .limit(limit)
    )
    if after is not None:
        statement = statement.where(keyset_after(ListEntry.proposed_at, ListEntry.id, after))
    return (await session.execute(statement)).scalars().all()


@dataclass(frozen=True)
class PublicRow:
    entry: ListEntry
    enterprise: Enterprise


async def public_list(
    session: AsyncSession,
    *,
    kind: str,
    region: str | None,
    authority: str | None,
    after: tuple[str, str] | None,
    limit: int,
    now: datetime,
) -> list[PublicRow]:
    """The disclosure: active entries of one list, most recently listed first."""
    statement = (
        select(ListEntry, Enterprise)
        .join(Enterprise, Enterprise.uscc == ListEntry.uscc)
        .where(ListEntry.kind == kind, lifecycle.is_active(now))
        .order_by(ListEntry.listed_at.desc(), ListEntry.id.desc())
        .limit(limit)
    )
    if region:
        statement = statement.where(Enterprise.division.startswith(region, autoescape=True))
    if authority:
        escaped = authority.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(ListEntry.authority.like(f"%{escaped}%", escape="\\"))
    if after is not None:
        statement = statement.where(keyset_after(ListEntry.listed_at, ListEntry.id, after))
    return [PublicRow(entry, enterprise) for entry, enterprise in (await session.execute(statement)).all()]


async def active_entries(
    session: AsyncSession, *, codes: Sequence[str], now: datetime
) -> dict[str, list[ListEntry]]:
    """Active entries of many enterprises in one query (credit answers, partner batches)."""
    if not codes:
        return {}
    statement = (
        select(ListEntry)
        .where(ListEntry.uscc.in_(sorted(set(codes))), lifecycle.is_active(now))
        .order_by(ListEntry.uscc, ListEntry.kind, ListEntry.listed_at)
    )
    found: dict[str, list[ListEntry]] = defaultdict(list)
    for entry in (await session.execute(statement)).scalars():
        found[entry.uscc].append(entry)
    return found


async def sweep(
    session: AsyncSession, *, list_rules: ListRules, now: datetime, actor: str = SWEEP_ACTOR, batch: int = 500
) -> int:
    """Record the expiry of entries whose publication term has ended; one batch per call.

    Idempotent, and safe on many replicas at once: enterprises another transaction holds are
    skipped. The enterprise row is locked first, then its entry — the order every write takes.
    """
    due_entry = (
        select(ListEntry.uscc)
        .where(
            ListEntry.uscc == Enterprise.uscc,
            ListEntry.kind == "black",
            ListEntry.status == machine.LISTED,
            ListEntry.expires_at <= now,
        )
        .exists()
    )
    claimed = (
        (
            await session.execute(
                select(Enterprise.uscc)
                .where(due_entry)
                .order_by(Enterprise.uscc)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    if not claimed:
        return 0
    events.row_locks(session).update(claimed)
    statement = (
        select(ListEntry)
        .where(
            ListEntry.uscc.in_(claimed),
            ListEntry.kind == "black",
            ListEntry.status == machine.LISTED,
            ListEntry.expires_at <= now,
        )
        .order_by(ListEntry.uscc, ListEntry.expires_at, ListEntry.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    due = (await session.execute(statement)).scalars().all()
    for entry in due:
        await lifecycle.transition(
            session,
            entry,
            "expire",
            by="system",
            actor=actor,
            now=now,
            list_rules=list_rules,
            note=f"publication term ended ({list_rules.publication_term_years.cite()})",
        )
    return len(due)
