"""Enterprise rules: registration with the code checks, updates, search."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import uscc as uscc_rules
from services.common.auth import Principal
from services.common.db import insert_ignoring_conflicts
from services.common.errors import Conflict, NotFound, Unprocessable
from services.common.text import search_text
from services.registry.enterprises.divisions import describe
from services.registry.enterprises.models import Enterprise
from services.registry.enterprises.schemas import EnterpriseCreate, EnterpriseUpdate
from services.registry.events import unit_of_work as events
from services.registry.events.domain import EnterpriseRegistered, EnterpriseUpdated


class InitialGrade(Protocol):
    """The grade of an enterprise with no events, under the rules in force (credit computes it)."""

    score: int
    grade: str
    rule_version: str
    explanation: list[dict[str, Any]]


def _check_code(code: str, *, override: bool) -> None:
    if override:
        return
    try:
        uscc_rules.check_digits(code)
    except uscc_rules.UsccError as exc:
        raise Unprocessable(
            f"uscc: {exc.message}",
            errors=[{"field": "uscc", "in": "body", "rule": exc.rule, "message": exc.message}],
        ) from exc


async def register(
    session: AsyncSession,
    *,
    data: EnterpriseCreate,
    actor: Principal,
    initial: InitialGrade,
    now: datetime,
) -> Enterprise:
    _check_code(data.uscc, override=data.check_override is not None)
    facts = describe(data.uscc)
    assessment = initial
    values = {
        "uscc": data.uscc,
        "name": data.name,
        "address": data.address,
        "division": facts.division,
        "registration_authority": facts.registration_authority,
        "entity_type": facts.entity_type,
        "status": "active",
        "check_override_reason": data.check_override.reason if data.check_override else None,
        "score": assessment.score,
        "grade": assessment.grade,
        "rule_version": assessment.rule_version,
        "explanation": assessment.explanation,
        "graded_at": now,
        "regrade_due_at": None,
        "version": 0,
        "chain_head": "0" * 64,
        "created_at": now,
        "created_by": actor.actor,
        "updated_at": now,
    }
    statement = insert_ignoring_conflicts(session, Enterprise, ["uscc"]).values(**values)
    result = await session.execute(statement.returning(Enterprise.uscc))
    if result.scalar_one_or_none() is None:
        raise Conflict(f"enterprise {data.uscc} is already registered", uscc=data.uscc)
    events.record(
        session,
        EnterpriseRegistered(
            uscc=data.uscc,
            actor=actor.actor,
            at=now,
            name=data.name,
            score=assessment.score,
            grade=assessment.grade,
            rule_version=assessment.rule_version,
            check_override_reason=values["check_override_reason"],
        ),
    )
    enterprise = await session.get(Enterprise, data.uscc)
    assert enterprise is not None
    return enterprise


_BY_CODE = select(Enterprise).where(Enterprise.uscc == bindparam("code"))  # built once (a hot path)
_LOCK_BY_CODE = _BY_CODE.with_for_update()


async def get(session: AsyncSession, code: str, *, for_update: bool = False) -> Enterprise:
    statement = _LOCK_BY_CODE if for_update else _BY_CODE
    enterprise = (await session.execute(statement, {"code": code})).scalar_one_or_none()
    if enterprise is None:
        raise NotFound(f"no enterprise with code {code}", uscc=code)
    if for_update:
        events.row_locks(session).add(code)
        events.hold(session, enterprise, code)  # the subscribers use it again: no second read
    return enterprise


async def claim(session: AsyncSession, condition: ColumnElement[bool], *, batch: int) -> list[Enterprise]:
    """Up to `batch` enterprises meeting `condition`, each row-locked; rows another transaction holds
    are skipped (SKIP LOCKED), so several sweepers never wait for each other or for an API write.

    The candidates are read first, then locked one by one by their code: a lock is taken on one
    shard when the table is distributed by uscc (Citus locks rows only in single-shard queries).
    """
    candidates = (
        await session.execute(select(Enterprise.uscc).where(condition).order_by(Enterprise.uscc).limit(batch))
    ).scalars()
    claimed = []
    for code in list(candidates):
        locked = (
            select(Enterprise)
            .where(Enterprise.uscc == code, condition)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        if (enterprise := (await session.execute(locked)).scalar_one_or_none()) is not None:
            claimed.append(enterprise)
    events.row_locks(session).update(e.uscc for e in claimed)
    for enterprise in claimed:
        events.hold(session, enterprise, enterprise.uscc)
    return claimed


async def update(
    session: AsyncSession, *, enterprise: Enterprise, data: EnterpriseUpdate, actor: Principal, now: datetime
) -> Enterprise:
    changes = data.model_dump(exclude_unset=True)
    for field in ("name", "status"):
        if field in changes and changes[field] is None:
            raise Unprocessable(
                f"{field} cannot be null",
                errors=[{"field": field, "in": "body", "message": "cannot be null"}],
            )
    changed = {f: v for f, v in changes.items() if getattr(enterprise, f) != v}
    for field, value in changed.items():
        setattr(enterprise, field, value)
    enterprise.updated_at = now
    await session.flush()
    if changed:
        events.record(
            session,
            EnterpriseUpdated(
                uscc=enterprise.uscc,
                actor=actor.actor,
                at=now,
                changed=changed,
                name=enterprise.name,
                status=enterprise.status,
            ),
        )
    return enterprise


def _search(
    columns: Any, *, q: str | None, region: str | None, grade: str | None, after: str | None, limit: int
) -> Any:
    statement = select(*columns).order_by(Enterprise.uscc).limit(limit)
    q = search_text(q) if q else None
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(Enterprise.name.like(f"%{escaped}%", escape="\\"))
    if region:
        statement = statement.where(Enterprise.division.startswith(region, autoescape=True))
    if grade:
        statement = statement.where(Enterprise.grade == grade)
    if after:
        statement = statement.where(Enterprise.uscc > after)
    return statement


async def search(
    session: AsyncSession,
    *,
    q: str | None,
    region: str | None,
    grade: str | None,
    after: str | None,
    limit: int,
) -> Sequence[Enterprise]:
    statement = _search([Enterprise], q=q, region=region, grade=grade, after=after, limit=limit)
    return (await session.execute(statement)).scalars().all()


async def search_rows(
    session: AsyncSession,
    *,
    q: str | None,
    region: str | None,
    grade: str | None,
    after: str | None,
    limit: int,
) -> Sequence[Any]:
    """The same search, only what the public sees: (uscc, name, status, grade) rows."""
    columns = [Enterprise.uscc, Enterprise.name, Enterprise.status, Enterprise.grade]
    statement = _search(columns, q=q, region=region, grade=grade, after=after, limit=limit)
    return (await session.execute(statement)).all()
