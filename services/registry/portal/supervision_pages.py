"""Portal pages of classified supervision: spot-check results by plan (一公开) and consumer risk notices."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.common.db import SessionDep
from services.common.errors import NotFound
from services.registry.portal.i18n import Locale, negotiate
from services.registry.portal.rendering import page
from services.registry.supervision import plans, tasks
from services.registry.supervision.rules import load_rules
from services.registry.warnings import service as warnings
from services.registry.warnings.schemas import LEVEL_ZH

router = APIRouter(include_in_schema=False)
LocaleDep = Annotated[Locale, Depends(negotiate)]
NOTICES_SHOWN = 50


def _missing(request: Request, locale: Locale) -> Response:
    return page(
        request,
        locale,
        "message.html",
        status=404,
        title=locale.t("not_found_title"),
        message=locale.both("没有这项抽查结果。", "No such spot-check results."),
    )


@router.get("/risk-notices")
async def notices_page(request: Request, locale: LocaleDep, session: SessionDep) -> Response:
    """Published consumer risk notices, newest first, in the reader's language."""
    rows = await warnings.list_notices(session, after=None, limit=NOTICES_SHOWN)
    return page(request, locale, "risk_notices.html", notices=rows, level_zh=LEVEL_ZH)


@router.get("/inspections/{plan_id}")
async def results_page(request: Request, locale: LocaleDep, session: SessionDep, plan_id: str) -> Response:
    """The final results of a drawn plan: enterprise, product, result."""
    try:
        plan = await plans.get_plan(session, uuid.UUID(plan_id))
    except (ValueError, NotFound):
        return _missing(request, locale)
    if plan.status not in ("drawn", "closed"):
        return _missing(request, locale)
    rows = await tasks.published_results(session, plan.id)
    return page(
        request,
        locale,
        "inspection_results.html",
        plan=plan,
        rows=rows,
        within=load_rules().publish_within_working_days,
    )
