"""Portal pages: search, the enterprise's public file, the public lists, the complaint form, tracking.

HTML for people, kept out of the OpenAPI document; the data comes from the registry's own services
in this request's transaction, complaints go to the complaints service over HTTP.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.common import uscc as uscc_rules
from services.common.db import SessionDep
from services.common.errors import NotFound, Unprocessable
from services.common.pagination import encode_cursor, time_and_id_after
from services.common.ratelimit import RateLimiter, client_address
from services.registry.credit import service as credit
from services.registry.credit.rules import Grade, RuleSet
from services.registry.dependencies import NowDep, RulesDep
from services.registry.enterprises import service as enterprises
from services.registry.enterprises.divisions import describe
from services.registry.enterprises.models import Enterprise
from services.registry.lists import service as lists
from services.registry.lists.models import ListEntry
from services.registry.portal import forms
from services.registry.portal.chart import Point, score_chart
from services.registry.portal.complaints_client import (
    ComplaintsClientDep,
    ComplaintsUnavailable,
    RateLimited,
    Refusal,
    file_case,
    track_case,
)
from services.registry.portal.i18n import CASE_STATUSES, CHANNELS, Locale, negotiate, provinces
from services.registry.portal.rendering import SECURITY_HEADERS, page, stylesheet
from services.registry.standards import service as standards

router = APIRouter(include_in_schema=False)
LocaleDep = Annotated[Locale, Depends(negotiate)]

PAGE_SIZE = 20
HISTORY_POINTS = 100
STANDARDS_SHOWN = 50
MAX_QUERY = 100
LIST_NAMES = ("black", "red")
_TRACKING_CODE = re.compile(r"^[0-9A-Z]{4,32}$")
_AFTER_CODE = re.compile(r"^[0-9A-Z]{1,18}$")
_REGION = re.compile(r"^\d{2,6}$")


# ---- helpers -------------------------------------------------------------------------------------


def _limited(request: Request, bucket: str, rate: tuple[int, int]) -> int | None:
    """Seconds to wait when this client is over the limit for `bucket`, else None.

    The app's one limiter: a search counts the same whether it comes from a page or the API.
    """
    state = request.app.state
    limiter: RateLimiter = state.rate_limiter
    limit, window = rate
    return limiter.hit(
        bucket, client_address(request), limit=limit, window_seconds=window, now=state.clock.now().timestamp()
    )


def _too_many(request: Request, locale: Locale, seconds: int) -> Response:
    return page(
        request,
        locale,
        "message.html",
        status=429,
        private=True,
        headers={"Retry-After": str(seconds)},
        title=locale.t("too_many_title"),
        message=locale.t("too_many_text", seconds=seconds),
    )


def _not_found(request: Request, locale: Locale, message: str) -> Response:
    return page(
        request, locale, "message.html", status=404, title=locale.t("not_found_title"), message=message
    )


def _grade(rules: RuleSet, grade: str, score: int) -> Grade:
    return next((g for g in rules.grades if g.grade == grade), rules.grade_for(score))


@dataclass(frozen=True)
class Summary:
    """One enterprise in search results and lists."""

    uscc: str
    name: str
    province: str | None
    grade: str
    grade_rank: int
    black: bool
    red: bool


def _summaries(
    rows: list[Enterprise], entries: dict[str, list[ListEntry]], rules: RuleSet, locale: Locale
) -> list[Summary]:
    return [
        Summary(
            uscc=e.uscc,
            name=e.name,
            province=locale.province(e.division),
            grade=e.grade,
            grade_rank=rules.grade_rank(e.grade) if e.grade in {g.grade for g in rules.grades} else 0,
            black=any(x.kind == "black" for x in entries.get(e.uscc, [])),
            red=any(x.kind == "red" for x in entries.get(e.uscc, [])),
        )
        for e in rows
    ]


# ---- home and search -----------------------------------------------------------------------------


@router.get("/")
async def home(request: Request, locale: LocaleDep) -> Response:
    """The portal's home: the search box and the ways in."""
    return page(request, locale, "home.html", q="", error=None)


