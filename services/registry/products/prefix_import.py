"""Bulk load of the published member list (系统成员及其厂商识别代码): all rows or none.

第十一条 "全国商品条码工作技术机构应当定期公告系统成员及其注册的厂商识别代码。" and 第二十九条
"……定期公告已被注销系统成员资格的企业名称及其厂商识别代码。": the file is that list, one prefix a row:
prefix, uscc, registered_on, and optionally valid_until (default: two years on, 第二十四条), status
(valid | expired | cancelled) and cancelled_on. CSV (header row) or JSON Lines, read by the same reader
as the enterprise import. Every bad row is reported with its line; nothing is written if any is bad.
A prefix already registered to the same enterprise is skipped, so a re-run of the same file is safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import uscc as uscc_rules
from services.common.db import lock_keys
from services.registry.enterprises.models import Enterprise
from services.registry.imports import reader
from services.registry.imports.reader import BadRow
from services.registry.products.models import CompanyPrefix
from services.registry.products.service import VALIDITY_YEARS, plus_years, today

REQUIRED = ("prefix", "uscc", "registered_on")
STATUSES = ("valid", "expired", "cancelled")
STEP = 5_000
ACTOR = "import:cli"


@dataclass(frozen=True)
class PrefixRow:
    line: int
    prefix: str
    uscc: str
    registered_on: date
    valid_until: date
    status: str
    cancelled_on: date | None


@dataclass
class Prepared:
    rows: list[PrefixRow]
    bad: list[BadRow]


@dataclass(frozen=True)
class Loaded:
    imported: int
    skipped_existing: int
    bad: list[BadRow]


def _date(record: dict[str, Any], field: str) -> date | None:
    value = record.get(field)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValueError(f"{field} {value!r} is not a date (YYYY-MM-DD)") from exc


def _row(line: int, record: dict[str, Any], on: date) -> PrefixRow:
    prefix = str(record.get("prefix") or "").strip()
    if not (prefix.isascii() and prefix.isdigit() and 4 <= len(prefix) <= 12):
        raise ValueError(f"prefix {prefix!r}: a company prefix is 4 to 12 digits")
    raw_code = record.get("uscc")
    if not isinstance(raw_code, str) or not raw_code.strip():
        raise ValueError("uscc is missing")
    try:
        code = uscc_rules.validate(raw_code)
    except uscc_rules.UsccError as exc:
        raise ValueError(f"uscc {raw_code!r}: {exc.message}") from exc
    registered_on = _date(record, "registered_on")
    if registered_on is None:
        raise ValueError("registered_on is missing")
    valid_until = _date(record, "valid_until") or plus_years(registered_on, VALIDITY_YEARS)
    if valid_until <= registered_on:
        raise ValueError("valid_until must be after registered_on")
    status = str(record.get("status") or "valid").strip().lower()
    if status not in STATUSES:
        raise ValueError(f"status {status!r}: one of {', '.join(STATUSES)}")
    if status == "expired" and valid_until >= on:
        raise ValueError(f"status expired, but valid_until {valid_until.isoformat()} has not passed")
    cancelled_on = _date(record, "cancelled_on")
    if cancelled_on is not None and status != "cancelled":
        raise ValueError("cancelled_on given for a prefix that is not cancelled")
    # expired is not stored: it is read from valid_until, so a later renewal needs no status change.
    stored = "cancelled" if status == "cancelled" else "valid"
    return PrefixRow(line, prefix, code, registered_on, valid_until, stored, cancelled_on)


def prepare(path: Path, *, now: datetime) -> Prepared:
    """Every row checked on its own, then repeats across the file."""
    on = today(now)
    rows: list[PrefixRow] = []
    bad: list[BadRow] = []
    for line, raw in reader.raw_records(path, REQUIRED):
        try:
            rows.append(_row(line, reader.decode(raw), on))
        except ValueError as exc:
            bad.append(BadRow(line, str(exc)))
    seen: dict[str, int] = {}
    for row in rows:
        if row.prefix in seen:
            bad.append(BadRow(row.line, f"prefix {row.prefix} repeats line {seen[row.prefix]}"))
        seen.setdefault(row.prefix, row.line)
    bad.sort(key=lambda b: b.line)
    return Prepared(rows=rows, bad=bad)


async def load(conn: AsyncConnection, prepared: Prepared, *, now: datetime, progress: Any) -> Loaded:
    """Check the rows against the registry and write them; the caller rolls back when `bad` is set."""
    codes = sorted({r.uscc for r in prepared.rows})
    known: set[str] = set()
    for start in range(0, len(codes), STEP):
        chunk = codes[start : start + STEP]
        known.update(
            (await conn.execute(select(Enterprise.uscc).where(Enterprise.uscc.in_(chunk)))).scalars()
        )
    prefixes = [r.prefix for r in prepared.rows]
    holders: dict[str, str] = {}
    for start in range(0, len(prefixes), STEP):
        chunk = prefixes[start : start + STEP]
        await lock_keys(conn, "company_prefix", chunk)  # one holder per prefix: lock, then check
        found = await conn.execute(
            select(CompanyPrefix.prefix, CompanyPrefix.uscc).where(CompanyPrefix.prefix.in_(chunk))
        )
        holders.update({str(p): str(u) for p, u in found.all()})
    bad: list[BadRow] = []
    fresh: list[dict[str, Any]] = []
    for row in prepared.rows:
        if row.uscc not in known:
            bad.append(BadRow(row.line, f"uscc {row.uscc} is not a registered enterprise"))
        elif row.prefix in holders and holders[row.prefix] != row.uscc:
            bad.append(
                BadRow(row.line, f"prefix {row.prefix} is already registered to {holders[row.prefix]}")
            )
        elif row.prefix not in holders:
            fresh.append(
                {
                    "uscc": row.uscc,
                    "prefix": row.prefix,
                    "registered_on": row.registered_on,
                    "valid_until": row.valid_until,
                    "status": row.status,
                    "cancelled_on": row.cancelled_on,
                    "cancel_reason": None,
                    "created_at": now,
                    "created_by": ACTOR,
                    "updated_at": now,
                }
            )
    if bad:
        return Loaded(imported=0, skipped_existing=0, bad=bad)
    for start in range(0, len(fresh), STEP):
        await conn.execute(insert(CompanyPrefix), fresh[start : start + STEP])
        progress("company_prefix", min(start + STEP, len(fresh)), len(fresh))
    return Loaded(imported=len(fresh), skipped_existing=len(prepared.rows) - len(fresh), bad=[])
