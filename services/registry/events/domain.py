"""What happened, as the features announce it: plain facts, no behaviour.

A feature records one of these on the request's unit of work instead of calling the ledger or a
feature above it; the subscribers (`services/registry/subscribers.py`) decide what follows. Every
event names the enterprise it concerns (`uscc`, or None for a registry-wide fact such as a
spot-check draw), who did it and when.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    uscc: str | None
    actor: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class EnterpriseRegistered(DomainEvent):
    uscc: str
    name: str
    score: int
    grade: str
    rule_version: str
    check_override_reason: str | None


@dataclass(frozen=True, kw_only=True)
class EnterpriseUpdated(DomainEvent):
    uscc: str
    changed: dict[str, Any]
    name: str
    status: str


@dataclass(frozen=True, kw_only=True)
class EnterprisesImported(DomainEvent):
    """A bulk load: each new enterprise is audited and announced, plus one registry-wide summary."""

    codes: tuple[str, ...]
    grades: dict[str, tuple[int, str, str]]  # uscc → (score, grade, rule_version)
    names: dict[str, str]
    source: str
    events: int


@dataclass(frozen=True, kw_only=True)
class EventRecorded(DomainEvent):
    uscc: str
    event_id: str
    details: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class EventRevoked(DomainEvent):
    uscc: str
    event_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class GradeDue(DomainEvent):
    """Time did it: an event expired or a rules version took effect; grade again from the events."""

    uscc: str
    cause: str
    cause_ref: str | None


@dataclass(frozen=True, kw_only=True)
class GradeChanged(DomainEvent):
    uscc: str
    old_score: int | None
    old_grade: str | None
    new_score: int
    new_grade: str
    rule_version: str
    cause: str
    cause_ref: str | None


@dataclass(frozen=True, kw_only=True)
class EntryStepped(DomainEvent):
    """A list entry took a step of its state machine (proposed, notice served, …)."""

    uscc: str
    entry_id: str
    action: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class EntryListed(EntryStepped):
    """The entry entered the public list."""


@dataclass(frozen=True, kw_only=True)
class EntryRemoved(EntryStepped):
    """The entry left the public list (expired, repaired, revoked, withdrawn)."""


@dataclass(frozen=True, kw_only=True)
class RepairDecided(DomainEvent):
    uscc: str
    application_id: str
    entry_id: str
    decision: str
    reasons: str | None


@dataclass(frozen=True, kw_only=True)
class DeclarationPublished(DomainEvent):
    uscc: str
    declaration_id: str
    action: str  # published | revised | withdrawn
    details: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class DeclarationFlagged(DomainEvent):
    uscc: str
    declaration_id: str
    details: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class SampleDrawn(DomainEvent):
    uscc: None = None
    sample_id: str
    details: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class ProductRecorded(DomainEvent):
    """A company prefix registered, renewed or cancelled, or a product published (audit only)."""

    uscc: str
    action: str
    subject: str
    details: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class SupervisionRecorded(DomainEvent):
    """A supervision fact: a plan approved or drawn, an inspection passed, a risk class changed, a
    consumer notice published. Audited; announced on the feed when `feed_kind` names a kind."""

    action: str
    subject: str
    details: dict[str, Any]
    feed_kind: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReportIssued(DomainEvent):
    """A credit report issued (audited; the report itself is kept by the reports feature)."""

    uscc: str
    number: str
    details: dict[str, Any]