@router.get("/search")
async def search(
    request: Request,
    locale: LocaleDep,
    session: SessionDep,
    rules: RulesDep,
    now: NowDep,
    q: str = "",
    after: str = "",
) -> Response:
    """By code (straight to the enterprise) or by part of the name."""
    wait = _limited(request, "search", request.app.state.rate_limits["search"])
    if wait is not None:
        return _too_many(request, locale, wait)
    query = q.strip()[:MAX_QUERY]
    if not query:
        return page(request, locale, "home.html", status=400, q="", error=locale.t("search_empty"))
    code = uscc_rules.normalise(query)
    looks_like_code = False
    try:
        uscc_rules.check_format(code)
        looks_like_code = True
    except uscc_rules.UsccError:
        pass
    if looks_like_code:
        try:
            await enterprises.get(session, code)
        except NotFound:
            return page(
                request,
                locale,
                "search.html",
                q=query,
                error=None,
                results=[],
                message=locale.t("search_code_none", q=code),
                next_after=None,
            )
        target = f"/enterprises/{code}" + (f"?lang={locale.lang}" if locale.explicit else "")
        return RedirectResponse(target, status_code=303)
    rows = list(
        await enterprises.search(
            session,
            q=query,
            region=None,
            grade=None,
            after=after if _AFTER_CODE.match(after) else None,
            limit=PAGE_SIZE,
        )
    )
    entries = await lists.active_entries(session, codes=[e.uscc for e in rows], now=now)
    return page(
        request,
        locale,
        "search.html",
        q=query,
        error=None,
        results=_summaries(rows, entries, rules, locale),
        message=None if rows else locale.t("search_none", q=query),
        next_after=rows[-1].uscc if len(rows) == PAGE_SIZE else None,
    )


# ---- the enterprise's public file ----------------------------------------------------------------


@dataclass(frozen=True)
class ExplainedEvent:
    kind: str
    severity: str
    authority: str
    reference: str
    occurred_at: datetime
    expires_at: datetime | None
    effect: int


def _explained(item: dict[str, Any], rules: RuleSet, locale: Locale) -> ExplainedEvent:
    kind = rules.kinds.get(item["kind"])
    # A complaint's id is the complaints service's internal key: the public sees that there was one.
    reference = (
        locale.t("event_ref_complaint") if item["kind"] == "complaint_substantiated" else item["source_ref"]
    )
    return ExplainedEvent(
        kind=locale.both(kind.zh, kind.en) if kind else item["kind"],
        severity=locale.severity(item["kind"], item["severity"]),
        authority=item["authority"],
        reference=reference,
        occurred_at=datetime.fromisoformat(item["occurred_at"]),
        expires_at=datetime.fromisoformat(item["expires_at"]) if item.get("expires_at") else None,
        effect=int(item["effect"]),
    )


