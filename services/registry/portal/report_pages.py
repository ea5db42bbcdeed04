"""Portal pages to verify a credit report: by its number, or by uploading the PDF."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.common.db import SessionDep
from services.registry.dependencies import NowDep, RulesDep
from services.registry.portal.rendering import page
from services.registry.portal.router import LocaleDep, _limited, _too_many
from services.registry.reports import service
from services.registry.reports.router import verification_view

router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 5_000_000


async def _result(request: Request, session: SessionDep, rules: RulesDep, now: NowDep, number: str):  # type: ignore[no-untyped-def]
    found = await service.verify(
        session, number=number.strip()[:64], keys=request.app.state.report_keys, rules=rules, now=now
    )
    return verification_view(found, now)


@router.get("/reports")
async def report_form(
    request: Request, locale: LocaleDep, session: SessionDep, rules: RulesDep, now: NowDep, number: str = ""
) -> Response:
    """The verification form; with a number, its answer."""
    if number.strip() and (
        wait := _limited(request, "public_list", request.app.state.rate_limits["public_list"])
    ):
        return _too_many(request, locale, wait)
    result = await _result(request, session, rules, now, number) if number.strip() else None
    return page(
        request, locale, "report.html", private=True, number=number[:64], result=result, file_message=None
    )


@router.get("/reports/{number}")
async def report_page(
    number: str, request: Request, locale: LocaleDep, session: SessionDep, rules: RulesDep, now: NowDep
) -> Response:
    """What the QR code opens: the report's verification."""
    if wait := _limited(request, "public_list", request.app.state.rate_limits["public_list"]):
        return _too_many(request, locale, wait)
    result = await _result(request, session, rules, now, number)
    return page(
        request, locale, "report.html", private=True, number=number[:64], result=result, file_message=None
    )


@router.post("/reports/verify")
async def report_upload(
    request: Request, locale: LocaleDep, session: SessionDep, rules: RulesDep, now: NowDep
) -> Response:
    """An uploaded PDF: the issued file byte for byte, or which report it claims to be."""
    if wait := _limited(request, "public_list", request.app.state.rate_limits["public_list"]):
        return _too_many(request, locale, wait)
    form = await request.form(max_files=1, max_fields=2)
    upload = form.get("file")
    content = b"" if upload is None or isinstance(upload, str) else await upload.read(MAX_UPLOAD + 1)
    if not content or len(content) > MAX_UPLOAD:
        message = locale.t("report_empty_file")
        return page(request, locale, "report.html", status=422, private=True, number="", result=None,
                    file_message=message, file_ok=False)  # fmt: skip
    issued = await service.find_by_pdf(session, content)
    if issued is not None:
        result = await _result(request, session, rules, now, issued.number)
        message, ok = locale.t("report_file_matches", number=issued.number), True
    else:
        claimed = service.claimed_number(content)
        result = await _result(request, session, rules, now, claimed) if claimed else None
        message = locale.t("report_file_unknown")
        if claimed:
            message += " " + locale.t("report_file_claims", number=claimed)
        ok = False
    return page(request, locale, "report.html", private=True, number="", result=result, file_message=message,
                file_ok=ok)  # fmt: skip
