"""Credit rules: recording and revoking events (idempotently), and answering credit status."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.db import insert_ignoring_conflicts
from services.common.errors import Conflict, Forbidden, NotFound, Unprocessable
from services.common.pagination import keyset_after
from services.registry.credit import grading
from services.registry.credit.models import CreditEvent, GradeChange
from services.registry.credit.rules import Assessment, RuleSet
from services.registry.credit.schemas import CreditEventCreate
from services.registry.enterprises import service as enterprises
from services.registry.enterprises.models import Enterprise
from services.registry.ledger import service as ledger

# An event dated in the future is a typo, not a fact; allow for clocks that disagree a little.
FUTURE_TOLERANCE = timedelta(minutes=5)
PRODUCT_FIELDS = ("gtin", "batch", "test_report_no", "product_name")


@dataclass(frozen=True)
class Recorded:
    event: CreditEvent
    created: bool


def _invalid(field: str, message: str) -> Unprocessable:
    return Unprocessable(f"{field}: {message}", errors=[{"field": field, "in": "body", "message": message}])


def _check_event(data: CreditEventCreate, *, rules: RuleSet, actor: Principal, now: datetime) -> None:
    kind = rules.kinds.get(data.kind)
    if kind is None:
        raise _invalid("kind", f"unknown kind {data.kind!r}; known: {', '.join(sorted(rules.kinds))}")
    if str(actor.role) not in kind.recorders:
        raise Forbidden(f"role {actor.role} may not record {data.kind} events")
    if data.occurred_at > now + FUTURE_TOLERANCE:
        raise _invalid("occurred_at", "is in the future")
    if data.expires_at is not None and data.expires_at <= data.occurred_at:
        raise _invalid("expires_at", "must be after occurred_at")


def issuer_of(actor: Principal) -> str:
    """Idempotency scope: the same source_ref from the same issuer is the same event."""
    return f"{actor.issuer}/{actor.subject}"


async def record_event(
    session: AsyncSession,
    *,
    uscc: str,
    data: CreditEventCreate,
    actor: Principal,
    rules: RuleSet,
    now: datetime,
) -> Recorded:
    _check_event(data, rules=rules, actor=actor, now=now)
    # The row lock serialises events of one enterprise so each regrade sees the others.
    enterprise = await enterprises.get(session, uscc, for_update=True)
    issuer = issuer_of(actor)
    event_id = uuid.uuid4()
    statement = insert_ignoring_conflicts(session, CreditEvent, ["issuer", "source_ref"]).values(
        id=event_id,
        uscc=uscc,
        kind=data.kind,
        severity=data.severity,
        authority=data.authority,
        source_ref=data.source_ref,
        issuer=issuer,
        summary=data.summary,
        occurred_at=data.occurred_at,
        expires_at=data.expires_at,
        recorded_at=now,
        recorded_by=actor.actor,
        gtin=data.gtin,
        batch=data.batch,
        test_report_no=data.test_report_no,
        product_name=data.product_name,
    )
    inserted = (await session.execute(statement.returning(CreditEvent.id))).scalar_one_or_none()
    if inserted is None:
        original = (
            await session.execute(
                select(CreditEvent).where(
                    CreditEvent.issuer == issuer, CreditEvent.source_ref == data.source_ref
                )
            )
        ).scalar_one()
        if (original.uscc, original.kind, original.severity) != (uscc, data.kind, data.severity):
            raise Conflict(
                f"source_ref {data.source_ref!r} was already used by this issuer for a different event",
                event_id=str(original.id),
            )
        return Recorded(original, created=False)
    if enterprise.status != "active":
        raise Conflict(f"enterprise {uscc} is {enterprise.status}; no new events")
    await ledger.record(
        session,
        actor=actor.actor,
        action="credit_event.recorded",
        uscc=uscc,
        subject=str(event_id),
        now=now,
        data={
            "kind": data.kind,
            "severity": data.severity,
            "authority": data.authority,
            "source_ref": data.source_ref,
            "issuer": issuer,
            "occurred_at": data.occurred_at,
            "expires_at": data.expires_at,
            **{k: v for k in PRODUCT_FIELDS if (v := getattr(data, k)) is not None},
        },
    )
    await grading.regrade(
        session,
        enterprise=enterprise,
        rules=rules,
        now=now,
        cause="event_recorded",
        cause_ref=str(event_id),
        actor=actor.actor,
    )
    event = await session.get(CreditEvent, event_id)
    assert event is not None
    return Recorded(event, created=True)


async def get_event(session: AsyncSession, event_id: uuid.UUID) -> CreditEvent:
    event = await session.get(CreditEvent, event_id)
    if event is None:
        raise NotFound(f"no credit event {event_id}")
    return event


async def revoke_event(
    session: AsyncSession,
    *,
    event_id: uuid.UUID,
    reason: str,
    actor: Principal,
    rules: RuleSet,
    now: datetime,
) -> CreditEvent:
    event = await get_event(session, event_id)
    enterprise = await enterprises.get(session, event.uscc, for_update=True)
    await session.refresh(event)
    if event.revoked_at is not None:
        raise Conflict(f"credit event {event_id} was already revoked at {event.revoked_at.isoformat()}")
    event.revoked_at = now
    event.revoked_by = actor.actor
    event.revocation_reason = reason
    await session.flush()
    await ledger.record(
        session,
        actor=actor.actor,
        action="credit_event.revoked",
        uscc=event.uscc,
        subject=str(event_id),
        now=now,
        data={"reason": reason},
    )
    await grading.regrade(
        session,
        enterprise=enterprise,
        rules=rules,
        now=now,
        cause="event_revoked",
        cause_ref=str(event_id),
        actor=actor.actor,
    )
    return event


def event_status(event: CreditEvent, now: datetime) -> str:
    if event.revoked_at is not None:
        return "revoked"
    if event.expires_at is not None and event.expires_at <= now:
        return "expired"
    return "active"


async def list_events(
    session: AsyncSession, *, uscc: str, after: tuple[str, str] | None, limit: int
) -> Sequence[CreditEvent]:
    statement = (
        select(CreditEvent)
        .where(CreditEvent.uscc == uscc)
        .order_by(CreditEvent.recorded_at.desc(), CreditEvent.id.desc())
        .limit(limit)
    )
    if after is not None:
        statement = statement.where(keyset_after(CreditEvent.recorded_at, CreditEvent.id, after))
    return (await session.execute(statement)).scalars().all()


async def history(
    session: AsyncSession, *, uscc: str, before_id: int | None, limit: int
) -> Sequence[GradeChange]:
    statement = (
        select(GradeChange).where(GradeChange.uscc == uscc).order_by(GradeChange.id.desc()).limit(limit)
    )
    if before_id is not None:
        statement = statement.where(GradeChange.id < before_id)
    return (await session.execute(statement)).scalars().all()


async def current_assessment(
    session: AsyncSession, *, enterprise: Enterprise, rules: RuleSet, now: datetime
) -> Assessment:
    """The stored grade when it is current; otherwise a fresh one (read-only, not stored)."""
    if grading.is_current(enterprise, rules, now):
        return Assessment(
            score=enterprise.score,
            grade=enterprise.grade,
            rule_version=enterprise.rule_version,
            explanation=enterprise.explanation,
            next_review_at=enterprise.regrade_due_at,
        )
    return await grading.assess_enterprise(session, enterprise.uscc, rules, now)


async def regrade_stale(
    session: AsyncSession, *, rules: RuleSet, now: datetime, actor: str, batch: int = 500
) -> int:
    """Store fresh grades for enterprises graded under other rules or past an event's expiry."""
    statement = (
        select(Enterprise)
        .where((Enterprise.rule_version != rules.version) | (Enterprise.regrade_due_at <= now))
        .order_by(Enterprise.uscc)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    stale = (await session.execute(statement)).scalars().all()
    for enterprise in stale:
        cause = "rules_changed" if enterprise.rule_version != rules.version else "event_expired"
        await grading.regrade(
            session,
            enterprise=enterprise,
            rules=rules,
            now=now,
            cause=cause,
            cause_ref=rules.version if cause == "rules_changed" else None,
            actor=actor,
        )
    return len(stale)
