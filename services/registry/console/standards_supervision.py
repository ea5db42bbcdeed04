"""The regulator supervises standards declarations in the console: search them (by the latest
finding too), see those whose order to correct has passed uncorrected, read one with its
comparison against the mandatory values, and record a finding (under review, non-compliant with an
order to correct and perhaps a credit event, compliant). Every call is the API's own function, so
the finding is audited with the signed-in regulator as the actor.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.common.console.auth import ConsoleUser, checked_form, page, parsed, signed_in
from services.common.db import SessionDep
from services.common.roles import Role
from services.registry.dependencies import NowDep, RulesDep
from services.registry.standards.provisions import load_provisions
from services.registry.standards.router import (
    ReferenceDep,
    flag_standard,
    read_standard,
    search_standards,
    uncorrected_declarations,
)
from services.registry.standards.schemas import FlagCreate, Supervision

router = APIRouter(prefix="/console", include_in_schema=False)
Regulator = Annotated[ConsoleUser, Depends(signed_in(Role.regulator))]
SUPERVISION = get_args(Supervision)


def _text(form: Any, name: str) -> str | None:
    value = str(form.get(name, "")).strip()
    return value or None


@router.get("/standards")
async def standards(
    request: Request,
    user: Regulator,
    session: SessionDep,
    now: NowDep,
    q: str | None = None,
    supervision: str | None = None,
) -> Response:
    query = (q or "").strip()[:100] or None
    chosen = supervision if supervision in SUPERVISION else None
    found = await search_standards(session, q=query, supervision=chosen, limit=50)  # type: ignore[arg-type]
    overdue = await uncorrected_declarations(session, now, None, 20)
    return page(
        request,
        "standards.html",
        user=user,
        q=query or "",
        supervision=chosen or "",
        states=SUPERVISION,
        declarations=found.items,
        overdue=overdue.items,
    )


@router.get("/standards/{standard_id}")
async def standard(
    request: Request,
    user: Regulator,
    standard_id: uuid.UUID,
    session: SessionDep,
    reference: ReferenceDep,
    now: NowDep,
) -> Response:
    current = await read_standard(standard_id, session, reference, now)
    return page(
        request,
        "standard_supervision.html",
        user=user,
        standard=current,
        bases=list(load_provisions().corrections.values()),
        done=request.query_params.get("done") == "finding",
    )


@router.post("/standards/{standard_id}/findings")
async def record_finding(
    request: Request,
    user: Regulator,
    standard_id: uuid.UUID,
    session: SessionDep,
    rules: RulesDep,
    now: NowDep,
) -> Response:
    form = await checked_form(request, user, max_files=0)
    body: dict[str, Any] = {
        "finding": _text(form, "finding"),
        "reason": _text(form, "reason"),
        "indicators": [line.strip() for line in str(form.get("indicators", "")).splitlines() if line.strip()],
        "reference": _text(form, "reference"),
        "correction_due_on": _text(form, "correction_due_on"),
        "correction_basis": _text(form, "correction_basis"),
    }
    if form.get("record_event") == "1":
        occurred = _text(form, "event_occurred_on")
        body["credit_event"] = {
            "severity": _text(form, "event_severity"),
            "authority": _text(form, "event_authority"),
            "source_ref": _text(form, "event_source_ref"),
            "occurred_at": f"{occurred}T00:00:00+08:00" if occurred else None,
        }
    flag = parsed(FlagCreate, {k: v for k, v in body.items() if v is not None}, user)
    await flag_standard(user.principal, standard_id, flag, session, rules, now)
    return RedirectResponse(f"/console/standards/{standard_id}?done=finding", status_code=303)