@router.get("/enterprises/{code}")
async def enterprise_page(
    request: Request,
    locale: LocaleDep,
    session: SessionDep,
    rules: RulesDep,
    now: NowDep,
    code: str,
) -> Response:
    """Name, code, region, grade with its explanation, list entries, grade history."""
    normalised = uscc_rules.normalise(code)[:40]
    try:
        uscc_rules.check_format(normalised)
    except uscc_rules.UsccError as exc:
        return _not_found(request, locale, locale.t("code_invalid", code=normalised, reason=exc.message))
    try:
        enterprise = await enterprises.get(session, normalised)
    except NotFound:
        return _not_found(request, locale, locale.t("enterprise_not_found", code=normalised))
    assessment = credit.stored_assessment(enterprise)
    grade = _grade(rules, assessment.grade, assessment.score)
    events = [_explained(item, rules, locale) for item in assessment.explanation]
    total = sum(e.effect for e in events)
    entries = (await lists.active_entries(session, codes=[enterprise.uscc], now=now)).get(enterprise.uscc, [])
    changes = list(
        reversed(await credit.history(session, uscc=enterprise.uscc, before_id=None, limit=HISTORY_POINTS))
    )
    points = [Point(c.changed_at, c.new_score, c.new_grade) for c in changes]
    chart = score_chart(
        points,
        rules=rules,
        now=now,
        chart_id="score-history",
        title=locale.t("history_chart_title", name=enterprise.name),
        description=locale.t(
            "history_chart_desc",
            start=locale.date(points[0].at),
            end=locale.date(now),
            first=points[0].score,
            last=points[-1].score,
            n=len(points),
        )
        if points
        else "",
    )
    declared = await standards.search_declarations(
        session,
        q=None,
        uscc=enterprise.uscc,
        product=None,
        type_=None,
        status=None,
        supervision=None,
        region=None,
        after=None,
        limit=STANDARDS_SHOWN,
    )
    facts = describe(enterprise.uscc)
    passes_check = True
    try:
        uscc_rules.check_digits(enterprise.uscc)
    except uscc_rules.UsccError:
        passes_check = False
    return page(
        request,
        locale,
        "enterprise.html",
        enterprise=enterprise,
        province=locale.province(enterprise.division),
        entity_type=" · ".join(x for x in (facts.authority_label, facts.entity_type_label) if x),
        assessment=assessment,
        grade=grade,
        grade_rank=rules.grade_rank(grade.grade),
        grade_label=locale.both(grade.zh, grade.en),
        grades=[(g, locale.both(g.zh, g.en)) for g in rules.grades],
        events=events,
        total=total,
        base_score=rules.base_score,
        clamped=rules.base_score + total != assessment.score,
        min_score=rules.min_score,
        max_score=rules.max_score,
        entries=entries,
        changes=list(reversed(changes)),
        chart=chart,
        standards=declared,
        standards_truncated=len(declared) == STANDARDS_SHOWN,
        now=now,
        # Pilot codes fail the check the complaints service applies: name the enterprise instead.
        complain_params={"uscc": enterprise.uscc} if passes_check else {"name": enterprise.name},
    )


# ---- the public lists ----------------------------------------------------------------------------


@router.get("/lists/{name}")
async def list_page(
    request: Request,
    locale: LocaleDep,
    session: SessionDep,
    now: NowDep,
    name: str,
    region: str = "",
    authority: str = "",
    cursor: str = "",
) -> Response:
    """The active entries of the black or the red list, newest first, by region and authority."""
    wait = _limited(request, "public_list", request.app.state.rate_limits["public_list"])
    if wait is not None:
        return _too_many(request, locale, wait)
    if name not in LIST_NAMES:
        return _not_found(request, locale, locale.t("not_found_title"))
    region = region if _REGION.match(region) else ""
    authority = authority.strip()[:200]
    try:
        after = time_and_id_after(cursor or None)
    except Unprocessable:
        after = None
    rows = await lists.public_list(
        session,
        kind=name,
        region=region or None,
        authority=authority or None,
        after=after,
        limit=PAGE_SIZE,
        now=now,
    )
    last = rows[-1].entry if len(rows) == PAGE_SIZE else None
    next_cursor = encode_cursor(last.listed_at.isoformat(), str(last.id)) if last and last.listed_at else None
    return page(
        request,
        locale,
        "list.html",
        list_name=name,
        rows=[(row.entry, row.enterprise, locale.province(row.enterprise.division)) for row in rows],
        region=region,
        authority=authority,
        regions=[(code, locale.pick(names)) for code, names in sorted(provinces().items())],
        next_cursor=next_cursor,
        paged=after is not None,
    )


# ---- complaints and tracking ---------------------------------------------------------------------


def _complaint_page(
    request: Request, locale: Locale, form: forms.ComplaintForm, *, status: int = 200
) -> Response:
    return page(
        request,
        locale,
        "complaint.html",
        status=status,
        private=True,
        form=form,
        categories=forms.category_options(locale),
    )


@router.get("/complaints/new")
async def complaint_form(
    request: Request,
    locale: LocaleDep,
    session: SessionDep,
    uscc: str = "",
    name: str = "",
    kind: str = "complaint",
) -> Response:
    """The form; from an enterprise page it comes filled with that enterprise."""
    code = uscc_rules.normalise(uscc)[:18]
    target_name = name.strip()[:200]
    if code and not target_name:
        with contextlib.suppress(NotFound):
            target_name = (await enterprises.get(session, code)).name
    kind = kind if kind in ("complaint", "report") else "complaint"
    form = forms.blank(kind=kind, target_uscc=code, target_name=target_name)
    return _complaint_page(request, locale, form)


