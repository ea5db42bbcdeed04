"""Batch credit status: any number of codes (up to the limit) in a constant number of queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common import uscc as uscc_rules
from services.registry.credit.rules import RuleSet
from services.registry.enterprises.models import Enterprise
from services.registry.lists import service as lists
from services.registry.partners.schemas import BatchItem

_COLUMNS = (
    Enterprise.uscc,
    Enterprise.name,
    Enterprise.status,
    Enterprise.score,
    Enterprise.grade,
    Enterprise.rule_version,
)


async def batch_status(
    session: AsyncSession, *, codes: list[str], rules: RuleSet, now: datetime
) -> list[BatchItem]:
    normalised: list[tuple[str, str | None]] = []  # (code, format error)
    for raw in codes:
        code = uscc_rules.normalise(raw)
        try:
            uscc_rules.check_format(code)
            normalised.append((code, None))
        except uscc_rules.UsccError as exc:
            normalised.append((raw[:40], exc.message))
    lookup = sorted({code for code, error in normalised if error is None})
    found: dict[str, Any] = {}
    if lookup:
        # Columns, not ORM objects: a thousand rows without the explanation documents.
        rows = await session.execute(select(*_COLUMNS).where(Enterprise.uscc.in_(lookup)))
        found = {r.uscc: r for r in rows}
    # One more query for the whole batch, whatever its size.
    listed = await lists.active_entries(session, codes=list(found), now=now)
    items = []
    for code, error in normalised:
        if error is not None:
            items.append(BatchItem(uscc=code, result="invalid", reason=error))
        elif code in found:
            e = found[code]
            items.append(
                BatchItem(
                    uscc=code,
                    result="found",
                    name=e.name,
                    status=e.status,
                    score=e.score,  # the one stored grade (kept current by writes and the sweep)
                    grade=e.grade,
                    rule_version=e.rule_version,
                    lists=sorted({entry.kind for entry in listed.get(code, [])}),
                )
            )
        else:
            # Registered pilot codes are found above; an unregistered code failing the check is invalid.
            try:
                uscc_rules.check_digits(code)
                items.append(BatchItem(uscc=code, result="not_found"))
            except uscc_rules.UsccError as exc:
                items.append(BatchItem(uscc=code, result="invalid", reason=exc.message))
    return items
