"""Bulk import: all rows or none, new enterprises only (re-runs skip what is there), graded on load.

The file is validated and graded first (nothing is written if any row is bad), then written in one
transaction: PostgreSQL by COPY, SQLite by batched inserts.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.registry.credit.models import CreditEvent, GradeChange
from services.registry.credit.rulebook import load_rule_book
from services.registry.credit.rules import EventFacts, assess
from services.registry.enterprises.divisions import describe
from services.registry.enterprises.models import Enterprise
from services.registry.events import unit_of_work
from services.registry.events.domain import EnterprisesImported
from services.registry.events.unit_of_work import Bus
from services.registry.imports import reader
from services.registry.imports.reader import BadRow

IMPORT_ISSUER = "qcr-import/cli"
CHUNK_ROWS = 20_000

ENTERPRISE_COLUMNS = [c.name for c in Enterprise.__table__.columns]
_COLUMN = {name: i for i, name in enumerate(ENTERPRISE_COLUMNS)}
EVENT_COLUMNS = [c.name for c in CreditEvent.__table__.columns]
CHANGE_COLUMNS = [c.name for c in GradeChange.__table__.columns if c.name != "id"]

Progress = Callable[[str, int, int], None]


@dataclass
class Prepared:
    """Rows ready to write, in column order; the explanation JSON already encoded."""

    keys: list[tuple[int, str, list[str]]] = field(default_factory=list)  # line, uscc, source_refs
    bad: list[BadRow] = field(default_factory=list)
    enterprises: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    changes: list[tuple[Any, ...]] = field(default_factory=list)

    def extend(self, other: Prepared) -> None:
        for name in ("keys", "bad", "enterprises", "events", "changes"):
            getattr(self, name).extend(getattr(other, name))


@dataclass(frozen=True)
class ImportResult:
    enterprises: int
    events: int
    skipped_existing: int


def prepare_chunk(chunk: list[tuple[int, Any]], rules_file: Path, now: datetime, actor: str) -> Prepared:
    """Validate and grade one chunk of records."""
    rules = load_rule_book(rules_file).in_force(now)  # the version in force at the import
    rows, bad = reader.validate(chunk, rules=rules, now=now)
    out = Prepared(bad=bad)
    ids = _event_ids(sum(len(r.events) for r in rows))
    for row in rows:
        facts = describe(row.uscc)
        graded = []
        for e in row.events:
            event_id = next(ids)
            graded.append(
                EventFacts(
                    event_id,
                    e.kind,
                    e.severity,
                    e.authority,
                    e.source_ref,
                    e.occurred_at,
                    e.expires_at,
                    False,
                )
            )
            out.events.append(
                (
                    event_id,
                    row.uscc,
                    e.kind,
                    e.severity,
                    e.authority,
                    e.source_ref,
                    IMPORT_ISSUER,
                    e.summary,
                    e.occurred_at,
                    e.expires_at,
                    now,
                    actor,
                    None,
                    None,
                    None,
                    e.gtin,
                    e.batch,
                    e.test_report_no,
                    e.product_name,
                )
            )
        grade = assess(graded, rules, now)
        out.enterprises.append(
            (
                row.uscc,
                row.name,
                facts.division,
                facts.registration_authority,
                facts.entity_type,
                row.address,
                "active",
                None,
                grade.score,
                grade.grade,
                grade.rule_version,
                orjson.dumps(grade.explanation).decode(),
                now,
                grade.next_review_at,
                now,
                actor,
                now,
                0,  # version: the audit subscriber starts the chain with the import
                "0" * 64,
            )
        )
        out.changes.append(
            (row.uscc, None, None, grade.score, grade.grade, grade.rule_version, "imported", None, now, actor)
        )
        out.keys.append((row.line, row.uscc, [e.source_ref for e in row.events]))
    return out


def _event_ids(n: int) -> Iterator[str]:
    """n random (version 4) UUIDs as text, from one read of the system's random source: uuid4()
    per event reads it once each and builds an object that is only turned into text again."""
    digits = os.urandom(16 * n).hex()
    for i in range(0, 32 * n, 32):
        d = digits[i : i + 32]
        yield f"{d[:8]}-{d[8:12]}-4{d[13:16]}-{_VARIANT[d[16]]}{d[17:20]}-{d[20:]}"


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def _chunks(path: Path) -> Iterator[list[tuple[int, Any]]]:
    records = reader.raw_records(path)
    while chunk := list(islice(records, CHUNK_ROWS)):
        yield chunk


def prepare(path: Path, *, rules_file: Path, now: datetime, actor: str, progress: Progress) -> Prepared:
    """The whole file, validated and graded; repeats across the file reported as bad rows."""
    result = Prepared()
    done = 0
    for chunk in _chunks(path):
        result.extend(prepare_chunk(chunk, rules_file, now, actor))
        done += len(chunk)
        progress("validated", done, done)
    result.bad.extend(_repeats(result.keys))
    result.bad.sort(key=lambda b: b.line)
    return result


def _repeats(keys: list[tuple[int, str, list[str]]]) -> list[BadRow]:
    bad: list[BadRow] = []
    seen_codes: dict[str, int] = {}
    seen_refs: dict[str, int] = {}
    for line, code, refs in keys:
        if code in seen_codes:
            bad.append(BadRow(line, f"uscc {code} repeats line {seen_codes[code]}"))
        seen_codes.setdefault(code, line)
        for ref in refs:
            if ref in seen_refs:
                bad.append(BadRow(line, f"source_ref {ref!r} repeats line {seen_refs[ref]}"))
            seen_refs.setdefault(ref, line)
    return bad


async def _existing(conn: AsyncConnection, codes: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(codes), 5000):
        rows = await conn.execute(
            select(Enterprise.uscc).where(Enterprise.uscc.in_(codes[start : start + 5000]))
        )
        found.update(rows.scalars())
    return found


async def _copy(
    conn: AsyncConnection, table: str, columns: list[str], rows: list[tuple[Any, ...]], progress: Progress
) -> None:
    raw = (await conn.get_raw_connection()).driver_connection
    step = 100_000
    for start in range(0, len(rows), step):
        await raw.copy_records_to_table(table, records=rows[start : start + step], columns=columns)
        progress(table, min(start + step, len(rows)), len(rows))


async def _insert(
    conn: AsyncConnection, table: Any, columns: list[str], rows: list[tuple[Any, ...]], progress: Progress
) -> None:
    decode = "explanation" in columns
    ids = table.name == CreditEvent.__tablename__  # event ids travel as text (COPY takes them so)
    step = 5_000
    for start in range(0, len(rows), step):
        batch = [dict(zip(columns, r, strict=True)) for r in rows[start : start + step]]
        if decode:
            for record in batch:
                record["explanation"] = json.loads(record["explanation"])
        if ids:
            for record in batch:
                record["id"] = uuid.UUID(record["id"])
        await conn.execute(insert(table), batch)
        progress(table.name, min(start + step, len(rows)), len(rows))


_LOADED_TABLES = ("enterprise", "credit_event", "grade_change")


async def _defer_indexes(conn: AsyncConnection) -> list[str]:
    """On an initial load into PostgreSQL (no enterprise yet), drop the loaded tables' secondary
    indexes and return their definitions, to be built once after the data: building an index over
    a million rows is much cheaper than maintaining it a row at a time (the name's trigram index
    above all). Unique and primary-key indexes stay (they are constraints). It all happens in the
    import's transaction, so a failed load leaves the indexes as they were."""
    if conn.dialect.name != "postgresql":
        return []
    if (await conn.execute(text("SELECT EXISTS (SELECT 1 FROM enterprise)"))).scalar():
        return []
    rows = (
        await conn.execute(
            text(
                "SELECT c.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                "JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                "WHERE t.relname = ANY(:tables) AND t.relnamespace = current_schema()::regnamespace "
                "AND NOT x.indisunique AND NOT x.indisprimary"
            ),
            {"tables": list(_LOADED_TABLES)},
        )
    ).all()
    for name, _definition in rows:
        await conn.execute(text(f'DROP INDEX "{name}"'))
    return [definition for _name, definition in rows]


