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
from services.common.db import by_id
from services.common.errors import Conflict, NotFound
from services.common.pagination import keyset_after
from services.registry.credit.rules import RuleSet
from services.registry.enterprises import service as enterprises
from services.registry.enterprises.models import Enterprise
from services.registry.lists import authority, lifecycle, machine, repairs
from services.registry.lists.models import ListEntry, ListStatement, ListTransition
from services.registry.lists.rules import ListRules
from services.registry.lists.schemas import (
    ListEntryCreate,
    StatementCreate,
    StatementReply,
    TransitionRequest,
)

# A decision dated in the future is a typo; allow for clocks that disagree a little.
FUTURE_TOLERANCE = timedelta(minutes=5)
OPEN_BLACK = ("proposed", "notice_served", "decided", machine.LISTED)


async def get_entry(session: AsyncSession, entry_id: uuid.UUID) -> ListEntry:
    entry = await by_id(session, ListEntry, entry_id)
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
        raise lifecycle.invalid("decided_at", "is in the future")
    clash = authority.conflict(data.authority_level, data.authority_division)
    if clash:
        raise lifecycle.invalid("authority_division", clash)
    # An unregistered code is a well-formed request about nothing on file: 404, as for the path form.
    enterprise = await lifecycle.lock_enterprise(session, data.uscc)
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
        authority_level=data.authority_level,
        authority_division=data.authority_division,
        restriction_ends_at=data.restriction_ends_at,
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
            known=lifecycle.known_facts(entry),
        )
    assert entry.defence_due_at is not None
    if now <= entry.defence_due_at and not await _answered(session, entry.id):
        raise machine.illegal(
            entry.kind,
            entry.status,
            "list",
            f"the enterprise may state its case until {entry.defence_due_at.isoformat()}; "
            "list after that, or once its statement is answered",
            known=lifecycle.known_facts(entry),
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
        raise lifecycle.invalid(
            "action", f"unknown action; known: {', '.join(sorted(machine.REGULATOR_ACTIONS))}"
        )
    uscc = (await get_entry(session, entry_id)).uscc
    await lifecycle.lock_enterprise(session, uscc)
    entry = await lifecycle.lock_entry(session, entry_id, uscc=uscc)
    await lifecycle.expire_if_due(session, entry, list_rules=list_rules, now=now)
    known = lifecycle.known_facts(entry)
    target = machine.step(entry.kind, entry.status, data.action, by="regulator", known=known)
    if target.needs_note and not data.note:
        raise lifecycle.invalid("note", f"the reasons are required to {data.action}")
    if data.action == "record_consent" and not data.approving_authority:
        raise lifecycle.invalid(
            "approving_authority", "name the authority that consented (the next level up)"
        )
    if entry.kind == "black" and entry.status == "notice_served" and data.action in ("decide", "list"):
        await _check_may_list(session, entry, now)
        _check_consent(entry, list_rules, data.action)
    restored_from = entry.exit_ref if data.action == "restore" else None
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
    if data.action == "record_consent":
        _record_consent(entry, data, actor=actor, now=now)
        await session.flush()
    if restored_from is not None:
        await repairs.revoke_approval(session, entry, application_ref=restored_from, actor=actor, now=now)
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


def _record_consent(entry: ListEntry, data: TransitionRequest, *, actor: Principal, now: datetime) -> None:
    """Who consented (the next level up), with which document, recorded when (第二十二条)."""
    entry.consent_by = data.approving_authority
    entry.consent_ref = data.reference
    entry.consent_at = now
    entry.consent_recorded_by = actor.actor


def _check_consent(entry: ListEntry, list_rules: ListRules, action: str) -> None:
    """A county or city bureau (or one of unknown level) decides only with the next level's consent."""
    level = authority.level_of(entry.authority_level, entry.authority_division)
    if entry.consent_at is None and list_rules.needs_consent(level):
        raise machine.illegal(
            entry.kind,
            entry.status,
            action,
            f"a {level or 'unknown'}-level authority's listing decision needs the next level's consent "
            f"({list_rules.superior_consent.cite()}); record it first (action record_consent)"
            + ("" if level else "; or state authority_level / authority_division on the entry"),
            known=lifecycle.known_facts(entry),
        )


async def overdue_publications(
    session: AsyncSession, *, now: datetime, after: tuple[str, str] | None, limit: int
) -> Sequence[ListEntry]:
    """Listing decisions not published (or not pushed across provinces) in time, the longest overdue first."""
    statement = (
        select(ListEntry)
        .where(
            ListEntry.kind == "black",
            ListEntry.status == "decided",
            (ListEntry.publication_due_at < now)
            | (ListEntry.pushed_at.is_(None) & (ListEntry.push_due_at < now)),
        )
        .order_by(ListEntry.publication_due_at, ListEntry.id)
        .limit(limit)
    )
    if after is not None:
        statement = statement.where(
            keyset_after(ListEntry.publication_due_at, ListEntry.id, after, descending=False)
        )
    return (await session.execute(statement)).scalars().all()


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
    statement = await by_id(session, ListStatement, statement_id, uscc=entry.uscc, for_update=True)
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
    session: AsyncSession,
    *,
    list_rules: ListRules,
    now: datetime,
    actor: str = lifecycle.SWEEP_ACTOR,
    batch: int = 500,
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
    claimed = [e.uscc for e in await enterprises.claim(session, due_entry, batch=batch)]
    due: list[ListEntry] = []
    for uscc in claimed:  # each enterprise's entries locked by its code: one shard each
        statement = (
            select(ListEntry)
            .where(
                ListEntry.uscc == uscc,
                ListEntry.kind == "black",
                ListEntry.status == machine.LISTED,
                ListEntry.expires_at <= now,
            )
            .order_by(ListEntry.expires_at, ListEntry.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        due.extend((await session.execute(statement)).scalars().all())
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
