"""Who reacts to which domain event, in the fixed order the unit of work runs them.

For each event, stage by stage (`events.unit_of_work.STAGES`):

1. **grading** — a credit event recorded or revoked, or a grade fallen due (an expiry, a new rules
   version): grade the enterprise again from its events; a change is announced as `GradeChanged`.
2. **red-list floor** — a grade change below the floor takes the enterprise off the red list (the
   one place this rule is applied; `lists.lifecycle.enforce_red_floor`); its removal is an event too.
3. **risk class** — after any change of grade, list status, enterprise or declaration, the stored
   risk class is recomputed (`supervision.classes.refresh`); a change is announced as an event.
4. **history** — the grade-change history row.
5. **audit** — one link in the enterprise's hash chain for every event (a spot-check draw, or a bulk
   import's summary, goes to the registry-wide chain).
6. **feed** — the change partners follow, for the kinds they can act on.

This module is wiring: it imports the features; no feature imports it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

import orjson
from sqlalchemy import bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.registry.credit import grading
from services.registry.credit.rulebook import RuleBook, load_rule_book
from services.registry.enterprises.models import Enterprise
from services.registry.events import unit_of_work
from services.registry.events.domain import (
    DeclarationFlagged,
    DeclarationPublished,
    DomainEvent,
    EnterpriseRegistered,
    EnterprisesImported,
    EnterpriseUpdated,
    EntryListed,
    EntryRemoved,
    EntryStepped,
    EventRecorded,
    EventRevoked,
    GradeChanged,
    GradeDue,
    ProductRecorded,
    RepairDecided,
    ReportIssued,
    SampleDrawn,
    SupervisionRecorded,
)
from services.registry.ledger import chain, feed
from services.registry.ledger.models import AuditEntry, Change
from services.registry.lists import lifecycle
from services.registry.settings import RegistrySettings
from services.registry.supervision import classes as risk_classes

IMPORT_BATCH = 5000


def _fields(event: DomainEvent, *skip: str) -> dict[str, Any]:
    return {k: v for k, v in asdict(event).items() if k not in {"uscc", "actor", "at", *skip}}


async def _locked(session: AsyncSession, uscc: str) -> Enterprise:
    """The enterprise row, from the identity map: whoever recorded the event locked and loaded it."""
    enterprise = await session.get(Enterprise, uscc)
    assert enterprise is not None, uscc
    return enterprise


def build_bus(book: RuleBook) -> unit_of_work.Bus:
    """The subscribers; each grades under the rules version in force when its event happened."""
    bus = unit_of_work.Bus()

    # 1. grading
    async def regrade(session: AsyncSession, event: EventRecorded | EventRevoked | GradeDue) -> None:
        if isinstance(event, GradeDue):
            cause, ref = event.cause, event.cause_ref
        else:
            cause = "event_recorded" if isinstance(event, EventRecorded) else "event_revoked"
            ref = event.event_id
        await grading.regrade(
            session,
            enterprise=await _locked(session, event.uscc),
            rules=book.in_force(event.at),
            now=event.at,
            review_by=book.next_change_after(event.at),
            cause=cause,
            cause_ref=ref,
            actor=event.actor,
        )

    for kind in (EventRecorded, EventRevoked, GradeDue):
        bus.subscribe("grading", kind, regrade)

    # 2. red-list floor
    async def red_floor(session: AsyncSession, event: GradeChanged) -> None:
        await lifecycle.enforce_red_floor(
            session,
            uscc=event.uscc,
            grade=event.new_grade,
            rules=book.in_force(event.at),
            now=event.at,
            actor=event.actor,
            cause=event.cause,
            cause_ref=event.cause_ref,
        )

    bus.subscribe("red_list_floor", GradeChanged, red_floor)

    # 3. risk class: grade, list status or declared products may have moved the class
    async def risk_class(session: AsyncSession, event: DomainEvent) -> None:
        if event.uscc is None:
            return
        grade = event.new_grade if isinstance(event, GradeChanged) else None
        await risk_classes.refresh(session, uscc=event.uscc, now=event.at, grade=grade, flush=False)

    for kind in (
        GradeChanged,
        EnterpriseRegistered,
        EnterpriseUpdated,
        EntryListed,
        EntryRemoved,
        EntryStepped,
        DeclarationPublished,
    ):
        bus.subscribe("risk_class", kind, risk_class)

    # 4. history
    async def history(session: AsyncSession, event: GradeChanged | EnterpriseRegistered) -> None:
        if isinstance(event, EnterpriseRegistered):
            event = GradeChanged(
                uscc=event.uscc,
                actor=event.actor,
                at=event.at,
                old_score=None,
                old_grade=None,
                new_score=event.score,
                new_grade=event.grade,
                rule_version=event.rule_version,
                cause="registered",
                cause_ref=None,
            )
        await grading.write_history(session, event)

    bus.subscribe("history", GradeChanged, history)
    bus.subscribe("history", EnterpriseRegistered, history)

    # 5. audit
    def audited(action: str, subject: Any, data: Any) -> unit_of_work.Handler:
        async def handler(session: AsyncSession, event: Any) -> None:
            await chain.append(
                session,
                actor=event.actor,
                action=action.format(e=event),
                uscc=event.uscc,
                subject=(subject(event) or None) and str(subject(event))[:64],
                data=data(event),
                now=event.at,
            )

        return handler

    audit = [
        (EnterpriseRegistered, "enterprise.registered", lambda e: e.uscc, lambda e: _registered(e)),
        (EnterpriseUpdated, "enterprise.updated", lambda e: e.uscc, lambda e: _updated(e)),
        (EventRecorded, "credit_event.recorded", lambda e: e.event_id, lambda e: e.details),
        (EventRevoked, "credit_event.revoked", lambda e: e.event_id, lambda e: {"reason": e.reason}),
        (GradeChanged, "grade.changed", lambda e: e.cause_ref, _fields),
        (EntryStepped, "list_entry.{e.action}", lambda e: e.entry_id, lambda e: e.details),
        (RepairDecided, "repair.{e.decision}", lambda e: e.application_id, _fields),
        (DeclarationPublished, "standard.{e.action}", lambda e: e.declaration_id, lambda e: e.details),
        (DeclarationFlagged, "standard.flagged", lambda e: e.declaration_id, lambda e: e.details),
        (SampleDrawn, "standard.sample_drawn", lambda e: e.sample_id, lambda e: e.details),
        (ProductRecorded, "{e.action}", lambda e: e.subject, lambda e: e.details),
        (SupervisionRecorded, "{e.action}", lambda e: e.subject, lambda e: e.details),
        (ReportIssued, "credit_report.issued", lambda e: e.number, lambda e: e.details),
    ]
    for kind, action, subject, data in audit:
        bus.subscribe("audit", kind, audited(action, subject, data))
    bus.subscribe("audit", EnterprisesImported, _audit_import)

    # 6. feed
    def fed(kind_of: Any, data: Any) -> unit_of_work.Handler:
        async def handler(session: AsyncSession, event: Any) -> None:
            feed.add(session, kind=kind_of(event), uscc=event.uscc, data=chain_data(data(event)), at=event.at)

        return handler

    bus.subscribe("feed", EnterpriseRegistered, fed(lambda e: "enterprise_created", _registered))
    bus.subscribe("feed", EnterpriseUpdated, fed(_update_kind, _updated))
    bus.subscribe("feed", GradeChanged, fed(lambda e: "grade_changed", _fields))
    bus.subscribe("feed", EntryListed, fed(lambda e: "listed", lambda e: e.details))
    bus.subscribe("feed", EntryRemoved, fed(lambda e: "delisted", lambda e: e.details))
    bus.subscribe("feed", DeclarationFlagged, fed(lambda e: "declaration_flagged", lambda e: e.details))
    bus.subscribe("feed", EnterprisesImported, _feed_import)

    async def supervision_feed(session: AsyncSession, event: SupervisionRecorded) -> None:
        if event.feed_kind is not None and event.uscc is not None:
            feed.add(
                session, kind=event.feed_kind, uscc=event.uscc, data=chain_data(event.details), at=event.at
            )

    bus.subscribe("feed", SupervisionRecorded, supervision_feed)
    return bus


def chain_data(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(chain.canonical(data))  # type: ignore[no-any-return]


def _registered(e: EnterpriseRegistered) -> dict[str, Any]:
    return {
        "name": e.name,
        "status": "active",
        "score": e.score,
        "grade": e.grade,
        "rule_version": e.rule_version,
        "check_override_reason": e.check_override_reason,
    }


def _updated(e: EnterpriseUpdated) -> dict[str, Any]:
    return {**e.changed, "name": e.name, "status": e.status}


def _update_kind(e: EnterpriseUpdated) -> str:
    return "enterprise_deregistered" if e.changed.get("status") == "deregistered" else "enterprise_updated"


def _imported(e: EnterprisesImported, code: str) -> dict[str, Any]:
    score, grade, version = e.grades[code]
    return {
        "name": e.names[code],
        "status": "active",
        "score": score,
        "grade": grade,
        "rule_version": version,
    }


async def _audit_import(session: AsyncSession, event: EnterprisesImported) -> None:
    """Each new enterprise's chain starts with its import; the registry chain records the load."""
    for start in range(0, len(event.codes), IMPORT_BATCH):
        rows, heads = [], []
        for code in event.codes[start : start + IMPORT_BATCH]:
            data = chain_data(_imported(event, code))
            digest = chain.entry_hash(
                chain=code,
                version=1,
                at=event.at,
                actor=event.actor,
                action="enterprise.imported",
                uscc=code,
                subject=code,
                data=data,
                prev_hash=chain.GENESIS,
            )
            rows.append(
                {
                    "chain": code,
                    "version": 1,
                    "at": event.at,
                    "actor": event.actor,
                    "action": "enterprise.imported",
                    "uscc": code,
                    "subject": code,
                    "data": data,
                    "prev_hash": chain.GENESIS,
                    "hash": digest,
                }
            )
            heads.append({"code": code, "head": digest})
        await _bulk_insert(session, AuditEntry, rows)
        await _set_heads(session, heads)
    await chain.append(
        session,
        actor=event.actor,
        action="enterprises.imported",
        uscc=None,
        subject=None,
        data={
            "source": event.source,
            "enterprises": len(event.codes),
            "events": event.events,
            "codes_sha256": hashlib.sha256("\n".join(sorted(event.codes)).encode()).hexdigest(),
        },
        now=event.at,
    )


