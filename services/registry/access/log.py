"""The access log: every partner lookup with its purpose, queryable by partner and by code."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated
from urllib.parse import unquote

from fastapi import Header
from sqlalchemy import ColumnElement, String, exists, func, literal, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.errors import Unprocessable
from services.common.roles import Role
from services.common.text import clean_line
from services.registry.access.models import AccessLog

PurposeHeader = Annotated[
    str | None,
    Header(
        alias="X-Purpose",
        max_length=200,
        description="why a partner looks this up, e.g. a procurement case number (required for partners)",
    ),
]


def require_purpose(principal: Principal | None, purpose: str | None) -> str | None:
    """Partners must say why; others may."""
    if principal is not None and principal.role is Role.partner and not (purpose and purpose.strip()):
        raise Unprocessable(
            "X-Purpose: partners must state the purpose of a lookup (e.g. a case number)",
            errors=[{"field": "X-Purpose", "in": "header", "message": "required for partners"}],
        )
    if not purpose:
        return None
    # Headers are Latin-1: a purpose in Chinese arrives percent-encoded UTF-8. What it decodes to is
    # checked like any one-line text (a `%00` would otherwise reach the database as a NUL).
    try:
        return clean_line(unquote(purpose))
    except ValueError as exc:
        raise Unprocessable(
            f"X-Purpose: {exc}", errors=[{"field": "X-Purpose", "in": "header", "message": str(exc)}]
        ) from exc


async def log_lookup(
    session: AsyncSession,
    *,
    principal: Principal | None,
    lookup: str,
    purpose: str | None,
    codes: Sequence[str],
    now: datetime,
) -> None:
    if principal is None or principal.role is not Role.partner:
        return
    unique = sorted(set(codes))
    session.add(
        AccessLog(
            at=now,
            partner=principal.subject,
            lookup=lookup,
            purpose=purpose or "",
            usccs=unique,
            code_count=len(unique),
        )
    )
    await session.flush()


async def search(
    session: AsyncSession, *, partner: str | None, uscc: str | None, before: int | None, limit: int
) -> Sequence[AccessLog]:
    statement = select(AccessLog).order_by(AccessLog.id.desc()).limit(limit)
    if partner:
        statement = statement.where(AccessLog.partner == partner)
    if uscc:
        statement = statement.where(looked_at(session, uscc))
    if before is not None:
        statement = statement.where(AccessLog.id < before)
    return (await session.execute(statement)).scalars().all()


def looked_at(session: AsyncSession, uscc: str) -> ColumnElement[bool]:
    """The lookups whose codes include `uscc`: the GIN index on PostgreSQL, json_each on SQLite."""
    if session.bind.dialect.name == "postgresql":
        codes = type_coerce(AccessLog.usccs, ARRAY(String(18)))
        return codes.contains(array([literal(uscc, String(18))]))  # usccs @> ARRAY[code]
    codes = func.json_each(AccessLog.usccs).table_valued("value")
    return exists(select(1).select_from(codes).where(codes.c.value == uscc))
