"""Portal pages for barcodes: look one up, the product page, failed products and recalls."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.common import gtin as gtin_rules
from services.common.db import SessionDep
from services.common.errors import NotFound, Unprocessable
from services.common.pagination import encode_cursor, time_and_id_after
from services.registry.dependencies import NowDep, RulesDep
from services.registry.portal.i18n import Locale
from services.registry.portal.rendering import page
from services.registry.portal.router import PAGE_SIZE, LocaleDep, _limited, _not_found, _too_many
from services.registry.products import lookup

router = APIRouter(include_in_schema=False)
MAX_INPUT = 40
EVENT_PAGES = {"failed-products": "spot_check_failed", "recalls": "recall"}


def _home_with_error(request: Request, locale: Locale, message: str, code: str, status: int) -> Response:
    return page(request, locale, "home.html", status=status, q="", error=None, gtin=code, gtin_error=message)


@router.get("/products")
async def barcode_search(request: Request, locale: LocaleDep, gtin: str = "") -> Response:
    """The home page's barcode box: straight to the product page, or the box again with the rule."""
    raw = gtin[:MAX_INPUT]
    if not raw.strip():
        return _home_with_error(request, locale, locale.t("barcode_empty"), "", 400)
    try:
        code = gtin_rules.validate(raw)
    except gtin_rules.GtinError as exc:
        message = locale.t("barcode_invalid", code=gtin_rules.normalise(raw), reason=exc.message)
        return _home_with_error(request, locale, message, raw, 422)
    target = f"/products/{code}" + (f"?lang={locale.lang}" if locale.explicit else "")
    return RedirectResponse(target, status_code=303)


@router.get("/products/{gtin}")
async def product_page(
    request: Request, locale: LocaleDep, session: SessionDep, rules: RulesDep, now: NowDep, gtin: str
) -> Response:
    """The item or the enterprise holding its prefix: grade, lists, declarations, warnings."""
    wait = _limited(request, "search", request.app.state.rate_limits["search"])
    if wait is not None:
        return _too_many(request, locale, wait)
    raw = gtin[:MAX_INPUT]
    try:
        code = gtin_rules.validate(raw)
    except gtin_rules.GtinError as exc:
        message = locale.t("barcode_invalid", code=gtin_rules.normalise(raw), reason=exc.message)
        return _home_with_error(request, locale, message, raw, 422)
    try:
        answer = await lookup.lookup(session, code=code, rules=rules, now=now)
    except NotFound:
        return _not_found(request, locale, locale.t("barcode_not_found", code=code))
    return page(
        request,
        locale,
        "product.html",
        answer=answer,
        grade_rank=rules.grade_rank(answer.enterprise.grade) if answer.enterprise else 0,
        restricted_label=locale.both(answer.restricted.label["zh"], answer.restricted.label["en"])
        if answer.restricted
        else None,
        lists={e.list for e in answer.enterprise.lists} if answer.enterprise else set(),
    )


async def _event_page(request: Request, locale: Locale, session: Any, name: str, cursor: str) -> Response:
    wait = _limited(request, "public_list", request.app.state.rate_limits["public_list"])
    if wait is not None:
        return _too_many(request, locale, wait)
    try:
        after = time_and_id_after(cursor or None)
    except Unprocessable:
        after = None
    rows = await lookup.product_events(session, kind=EVENT_PAGES[name], after=after, limit=PAGE_SIZE)
    last = rows[-1] if len(rows) == PAGE_SIZE else None
    return page(
        request,
        locale,
        "product_events.html",
        page_name=name,
        rows=rows,
        next_cursor=encode_cursor(last.occurred_at.isoformat(), last.event_id) if last else None,
        paged=after is not None,
    )


@router.get("/failed-products")
async def failed_products(
    request: Request, locale: LocaleDep, session: SessionDep, cursor: str = ""
) -> Response:
    """不合格产品公示: products that failed a spot check, newest first."""
    return await _event_page(request, locale, session, "failed-products", cursor)


@router.get("/recalls")
async def recalls(request: Request, locale: LocaleDep, session: SessionDep, cursor: str = "") -> Response:
    """缺陷产品召回: recorded recalls, newest first."""
    return await _event_page(request, locale, session, "recalls", cursor)
