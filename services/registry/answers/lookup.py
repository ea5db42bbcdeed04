"""A credit answer inside a caller's session (the product lookup embeds one), as a model.

The same Core reads (`reads_core`) and the same answer builder (`render`) as the hot path; the feed
position is the feed's newest, read in the same session before the row.
"""

from __future__ import annotations

from datetime import datetime

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import NotFound
from services.registry.answers import reads_core, render
from services.registry.credit.rules import RuleSet
from services.registry.credit.schemas import CreditAnswer
from services.registry.ledger.feed import feed_cursor


async def credit_answer(session: AsyncSession, *, uscc: str, rules: RuleSet, now: datetime) -> CreditAnswer:
    horizon = await feed_cursor(session)
    row = await reads_core.credit_row(session, uscc, now)
    if row is None:
        raise NotFound(f"no enterprise with code {uscc}", uscc=uscc)
    body = render.credit_body(row, rules=rules, now=now, horizon=horizon)
    return CreditAnswer.model_validate(orjson.loads(body))
