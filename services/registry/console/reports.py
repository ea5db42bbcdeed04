"""The enterprise's credit report in its console: issued by the API's own function (`issue_report`,
signed, audited with the signed-in person), shown with what the public verification says of it, and
its PDF downloaded by the API's `report_pdf` (which lets an enterprise fetch its own reports only).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.common.console.auth import ConsoleRefusal, ConsoleUser, checked_form, page, parsed, signed_in
from services.common.db import SessionDep
from services.common.errors import Forbidden
from services.common.roles import Role
from services.registry.console.enterprise_pages import own_code
from services.registry.dependencies import NowDep, RulesDep
from services.registry.enterprises import service as enterprises
from services.registry.reports.router import issue_report, report_pdf, verify_report
from services.registry.reports.schemas import ReportRequest

router = APIRouter(prefix="/console", include_in_schema=False)
Enterprise = Annotated[ConsoleUser, Depends(signed_in(Role.enterprise))]


@router.get("/reports")
async def reports(request: Request, user: Enterprise) -> Response:
    return page(request, "reports.html", user=user)


@router.post("/reports")
async def issue(
    request: Request, user: Enterprise, session: SessionDep, rules: RulesDep, now: NowDep
) -> Response:
    form = await checked_form(request, user, max_files=0)
    body = parsed(ReportRequest, {"language": str(form.get("language", "zh"))}, user)
    enterprise = await enterprises.get(session, own_code(user))
    out = await issue_report(user.principal, enterprise, session, rules, now, request, body, None)
    return RedirectResponse(f"/console/reports/{out.number}?done=issued", status_code=303)


@router.get("/reports/{number}")
async def report(
    request: Request, user: Enterprise, number: str, session: SessionDep, rules: RulesDep, now: NowDep
) -> Response:
    found = await verify_report(number, session, rules, now, request)
    if found.uscc is None:
        raise ConsoleRefusal(404, "not_found_title", None, user, detail=found.reason)
    if found.uscc != own_code(user):
        raise Forbidden("an enterprise may see its own credit reports only")
    return page(
        request,
        "report.html",
        user=user,
        report=found,
        verify_url=f"/reports/{found.number}",
        done=request.query_params.get("done") == "issued",
    )


@router.get("/reports/{number}/pdf")
async def report_file(user: Enterprise, number: str, session: SessionDep) -> Response:
    return await report_pdf(number, user.principal, session)
