"""Credit rules: recording and revoking events (idempotently), and answering credit status."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.db import by_id, insert_ignoring_conflicts
from services.common.errors import Conflict, Forbidden, NotFound, Unprocessable
from services.common.pagination import keyset_after
from services.registry.credit.models import CreditEvent, GradeChange
from services.registry.credit.rules import Assessment, RuleSet
from services.registry.credit.schemas import CreditEventCreate
from services.registry.enterprises import service as enterprises
from services.registry.enterprises.models import Enterprise
from services.registry.events import unit_of_work as events
from services.registry.events.domain import EventRecorded, EventRevoked, GradeDue

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


def issuer_of(actor: Principal, authority: str) -> str:
    """Idempotency scope: the issuing authority — the token's issuer and the `authority` organisation.

    Not the officer: two officers of one bureau recording the same decision number record one event.
    With `source_ref` and the enterprise it makes the key (unique in the database).
    """
    return f"{actor.issuer}|{' '.join(authority.split())}"


_INSERTED = (
    "id",
    "uscc",
    "kind",
    "severity",
    "authority",
    "source_ref",
    "issuer",
    "summary",
    "occurred_at",
    "expires_at",
    "recorded_at",
    "recorded_by",
    *PRODUCT_FIELDS,
)
_INSERT_EVENT: dict[str, Any] = {}


def _insert_event(dialect: str, session: AsyncSession) -> Any:
    """INSERT … ON CONFLICT (uscc, issuer, source_ref) DO NOTHING RETURNING the row, as ORM objects;
    built once per dialect (building it costs more than running it), the values bound at each run."""
    if dialect not in _INSERT_EVENT:
        table = CreditEvent.__table__
        insert = insert_ignoring_conflicts(session, table, ["uscc", "issuer", "source_ref"])
        values = {k: bindparam(f"v_{k}", type_=table.c[k].type) for k in _INSERTED}
        _INSERT_EVENT[dialect] = select(CreditEvent).from_statement(insert.values(values).returning(*table.c))
    return _INSERT_EVENT[dialect]


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
    issuer = issuer_of(actor, data.authority)
    event_id = uuid.uuid4()
    values = {
        "id": event_id,
        "uscc": uscc,
        "kind": data.kind,
        "severity": data.severity,
        "authority": data.authority,
        "source_ref": data.source_ref,
        "issuer": issuer,
        "summary": data.summary,
        "occurred_at": data.occurred_at,
        "expires_at": data.expires_at,
        "recorded_at": now,
        "recorded_by": actor.actor,
        **{k: getattr(data, k) for k in PRODUCT_FIELDS},
    }
    # The new row comes back whole (RETURNING every column), into the identity map: no re-read.
    statement = _insert_event(session.bind.dialect.name, session)
    event = (await session.execute(statement, {f"v_{k}": v for k, v in values.items()})).scalar_one_or_none()
    if event is None:
        original = (
            await session.execute(
                select(CreditEvent).where(
                    CreditEvent.uscc == uscc,
                    CreditEvent.issuer == issuer,
                    CreditEvent.source_ref == data.source_ref,
                )
            )
        ).scalar_one()
        if (original.kind, original.severity) != (data.kind, data.severity):
            raise Conflict(
                f"source_ref {data.source_ref!r} was already used by this authority for a different event",
                event_id=str(original.id),
            )
        return Recorded(original, created=False)
    if enterprise.status != "active":
        raise Conflict(f"enterprise {uscc} is {enterprise.status}; no new events")
    events.record(
        session,
        EventRecorded(
            uscc=uscc,
            actor=actor.actor,
            at=now,
            event_id=str(event_id),
            details={
                "kind": data.kind,
                "severity": data.severity,
                "authority": data.authority,
                "source_ref": data.source_ref,
                "issuer": issuer,
                "occurred_at": data.occurred_at,
                "expires_at": data.expires_at,
                **{k: v for k in PRODUCT_FIELDS if (v := getattr(data, k)) is not None},
            },
        ),
    )
    return Recorded(event, created=True)


async def get_event(session: AsyncSession, event_id: uuid.UUID) -> CreditEvent:
    event = await by_id(session, CreditEvent, event_id)
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
    await enterprises.get(session, event.uscc, for_update=True)  # enterprise row first
    await session.refresh(event)
    if event.revoked_at is not None:
        raise Conflict(f"credit event {event_id} was already revoked at {event.revoked_at.isoformat()}")
    event.revoked_at = now
    event.revoked_by = actor.actor
    event.revocation_reason = reason
    await session.flush()
    events.record(
        session,
        EventRevoked(uscc=event.uscc, actor=actor.actor, at=now, event_id=str(event_id), reason=reason),
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


def stored_assessment(enterprise: Enterprise) -> Assessment:
    """The one current grade: stored on the row, kept current by writes and by the sweep."""
    return Assessment(
        score=enterprise.score,
        grade=enterprise.grade,
        rule_version=enterprise.rule_version,
        explanation=enterprise.explanation,
        next_review_at=enterprise.regrade_due_at,
    )


async def regrade_due(
    session: AsyncSession, *, rules: RuleSet, now: datetime, actor: str, batch: int = 500
) -> int:
    """Claim enterprises graded under other rules or past an event's expiry; grade them again.

    Rows an API write holds are skipped (that write grades them); one batch per call, announced as
    `GradeDue` so the change is stored, audited and fed like any other.
    """
    due = await enterprises.claim(
        session, (Enterprise.rule_version != rules.version) | (Enterprise.regrade_due_at <= now), batch=batch
    )
    for enterprise in due:
        rules_changed = enterprise.rule_version != rules.version
        events.record(
            session,
            GradeDue(
                uscc=enterprise.uscc,
                actor=actor,
                at=now,
                cause="rules_changed" if rules_changed else "event_expired",
                cause_ref=rules.version if rules_changed else None,
            ),
        )
    return len(due)
