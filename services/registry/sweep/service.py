"""Time-driven changes, written as domain events: what the passing of time changed since last run.

Each step claims its rows with `FOR UPDATE SKIP LOCKED` in one short committed batch at a time
(enterprise rows first), so it never waits on an API write and an API write never waits on more
than one batch's row:

1. enterprises whose stored grade is no longer current — graded under another rules version than
   the one in force now (a version whose `effective_from` day has come takes over), or an event
   expired (`regrade_due_at` passed) — are graded again (`GradeDue` → `GradeChanged` → the
   red-list floor, history, audit, feed);
2. black-list entries whose publication term ended are removed (`EntryRemoved`);
3. red-list entries of enterprises below the floor are withdrawn (after a floor or rules change);
4. the feed and the audit log are numbered, and a signed checkpoint is made when one is due.

After a run every read path reads one stored current grade: nothing computes a different one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.clock import Clock
from services.registry.credit import service as credit
from services.registry.credit.rulebook import RuleBook
from services.registry.credit.rules import RuleSet
from services.registry.enterprises.models import Enterprise
from services.registry.events import unit_of_work
from services.registry.ledger import checkpoints, feed
from services.registry.ledger.models import AuditCheckpoint
from services.registry.lists import lifecycle, machine
from services.registry.lists import service as lists
from services.registry.lists.models import ListEntry
from services.registry.lists.rules import ListRules

ACTOR = "system:sweep"


@dataclass
class SweepResult:
    regraded: int = 0
    expired: int = 0
    withdrawn: int = 0
    sequenced: int = 0
    checkpoint: int | None = None


async def _below_floor(
    session: AsyncSession, *, rules: RuleSet, list_rules: ListRules, now: datetime, batch: int
) -> int:
    """Withdraw red-list entries whose enterprise no longer meets the floor; one batch."""
    failing = [g.grade for g in rules.grades if not list_rules.meets_red_floor(g.grade, rules)]
    statement = (
        select(Enterprise)
        .where(
            Enterprise.grade.in_(failing),
            select(ListEntry.id)
            .where(
                ListEntry.uscc == Enterprise.uscc,
                ListEntry.kind == "red",
                ListEntry.status == machine.LISTED,
            )
            .exists(),
        )
        .order_by(Enterprise.uscc)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    withdrawn = 0
    claimed = (await session.execute(statement)).scalars().all()
    unit_of_work.row_locks(session).update(e.uscc for e in claimed)
    for enterprise in claimed:
        withdrawn += len(
            await lifecycle.enforce_red_floor(
                session,
                uscc=enterprise.uscc,
                grade=enterprise.grade,
                rules=rules,
                now=now,
                actor=ACTOR,
                cause="floor_checked",
                cause_ref=None,
            )
        )
    return withdrawn


async def _until_done(sessions: async_sessionmaker[AsyncSession], step) -> int:  # type: ignore[no-untyped-def]
    total = 0
    while True:
        async with sessions() as session:
            done = await step(session)
            await session.commit()
        total += done
        if done == 0:
            return total


async def run_once(
    sessions: async_sessionmaker[AsyncSession],
    *,
    book: RuleBook,
    list_rules: ListRules,
    clock: Clock,
    key: Ed25519PrivateKey | None,
    checkpoint_every: timedelta,
    batch: int = 500,
) -> SweepResult:
    result = SweepResult()
    result.regraded = await _until_done(
        sessions,
        lambda s: credit.regrade_due(
            s, rules=book.in_force(clock.now()), now=clock.now(), actor=ACTOR, batch=batch
        ),
    )
    result.expired = await _until_done(
        sessions, lambda s: lists.sweep(s, list_rules=list_rules, now=clock.now(), batch=batch)
    )

    async def withdraw(session: AsyncSession) -> int:
        now = clock.now()
        return await _below_floor(
            session, rules=book.in_force(now), list_rules=list_rules, now=now, batch=batch
        )

    # A withdrawal leaves the row not matching, so the loop ends; each batch is committed.
    result.withdrawn = await _until_done(sessions, withdraw)
    result.sequenced = await feed.sequence(sessions)
    if key is not None:
        async with sessions() as session:
            last = (
                await session.execute(select(AuditCheckpoint.at).order_by(AuditCheckpoint.id.desc()).limit(1))
            ).scalar_one_or_none()
            now = clock.now()
            if last is None or now - last >= checkpoint_every:
                made = await checkpoints.make(session, key=key, now=now)
                result.checkpoint = made.id
            await session.commit()
    return result
