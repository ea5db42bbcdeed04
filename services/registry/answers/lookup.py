"""The hot path: one enterprise's credit answer with as few round trips and copies as possible.

The grade is stored with the enterprise (kept current by each write's unit of work and, for what time
changes, by the sweep), so an answer is one indexed row read and no path computes a different one;
the feed cursor rides in the same statement; the list status is a second, usually empty, read. Rows
come back as tuples (Core, not ORM objects), and the answer is serialised once by Pydantic instead of
being validated again by the framework.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import NotFound
from services.registry.credit.rules import RuleSet
from services.registry.credit.schemas import CreditAnswer, ExplanationItem, ListStatus
from services.registry.enterprises.models import Enterprise
from services.registry.ledger import feed
from services.registry.lists import service as lists

_ROW = select(
    Enterprise.uscc,
    Enterprise.name,
    Enterprise.status,
    Enterprise.score,
    Enterprise.grade,
    Enterprise.rule_version,
    Enterprise.explanation,
    # The feed's published horizon (one row), not a max over every shard's changes.
    feed.horizon().label("feed_cursor"),
)


async def credit_answer(session: AsyncSession, *, uscc: str, rules: RuleSet, now: datetime) -> CreditAnswer:
    # The cursor is read in the same statement as the row it describes (on Citus the horizon first:
    # everything up to it committed before the row was read).
    row = (await session.execute(_ROW.where(Enterprise.uscc == uscc))).first()
    if row is None:
        raise NotFound(f"no enterprise with code {uscc}", uscc=uscc)
    score, grade, version, explanation = row.score, row.grade, row.rule_version, row.explanation
    label = rules.grade_for(score)
    entries = (await lists.active_entries(session, codes=[uscc], now=now)).get(uscc, [])
    return CreditAnswer(
        uscc=row.uscc,
        name=row.name,
        status=row.status,
        score=score,
        grade=grade,
        grade_label={"zh": label.zh, "en": label.en},
        rule_version=version,
        lists=[
            ListStatus(
                list=e.kind,
                entry_id=str(e.id),
                status=e.status,
                since=e.listed_at,  # type: ignore[arg-type]
                until=e.expires_at,
                reason=e.reason,
            )
            for e in entries
        ],
        explanation=[ExplanationItem(**item) for item in explanation],
        as_of=now,
        feed_cursor=str(row.feed_cursor),
    )
