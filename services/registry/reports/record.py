"""An enterprise's record as a report shows it and as the measures read it, from the features' own reads.

The grade comes from the credit answer (`answers.lookup`), list status from `lists.service`, event
status from `credit.service.event_status`, the risk class as `supervision` stored it: nothing here
decides a rule again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.answers import lookup
from services.registry.credit import service as credit
from services.registry.credit.models import CreditEvent
from services.registry.credit.rules import RuleSet
from services.registry.enterprises.models import Enterprise
from services.registry.lists import service as lists
from services.registry.lists.models import ListEntry
from services.registry.measures import apply
from services.registry.measures.catalogue import load_catalogue
from services.registry.measures.schemas import AppliedMeasure
from services.registry.standards import service as standards
from services.registry.standards.models import StandardDeclaration, StandardVersion
from services.registry.supervision.models import RiskClass

# The report shows credit events of the last three years (the brief; registry policy).
EVENT_YEARS = 3
_WINDOW = timedelta(days=366 * EVENT_YEARS)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _entry_end(entry: ListEntry) -> datetime | None:
    ends = [d for d in (entry.expires_at, entry.restriction_ends_at) if d is not None]
    return max(ends) if ends else None


async def _entries(session: AsyncSession, uscc: str) -> list[dict[str, Any]]:
    # Only entries that reached the public list: a proposal under notice is not yet disclosed.
    rows = await lists.entries_of(session, uscc=uscc, after=None, limit=1000)
    return [
        {
            "id": str(e.id),
            "list": e.kind,
            "status": e.status,
            "reason": e.reason,
            "legal_basis": e.legal_basis,
            "decision_no": e.decision_no,
            "authority": e.authority,
            "decided_at": _iso(e.listing_decided_at or e.decided_at),
            "listed_at": _iso(e.listed_at),
            "until": _iso(_entry_end(e)),
            "removed_at": _iso(e.removed_at),
            "exit_kind": e.exit_kind,
        }
        for e in rows
        if e.listed_at is not None
    ]


async def _events(session: AsyncSession, uscc: str, now: datetime) -> list[dict[str, Any]]:
    rows = (
        await session.execute(
            select(CreditEvent)
            .where(CreditEvent.uscc == uscc, CreditEvent.occurred_at > now - _WINDOW)
            .order_by(CreditEvent.occurred_at.desc(), CreditEvent.id)
        )
    ).scalars()
    return [
        {
            "id": str(e.id),
            "kind": e.kind,
            "severity": e.severity,
            "authority": e.authority,
            "source_ref": e.source_ref,
            "occurred_at": _iso(e.occurred_at),
            "status": credit.event_status(e, now),
        }
        for e in rows
    ]


async def _declarations(session: AsyncSession, uscc: str) -> list[dict[str, Any]]:
    rows = (
        await session.execute(
            select(StandardDeclaration, StandardVersion)
            .join(
                StandardVersion,
                and_(
                    StandardVersion.declaration_id == StandardDeclaration.id,
                    StandardVersion.version == StandardDeclaration.current_version,
                ),
            )
            .where(StandardDeclaration.uscc == uscc)
            .order_by(StandardDeclaration.published_at, StandardDeclaration.id)
        )
    ).all()
    found = []
    for declaration, version in rows:
        flags = await standards.flags_of(session, declaration.id)
        found.append(
            {
                "id": str(declaration.id),
                "number": version.number,
                "title": version.title,
                "status": declaration.status,
                "published_at": _iso(declaration.published_at),
                "findings": [
                    {"finding": f.finding, "reason": f.reason, "at": _iso(f.flagged_at)} for f in flags
                ],
            }
        )
    return found


async def report_record(session: AsyncSession, *, uscc: str, rules: RuleSet, now: datetime) -> dict[str, Any]:
    """The record part of a report: identity, grade and explanation, class, entries, events, declarations."""
    answer = await lookup.credit_answer(session, uscc=uscc, rules=rules, now=now)
    risk = await session.get(RiskClass, uscc)
    return {
        "enterprise": {"uscc": answer.uscc, "name": answer.name, "status": answer.status},
        "credit": {
            "score": answer.score,
            "grade": answer.grade,
            "grade_label": answer.grade_label,
            "rule_version": answer.rule_version,
            "explanation": [item.model_dump(mode="json") for item in answer.explanation],
        },
        "risk_class": None
        if risk is None
        else {"class": risk.risk_class, "explanation": risk.explanation, "rules_version": risk.rules_version},
        "list_entries": await _entries(session, uscc),
        "credit_events": await _events(session, uscc, now),
        "credit_events_years": EVENT_YEARS,
        "declarations": await _declarations(session, uscc),
    }


async def measure_records(
    session: AsyncSession, codes: Sequence[str], now: datetime
) -> dict[str, apply.Record]:
    """The facts the measures look at, for many codes in a constant number of queries."""
    unique = sorted(set(codes))
    if not unique:
        return {}
    rows = await session.execute(select(Enterprise.uscc, Enterprise.grade).where(Enterprise.uscc.in_(unique)))
    grades: dict[str, str] = {row.uscc: row.grade for row in rows}
    rows = await session.execute(
        select(RiskClass.uscc, RiskClass.risk_class).where(RiskClass.uscc.in_(unique))
    )
    classes: dict[str, str] = {row.uscc: row.risk_class for row in rows}
    active = await lists.active_entries(session, codes=list(grades), now=now)
    events = (
        await session.execute(
            select(CreditEvent).where(
                CreditEvent.uscc.in_(list(grades)),
                CreditEvent.occurred_at > now - _WINDOW,
                CreditEvent.revoked_at.is_(None),
            )
        )
    ).scalars()
    by_code: dict[str, list[apply.EventFact]] = {c: [] for c in grades}
    for e in events:
        if credit.event_status(e, now) == "active":
            by_code[e.uscc].append(
                apply.EventFact(
                    id=str(e.id),
                    kind=e.kind,
                    severity=e.severity,
                    source_ref=e.source_ref,
                    occurred_at=e.occurred_at,
                )
            )
    return {
        code: apply.Record(
            uscc=code,
            grade=grade,
            risk_class=classes.get(code),
            entries=tuple(
                apply.EntryFact(
                    id=str(e.id),
                    kind=e.kind,
                    decision_no=e.decision_no,
                    listed_at=e.listed_at,
                    until=_entry_end(e),
                )
                for e in active.get(code, [])
            ),
            events=tuple(by_code[code]),
        )
        for code, grade in grades.items()
    }


async def measures_for_codes(
    session: AsyncSession, codes: Sequence[str], use: str, now: datetime
) -> dict[str, list[AppliedMeasure]]:
    """The partner batch's `use` option (wired into the app as an `apply.MeasuresProvider`)."""
    catalogue = load_catalogue()
    records = await measure_records(session, codes, now)
    return {code: apply.applicable(catalogue, use=use, record=r, now=now) for code, r in records.items()}