async def _feed_import(session: AsyncSession, event: EnterprisesImported) -> None:
    for start in range(0, len(event.codes), IMPORT_BATCH):
        rows = [
            {
                "kind": "enterprise_created",
                "uscc": code,
                "data": chain_data(_imported(event, code)),
                "at": event.at,
            }
            for code in event.codes[start : start + IMPORT_BATCH]
        ]
        await _bulk_insert(session, Change, rows)


async def _driver(session: AsyncSession) -> Any:
    """The asyncpg connection under the session's (for COPY, on PostgreSQL)."""
    return (await (await session.connection()).get_raw_connection()).driver_connection


async def _bulk_insert(session: AsyncSession, model: Any, rows: list[dict[str, Any]]) -> None:
    """An import's rows (one per enterprise): COPY on PostgreSQL, one executemany elsewhere."""
    if not rows:
        return
    if session.bind.dialect.name != "postgresql":
        await session.execute(insert(model), rows)
        return
    columns = list(rows[0])
    records = [tuple(orjson.dumps(r[c]).decode() if c == "data" else r[c] for c in columns) for r in rows]
    await (await _driver(session)).copy_records_to_table(
        model.__tablename__, records=records, columns=columns
    )


async def _set_heads(session: AsyncSession, heads: list[dict[str, str]]) -> None:
    """Each imported enterprise's chain: version 1 and its head, in one statement on PostgreSQL."""
    if session.bind.dialect.name != "postgresql":
        await session.execute(
            update(Enterprise.__table__)  # type: ignore[arg-type]
            .where(Enterprise.__table__.c.uscc == bindparam("code"))
            .values(version=1, chain_head=bindparam("head")),
            heads,
        )
        return
    await (await _driver(session)).execute(
        "UPDATE enterprise SET version = 1, chain_head = t.head "
        "FROM unnest($1::text[], $2::text[]) AS t(code, head) WHERE enterprise.uscc = t.code",
        [h["code"] for h in heads],
        [h["head"] for h in heads],
    )


def sessions(engine: AsyncEngine, settings: RegistrySettings) -> async_sessionmaker[AsyncSession]:
    """Unit-of-work sessions with the subscribers wired, for commands that run outside the app."""
    return unit_of_work.session_factory(engine, build_bus(load_rule_book(settings.rules_file)))