async def load(
    conn: AsyncConnection, prepared: Prepared, *, progress: Progress, bus: Bus, source: str, actor: str
) -> ImportResult:
    """Write the enterprises not registered yet, with their events; the caller owns the transaction.

    The load is announced as `EnterprisesImported` on a unit of work over the same connection, so each
    new enterprise's audit chain starts and partners hear of it, in the import's transaction.
    """
    existing = await _existing(conn, [k[1] for k in prepared.keys])
    keep = [k[1] not in existing for k in prepared.keys]
    enterprises = [r for r, k in zip(prepared.enterprises, keep, strict=True) if k]
    changes = [r for r, k in zip(prepared.changes, keep, strict=True) if k]
    events = [r for r in prepared.events if r[1] not in existing] if existing else prepared.events
    deferred = await _defer_indexes(conn) if enterprises else []
    targets = [
        (Enterprise.__table__, ENTERPRISE_COLUMNS, enterprises),
        (CreditEvent.__table__, EVENT_COLUMNS, events),
        (GradeChange.__table__, CHANGE_COLUMNS, changes),
    ]
    for table, columns, rows in targets:
        if not rows:
            continue
        if conn.dialect.name == "postgresql":
            await _copy(conn, table.name, columns, rows, progress)
        else:
            await _insert(conn, table, columns, rows, progress)
    if enterprises:
        uow = unit_of_work.bind_unit_of_work(conn, bus)
        unit_of_work.record(
            uow,
            EnterprisesImported(
                uscc=None,
                actor=actor,
                at=enterprises[0][_COLUMN["created_at"]],
                codes=tuple(r[0] for r in enterprises),
                grades={
                    r[0]: (r[_COLUMN["score"]], r[_COLUMN["grade"]], r[_COLUMN["rule_version"]])
                    for r in enterprises
                },
                names={r[0]: r[_COLUMN["name"]] for r in enterprises},
                source=source,
                events=len(events),
            ),
        )
        await unit_of_work.publish(uow)
        progress("audit and feed", len(enterprises), len(enterprises))
    if deferred:
        await conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        for done, definition in enumerate(deferred, start=1):
            await conn.execute(text(definition))
            progress("indexes", done, len(deferred))
    return ImportResult(enterprises=len(enterprises), events=len(events), skipped_existing=len(existing))
