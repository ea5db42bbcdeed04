"""Bulk load of items (the codes members notified, 第十三条): all rows or none, the publishing rules applied.

One item a row: gtin, uscc, name, and optionally brand, category and standards (numbers separated by
";"). CSV or JSON Lines, read by the enterprise import's reader. Each row obeys what
`POST /v1/enterprises/{uscc}/products` obeys: a valid GTIN outside the restricted and coupon ranges, a
registered enterprise, and, when a registered prefix covers the GTIN, that prefix held by this
enterprise and not cancelled (第十九条, 第二十八条). An item already there for the same enterprise is
skipped, so re-running a file is safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import gtin as gtin_rules
from services.common import uscc as uscc_rules
from services.common.db import lock_keys
from services.common.text import clean_line
from services.registry.enterprises.models import Enterprise
from services.registry.imports import reader
from services.registry.imports.reader import BadRow
from services.registry.products.models import CompanyPrefix, Product
from services.registry.products.prefix_import import ACTOR, STEP, Loaded

REQUIRED = ("gtin", "uscc", "name")


@dataclass(frozen=True)
class ItemRow:
    line: int
    gtin: str
    uscc: str
    name: str
    brand: str | None
    category: str | None
    standards: list[str]


def _text(record: dict[str, Any], field: str, limit: int) -> str | None:
    value = record.get(field)
    if value in (None, ""):
        return None
    text = clean_line(str(value))
    if len(text) > limit:
        raise ValueError(f"{field} is longer than {limit} characters")
    return text


def _row(line: int, record: dict[str, Any]) -> ItemRow:
    try:
        code = gtin_rules.validate(str(record.get("gtin") or ""))
    except gtin_rules.GtinError as exc:
        raise ValueError(f"gtin {record.get('gtin')!r}: {exc.message}") from exc
    special = gtin_rules.special_range(code)
    if special is not None:
        raise ValueError(f"gtin {code} is a {special.en}, not a trade item")
    try:
        uscc = uscc_rules.validate(str(record.get("uscc") or ""))
    except uscc_rules.UsccError as exc:
        raise ValueError(f"uscc {record.get('uscc')!r}: {exc.message}") from exc
    name = _text(record, "name", 200)
    if name is None:
        raise ValueError("name is missing")
    raw = record.get("standards") or []
    standards = [s.strip() for s in (raw.split(";") if isinstance(raw, str) else raw) if str(s).strip()]
    return ItemRow(
        line, code, uscc, name, _text(record, "brand", 100), _text(record, "category", 64), standards
    )


def prepare(path: Path) -> tuple[list[ItemRow], list[BadRow]]:
    rows: list[ItemRow] = []
    bad: list[BadRow] = []
    for line, raw in reader.raw_records(path, REQUIRED):
        try:
            rows.append(_row(line, reader.decode(raw)))
        except ValueError as exc:
            bad.append(BadRow(line, str(exc)))
    seen: dict[str, int] = {}
    for row in rows:
        key = gtin_rules.as_gtin14(row.gtin)
        if key in seen:
            bad.append(BadRow(row.line, f"gtin {row.gtin} repeats line {seen[key]}"))
        seen.setdefault(key, row.line)
    return rows, sorted(bad, key=lambda b: b.line)


async def _lookup(conn: AsyncConnection, statement: Any, column: Any, values: list[str]) -> list[Any]:
    found: list[Any] = []
    for start in range(0, len(values), STEP):
        found.extend((await conn.execute(statement.where(column.in_(values[start : start + STEP])))).all())
    return found


async def load(conn: AsyncConnection, rows: list[ItemRow], *, now: datetime, progress: Any) -> Loaded:
    """Check the rows against the registry and write them; the caller rolls back when `bad` is set."""
    known = {
        r[0]
        for r in await _lookup(conn, select(Enterprise.uscc), Enterprise.uscc, sorted({r.uscc for r in rows}))
    }
    candidates = sorted({p for r in rows for p in gtin_rules.candidate_prefixes(r.gtin)})
    prefixes = {
        r[0]: (r[1], r[2])
        for r in await _lookup(
            conn,
            select(CompanyPrefix.prefix, CompanyPrefix.uscc, CompanyPrefix.status),
            CompanyPrefix.prefix,
            candidates,
        )
    }
    keys = [gtin_rules.as_gtin14(r.gtin) for r in rows]
    for start in range(0, len(keys), STEP):  # one item per GTIN: lock the keys, then check (models.py)
        await lock_keys(conn, "product", keys[start : start + STEP])
    existing = {
        r[0]: r[1] for r in await _lookup(conn, select(Product.gtin14, Product.uscc), Product.gtin14, keys)
    }
    bad: list[BadRow] = []
    fresh: list[dict[str, Any]] = []
    for row, key in zip(rows, keys, strict=True):
        holder = next((p for p in reversed(gtin_rules.candidate_prefixes(row.gtin)) if p in prefixes), None)
        if row.uscc not in known:
            bad.append(BadRow(row.line, f"uscc {row.uscc} is not a registered enterprise"))
        elif holder is not None and prefixes[holder][0] != row.uscc:
            bad.append(
                BadRow(
                    row.line, f"gtin {row.gtin} falls under prefix {holder}, held by {prefixes[holder][0]}"
                )
            )
        elif holder is not None and prefixes[holder][1] == "cancelled":
            bad.append(BadRow(row.line, f"gtin {row.gtin}: prefix {holder} is cancelled"))
        elif key in existing and existing[key] != row.uscc:
            bad.append(BadRow(row.line, f"gtin {row.gtin} is already published by {existing[key]}"))
        elif key not in existing:
            fresh.append(
                {
                    "uscc": row.uscc,
                    "gtin14": key,
                    "gtin": row.gtin,
                    "name": row.name,
                    "brand": row.brand,
                    "category": row.category,
                    "standards": row.standards,
                    "source": "import",
                    "created_at": now,
                    "created_by": ACTOR,
                    "updated_at": now,
                }
            )
    if bad:
        return Loaded(imported=0, skipped_existing=0, bad=bad)
    for start in range(0, len(fresh), STEP):
        await conn.execute(insert(Product), fresh[start : start + STEP])
        progress("product", min(start + STEP, len(fresh)), len(fresh))
    return Loaded(imported=len(fresh), skipped_existing=len(rows) - len(fresh), bad=[])
