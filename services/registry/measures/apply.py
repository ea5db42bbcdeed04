"""Which measures of a use apply to one record: a pure function of the catalogue and the facts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.measures.catalogue import Catalogue, Measure
from services.registry.measures.schemas import AppliedMeasure, Fact, LegalBasis

# 3 years as the catalogue counts them: 365 days a year plus a leap day, never fewer than the law's.
_YEAR = timedelta(days=366)


@dataclass(frozen=True)
class EntryFact:
    id: str
    kind: str  # black | red
    decision_no: str
    listed_at: datetime | None
    until: datetime | None  # end of publication, or a longer restriction


@dataclass(frozen=True)
class EventFact:
    id: str
    kind: str
    severity: str
    source_ref: str
    occurred_at: datetime


@dataclass(frozen=True)
class Record:
    """What the measures look at: the active entries and events, the stored grade and class."""

    uscc: str
    grade: str
    risk_class: str | None
    entries: tuple[EntryFact, ...]
    events: tuple[EventFact, ...]


# The batch answer's `use` option asks this for many codes at once; the app wires the implementation
# (it reads features above the partners' batch, which therefore never imports them).
MeasuresProvider = Callable[
    [AsyncSession, Sequence[str], str, datetime], Awaitable[dict[str, list[AppliedMeasure]]]
]


def _basis(measure: Measure) -> LegalBasis:
    return LegalBasis(
        title=measure.source.title,
        quote=measure.source.quote,
        status=measure.status,  # type: ignore[arg-type]
        text_available=not measure.source.missing and bool(measure.source.quote),
    )


def _facts(measure: Measure, record: Record, now: datetime) -> tuple[list[Fact], datetime | None] | None:
    (condition, value), *_ = measure.when.items()
    if condition == "list":
        entries = [e for e in record.entries if e.kind == value]
        if not entries:
            return None
        ends = [e.until for e in entries]
        until = None if any(u is None for u in ends) else max(u for u in ends if u is not None)
        facts = [
            Fact(type="list_entry", id=e.id, value=e.kind, reference=e.decision_no, date=e.listed_at)
            for e in entries
        ]
        return facts, until
    if condition == "grade_in":
        return ([Fact(type="grade", value=record.grade)], None) if record.grade in value else None
    if condition == "risk_class_in":
        if record.risk_class not in value:
            return None
        return [Fact(type="risk_class", value=record.risk_class)], None
    if condition == "severe_events_within_years":
        window = _YEAR * int(value)
        events = [e for e in record.events if e.severity == "severe" and e.occurred_at > now - window]
        if not events:
            return None
        facts = [
            Fact(type="credit_event", id=e.id, value=e.kind, reference=e.source_ref, date=e.occurred_at)
            for e in events
        ]
        return facts, max(e.occurred_at for e in events) + window
    raise ValueError(f"unknown condition {condition}")


def applicable(catalogue: Catalogue, *, use: str, record: Record, now: datetime) -> list[AppliedMeasure]:
    applied = []
    for measure in catalogue.for_use(use):
        found = _facts(measure, record, now)
        if found is None:
            continue
        facts, until = found
        applied.append(
            AppliedMeasure(
                id=measure.id,
                effect=measure.effect,
                text_zh=measure.zh,
                text_en=measure.en,
                legal_basis=_basis(measure),
                facts=facts,
                until=until,
            )
        )
    return applied
