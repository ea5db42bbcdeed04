"""Keeping the stored grade equal to `rules.assess` of the active events, with its history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.credit.models import CreditEvent, GradeChange
from services.registry.credit.rules import Assessment, EventFacts, RuleSet, assess
from services.registry.enterprises.models import Enterprise
from services.registry.events import unit_of_work as events
from services.registry.events.domain import GradeChanged


def assess_clean(rules: RuleSet, now: datetime) -> Assessment:
    return assess([], rules, now)


_FACT_COLUMNS = (
    CreditEvent.id,
    CreditEvent.kind,
    CreditEvent.severity,
    CreditEvent.authority,
    CreditEvent.source_ref,
    CreditEvent.occurred_at,
    CreditEvent.expires_at,
    CreditEvent.revoked_at,
)
_FACTS = select(*_FACT_COLUMNS).where(CreditEvent.uscc == bindparam("uscc"))  # built once, bound per run


async def facts_of(session: AsyncSession, uscc: str) -> list[EventFacts]:
    """What grading needs of each event, read as columns (no ORM objects made or tracked); every
    writer of an event flushes it before the regrade, so these are the rows the grade must see."""
    rows = (await session.execute(_FACTS, {"uscc": uscc})).all()
    return [
        EventFacts(
            id=str(id_),
            kind=kind,
            severity=severity,
            authority=authority,
            source_ref=source_ref,
            occurred_at=occurred_at,
            expires_at=expires_at,
            revoked=revoked_at is not None,
        )
        for id_, kind, severity, authority, source_ref, occurred_at, expires_at, revoked_at in rows
    ]


async def assess_enterprise(session: AsyncSession, uscc: str, rules: RuleSet, now: datetime) -> Assessment:
    return assess(await facts_of(session, uscc), rules, now)


def is_current(enterprise: Enterprise, rules: RuleSet, now: datetime) -> bool:
    """Whether the stored grade still equals a fresh assessment (same rules, no expiry passed)."""
    return is_current_values(
        rule_version=enterprise.rule_version, regrade_due_at=enterprise.regrade_due_at, rules=rules, now=now
    )


def is_current_values(
    *, rule_version: str, regrade_due_at: datetime | None, rules: RuleSet, now: datetime
) -> bool:
    return rule_version == rules.version and (regrade_due_at is None or regrade_due_at > now)


async def write_history(session: AsyncSession, event: GradeChanged) -> GradeChange:
    """The history subscriber: one row per change of score or grade, with its cause."""
    change = GradeChange(
        uscc=event.uscc,
        old_score=event.old_score,
        old_grade=event.old_grade,
        new_score=event.new_score,
        new_grade=event.new_grade,
        rule_version=event.rule_version,
        cause=event.cause,
        cause_ref=event.cause_ref,
        changed_at=event.at,
        changed_by=event.actor,
    )
    session.add(change)  # written with the rest of the unit of work's rows, in one flush
    return change


async def regrade(
    session: AsyncSession,
    *,
    enterprise: Enterprise,
    rules: RuleSet,
    now: datetime,
    cause: str,
    cause_ref: str | None,
    actor: str,
    review_by: datetime | None = None,
) -> bool:
    """Recompute from the events and store on the row; the caller holds the enterprise row lock.

    The stored grade comes due again at the first event expiry or at `review_by` (when the next
    rules version takes effect), whichever is sooner.

    A change of score or grade is announced as `GradeChanged` (history, audit, feed and the red-list
    floor follow from it); returns whether there was one.
    """
    assessment = await assess_enterprise(session, enterprise.uscc, rules, now)
    changed = (enterprise.score, enterprise.grade) != (assessment.score, assessment.grade)
    if changed:
        events.record(
            session,
            GradeChanged(
                uscc=enterprise.uscc,
                actor=actor,
                at=now,
                old_score=enterprise.score,
                old_grade=enterprise.grade,
                new_score=assessment.score,
                new_grade=assessment.grade,
                rule_version=assessment.rule_version,
                cause=cause,
                cause_ref=cause_ref,
            ),
        )
    enterprise.score = assessment.score
    enterprise.grade = assessment.grade
    enterprise.rule_version = assessment.rule_version
    enterprise.explanation = assessment.explanation
    enterprise.graded_at = now
    due = [d for d in (assessment.next_review_at, review_by) if d is not None]
    enterprise.regrade_due_at = min(due) if due else None
    return changed
