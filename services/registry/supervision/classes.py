"""Keeping each enterprise's stored risk class equal to `rules.classify` of its current facts.

`refresh` is the one function that stores a risk class. It runs from one place: the `risk_class`
stage of the unit of work (`services/registry/subscribers.py`), after grading and the red-list floor
and before history, audit and feed, in the transaction of the write that changed a grade, a list
entry, an enterprise or a declaration.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, bindparam, null, select, type_coerce, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import UTCDateTime
from services.registry.enterprises.models import Enterprise
from services.registry.events import unit_of_work as events
from services.registry.events.domain import SupervisionRecorded
from services.registry.lists import lifecycle
from services.registry.lists.models import ListEntry
from services.registry.standards.models import StandardDeclaration, StandardVersion
from services.registry.supervision.models import RiskClass
from services.registry.supervision.rules import load_catalogue, load_rules, riskiest

SYSTEM_ACTOR = "system:risk-class"


# The list status (black over red over none) and the declared products, in one read: the products
# and category of each published declaration's current version, and the kind of each entry active
# on a list (UNION ALL; a row of the second part has no products). Built once: building it costs
# more than running it; `uscc` and `now` are bound at each run.
_CURRENT_FACTS = union_all(
    select(StandardVersion.products, StandardVersion.category, type_coerce(null(), String).label("kind"))
    .join(
        StandardDeclaration,
        and_(
            StandardDeclaration.uscc == StandardVersion.uscc,
            StandardDeclaration.id == StandardVersion.declaration_id,
            StandardDeclaration.current_version == StandardVersion.version,
        ),
    )
    .where(StandardDeclaration.uscc == bindparam("uscc"), StandardDeclaration.status == "published"),
    select(null(), null(), ListEntry.kind).where(
        ListEntry.uscc == bindparam("uscc"), lifecycle.is_active(bindparam("now", type_=UTCDateTime()))
    ),
)


async def current_facts(session: AsyncSession, uscc: str, now: datetime) -> tuple[str, list[str]]:
    """(list status, declared products) of the enterprise now."""
    products: list[str] = []
    kinds: set[str] = set()
    for declared, category, kind in (await session.execute(_CURRENT_FACTS, {"uscc": uscc, "now": now})).all():
        if kind is not None:
            kinds.add(kind)
        else:
            products += [*declared, *([category] if category else [])]
    return "black" if "black" in kinds else "red" if "red" in kinds else "none", products


async def refresh(
    session: AsyncSession, *, uscc: str, now: datetime, grade: str | None = None, flush: bool = True
) -> RiskClass | None:
    """Recompute and store the risk class; announce a change on the feed. `grade` overrides the row's.

    `flush=False` (the unit of work's subscriber) leaves the row to the unit of work's one flush at
    commit; the row is held on the transaction, so a second refresh in it finds the pending row.
    """
    enterprise = await events.get(session, Enterprise, uscc)
    if enterprise is None:
        return None
    rules, catalogue = load_rules(), load_catalogue()
    status, products = await current_facts(session, uscc, now)
    categories = catalogue.categories_of(products)
    level = riskiest([c.risk_level for c in categories])
    result = rules.classify(grade=grade or enterprise.grade, list_status=status, product_level=level)
    stored = await events.get(session, RiskClass, uscc)
    before = stored.risk_class if stored else None
    values: dict[str, Any] = {
        "risk_class": result.risk_class,
        "points": result.points,
        "grade": grade or enterprise.grade,
        "list_status": status,
        "product_level": level,
        "categories": [c.name for c in categories],
        "explanation": result.explanation,
        "rules_version": rules.version,
        "catalogue_version": catalogue.version,
        "computed_at": now,
    }
    if stored is None:
        stored = RiskClass(uscc=uscc, **values)
        session.add(stored)
    else:
        for key, value in values.items():
            setattr(stored, key, value)
    events.hold(session, stored, uscc)
    if flush:
        await session.flush()
    if before != result.risk_class:
        events.record(
            session,
            SupervisionRecorded(
                actor=SYSTEM_ACTOR,
                action="risk_class.changed",
                uscc=uscc,
                subject=uscc,
                at=now,
                feed_kind="risk_class_changed",
                details={
                    "old_class": before,
                    "new_class": result.risk_class,
                    "explanation": result.explanation,
                },
            ),
        )
    return stored
