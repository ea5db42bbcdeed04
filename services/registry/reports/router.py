"""Credit reports: issue (enterprise for itself, partner with a purpose, regulator), verify (public)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status

from services.common.auth import Principal, ensure_own_code, require_roles
from services.common.db import SessionDep
from services.common.errors import Forbidden, responses
from services.common.ratelimit import rate_limited
from services.common.roles import Role
from services.registry.access import log as access
from services.registry.dependencies import EnterpriseDep, NowDep, RulesDep
from services.registry.reports import service
from services.registry.reports.models import CreditReport
from services.registry.reports.schemas import ReportOut, ReportRequest, ReportVerification
from services.registry.reports.signing import ReportKeys

router = APIRouter(tags=["credit reports"])
Requester = Annotated[Principal, Depends(require_roles(Role.enterprise, Role.partner, Role.regulator))]


def _keys(request: Request) -> ReportKeys:
    return request.app.state.report_keys


def issued_view(report: CreditReport, request: Request) -> ReportOut:
    base = request.app.state.settings.public_url
    return ReportOut(
        number=report.number,
        uscc=report.uscc,
        issued_at=report.issued_at,
        valid_until=report.valid_until,
        language=report.language,
        content_sha256=report.content_sha256,
        key_id=report.key_id,
        signature=report.signature,
        document_text=report.document,
        document=json.loads(report.document),
        verification_url=service.verification_url(base, report.number),
        pdf_url=f"/v1/credit-reports/{report.number}/pdf",
        pdf_sha256=report.pdf_sha256,
    )


def verification_view(v: service.Verification, now: Any) -> ReportVerification:
    r = v.report
    return ReportVerification(
        number=v.number,
        genuine=r is not None and v.reason is None,
        reason=v.reason,
        uscc=r.uscc if r else None,
        name=json.loads(r.document)["record"]["enterprise"]["name"] if r and v.reason is None else None,
        issued_at=r.issued_at if r else None,
        valid_until=r.valid_until if r else None,
        valid=v.valid,
        record_changed_since_issue=v.record_changed,
        content_sha256=r.content_sha256 if r else None,
        key_id=r.key_id if r else None,
        checked_at=now,
    )


@router.post(
    "/v1/enterprises/{uscc}/credit-reports",
    status_code=status.HTTP_201_CREATED,
    response_model=ReportOut,
    responses=responses(401, 403, 404, 422),
)
async def issue_report(
    actor: Requester,
    enterprise: EnterpriseDep,
    session: SessionDep,
    rules: RulesDep,
    now: NowDep,
    request: Request,
    body: ReportRequest | None = None,
    purpose: access.PurposeHeader = None,
) -> ReportOut:
    """Issue a signed report with its PDF (the enterprise itself, a partner with X-Purpose, a regulator)."""
    ensure_own_code(actor, enterprise.uscc)
    purpose = access.require_purpose(actor, purpose)
    settings = request.app.state.settings
    report = await service.issue(
        session,
        uscc=enterprise.uscc,
        actor=actor,
        purpose=purpose,
        language=(body or ReportRequest()).language,
        rules=rules,
        keys=_keys(request),
        validity_days=settings.reports_validity_days,
        public_url=settings.public_url,
        now=now,
    )
    await access.log_lookup(
        session, principal=actor, lookup="report", purpose=purpose, codes=[enterprise.uscc], now=now
    )
    return issued_view(report, request)


@router.get("/v1/credit-report-keys")
async def report_keys(request: Request) -> dict[str, Any]:
    """The published keys (JWKS) that verify credit-report signatures (public)."""
    return _keys(request).published()


@router.get(
    "/v1/credit-reports/{number}",
    response_model=ReportVerification,
    dependencies=[Depends(rate_limited("public_list"))],
    responses=responses(422, 429),
)
async def verify_report(
    number: str, session: SessionDep, rules: RulesDep, now: NowDep, request: Request
) -> ReportVerification:
    """Is this report genuine, still valid, and has the record changed since (public; discloses no more)."""
    found = await service.verify(session, number=number[:64], keys=_keys(request), rules=rules, now=now)
    return verification_view(found, now)


@router.get(
    "/v1/credit-reports/{number}/pdf",
    responses={**responses(401, 403, 404), 200: {"content": {"application/pdf": {}}}},
    response_class=Response,
)
async def report_pdf(number: str, actor: Requester, session: SessionDep) -> Response:
    """The report's PDF: regulators, the enterprise it is about, or whoever had it issued."""
    report = await service.get(session, number[:64])
    allowed = (
        actor.role is Role.regulator
        or (actor.role is Role.enterprise and actor.uscc == report.uscc)
        or report.issued_by == actor.actor
    )
    if not allowed:
        raise Forbidden("only regulators, the enterprise itself or the report's requester may fetch it")
    return Response(
        await service.pdf_of(session, report),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{report.number}.pdf"'},
    )