@router.post("/complaints")
async def file_complaint(request: Request, locale: LocaleDep, client: ComplaintsClientDep) -> Response:
    """Check the form, forward it to the complaints service, show the tracking code."""
    settings = request.app.state.settings
    wait = _limited(request, "complaint", settings.portal_complaint_rate)
    if wait is not None:
        return _too_many(request, locale, wait)
    form = forms.parse(await request.body())
    forms.check(form, locale)
    if form.failed:
        return _complaint_page(request, locale, form, status=422)
    try:
        filed = await file_case(client, request, forms.service_body(form))
    except Refusal as refusal:
        forms.refused(form, refusal.errors, refusal.detail, locale)
        return _complaint_page(request, locale, form, status=422)
    except RateLimited as limited:
        return _too_many(request, locale, limited.retry_after)
    except ComplaintsUnavailable:
        return page(
            request,
            locale,
            "message.html",
            status=503,
            private=True,
            title=locale.t("unavailable_title"),
            message=locale.t("unavailable_text"),
        )
    return page(request, locale, "filed.html", private=True, filed=filed)


@router.get("/track")
async def track(request: Request, locale: LocaleDep, client: ComplaintsClientDep, code: str = "") -> Response:
    """Status, dates and outcome of a case by its tracking code; never who filed it."""
    raw = code.strip()[:64]
    if not raw:
        return page(request, locale, "track.html", private=True, code="", case=None, error=None)
    compact = raw.upper().replace("-", "").replace(" ", "")
    if not _TRACKING_CODE.match(compact):
        return page(
            request,
            locale,
            "track.html",
            status=422,
            private=True,
            code=raw,
            case=None,
            error=locale.t("track_invalid"),
        )
    settings = request.app.state.settings
    wait = _limited(request, "tracking", settings.portal_tracking_rate)
    if wait is not None:
        return _too_many(request, locale, wait)
    try:
        case = await track_case(client, request, compact)
    except RateLimited as limited:
        return _too_many(request, locale, limited.retry_after)
    except ComplaintsUnavailable:
        return page(
            request,
            locale,
            "message.html",
            status=503,
            private=True,
            title=locale.t("unavailable_title"),
            message=locale.t("unavailable_text"),
        )
    if case is None:
        return page(
            request,
            locale,
            "track.html",
            status=404,
            private=True,
            code=raw,
            case=None,
            error=locale.t("track_not_found"),
        )
    return page(
        request,
        locale,
        "track.html",
        private=True,
        code=case["tracking_code"],
        case=_tracking_view(case, locale),
        error=None,
    )


def _tracking_view(case: dict[str, Any], locale: Locale) -> dict[str, Any]:
    """Only the fields the public tracking answer has, with labels and local times."""

    def when(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    deadlines = case.get("deadlines", {})
    return {
        "tracking_code": case["tracking_code"],
        "kind": locale.t("filed_kind_" + case["kind"]) if case["kind"] in ("complaint", "report") else "",
        "channel": locale.labelled(CHANNELS, case["channel"]),
        "status": locale.labelled(CASE_STATUSES, case["status"]),
        "received_at": when(case["received_at"]),
        "accept_by": when((deadlines.get("accept_by") or {}).get("at")),
        "resolve_by": when((deadlines.get("resolve_by") or {}).get("at")),
        "extended": bool(deadlines.get("extended")),
        "legal_basis": list(deadlines.get("legal_basis", [])),
        "outcome": case.get("outcome"),
        "steps": [
            (locale.labelled(CASE_STATUSES, step["status"]), when(step["at"]))
            for step in case.get("steps", [])
        ],
    }


# ---- static --------------------------------------------------------------------------------------


@router.get("/static/portal.css")
async def portal_css() -> Response:
    """The one stylesheet; its URL carries a content hash, so it may be cached for long."""
    headers = {
        "Cache-Control": "public, max-age=31536000, immutable",
        "X-Content-Type-Options": SECURITY_HEADERS["X-Content-Type-Options"],
    }
    return Response(stylesheet(), media_type="text/css; charset=utf-8", headers=headers)
