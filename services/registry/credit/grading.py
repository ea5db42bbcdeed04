"""Keeping the stored grade equal to `rules.assess` of the active events, with its history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.credit.models import CreditEvent, GradeChange
from services.registry.credit.rules import Assessment, EventFacts, RuleSet, assess
from services.registry.enterprises.models import Enterprise
from services.registry.ledger import service as ledger
from services.registry.lists import lifecycle


def assess_clean(rules: RuleSet, now: datetime) -> Assessment:
    return assess([], rules, now)


def facts(event: CreditEvent) -> EventFacts:
    return EventFacts(
        id=str(event.id),
        kind=event.kind,
        severity=event.severity,
        authority=event.authority,
        source_ref=event.source_ref,
        occurred_at=event.occurred_at,
        expires_at=event.expires_at,
        revoked=event.revoked_at is not None,
    )


async def events_of(session: AsyncSession, uscc: str) -> Sequence[CreditEvent]:
    statement = select(CreditEvent).where(CreditEvent.uscc == uscc)
    return (await session.execute(statement)).scalars().all()


async def assess_enterprise(session: AsyncSession, uscc: str, rules: RuleSet, now: datetime) -> Assessment:
    return assess([facts(e) for e in await events_of(session, uscc)], rules, now)


def is_current(enterprise: Enterprise, rules: RuleSet, now: datetime) -> bool:
    """Whether the stored grade still equals a fresh assessment (same rules, no expiry passed)."""
    return is_current_values(
        rule_version=enterprise.rule_version, regrade_due_at=enterprise.regrade_due_at, rules=rules, now=now
    )


def is_current_values(
    *, rule_version: str, regrade_due_at: datetime | None, rules: RuleSet, now: datetime
) -> bool:
    return rule_version == rules.version and (regrade_due_at is None or regrade_due_at > now)


async def record_change(
    session: AsyncSession,
    *,
    uscc: str,
    old: Enterprise | None,
    new: Assessment,
    cause: str,
    cause_ref: str | None,
    actor: str,
    now: datetime,
) -> GradeChange | None:
    if old is not None and (old.score, old.grade) == (new.score, new.grade):
        return None
    change = GradeChange(
        uscc=uscc,
        old_score=old.score if old else None,
        old_grade=old.grade if old else None,
        new_score=new.score,
        new_grade=new.grade,
        rule_version=new.rule_version,
        cause=cause,
        cause_ref=cause_ref,
        changed_at=now,
        changed_by=actor,
    )
    session.add(change)
    await session.flush()
    if old is not None:  # a registration is announced as enterprise_created by its caller
        await ledger.record(
            session,
            actor=actor,
            action="grade.changed",
            uscc=uscc,
            subject=str(change.id),
            now=now,
            change="grade_changed",
            data={
                "old_grade": change.old_grade,
                "new_grade": change.new_grade,
                "old_score": change.old_score,
                "new_score": change.new_score,
                "rule_version": change.rule_version,
                "cause": cause,
                "cause_ref": cause_ref,
            },
        )
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
) -> GradeChange | None:
    """Recompute from the events and store; the caller holds the enterprise row lock.

    An enterprise graded below the red-list floor leaves the red list here, in the same transaction.
    """
    assessment = await assess_enterprise(session, enterprise.uscc, rules, now)
    change = await record_change(
        session,
        uscc=enterprise.uscc,
        old=enterprise,
        new=assessment,
        cause=cause,
        cause_ref=cause_ref,
        actor=actor,
        now=now,
    )
    enterprise.score = assessment.score
    enterprise.grade = assessment.grade
    enterprise.rule_version = assessment.rule_version
    enterprise.explanation = assessment.explanation
    enterprise.graded_at = now
    enterprise.regrade_due_at = assessment.next_review_at
    await session.flush()
    await lifecycle.enforce_red_floor(
        session,
        enterprise=enterprise,
        rules=rules,
        now=now,
        actor=actor,
        cause=cause,
        cause_ref=cause_ref,
    )
    return change
