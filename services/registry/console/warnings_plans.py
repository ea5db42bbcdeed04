"""The regulator's early warnings and spot-check plans in the console: warnings listed by status,
one with its evidence and history, assessed (研判), disposed with measures or closed, turned into a
consumer risk notice or a directed spot-check plan; plans listed, approved (the seed's hash
published) and drawn. Every step is the API's own function, audited with the signed-in regulator.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.common.console.auth import ConsoleUser, checked_form, page, parsed, signed_in
from services.common.db import SessionDep
from services.common.roles import Role
from services.registry.console.inspections import plan_extras
from services.registry.dependencies import NowDep
from services.registry.supervision.router import (
    approve_plan,
    draw_plan,
    list_inspectors,
    list_plans,
    read_plan,
)
from services.registry.warnings.router import (
    directed_plan,
    list_warnings,
    publish_notice,
    read_warning,
    transition_warning,
)
from services.registry.warnings.schemas import DirectedPlanCreate, NoticeCreate, WarningTransition
from services.registry.warnings.service import MACHINE

router = APIRouter(prefix="/console", include_in_schema=False)
Regulator = Annotated[ConsoleUser, Depends(signed_in(Role.regulator))]
WARNING_STATUSES = ("open", "assessed", "disposed", "closed")
PLAN_STATUSES = ("draft", "approved", "drawn", "closed")
DONE = ("assess", "dispose", "close", "notice", "directed", "approved", "drawn", "created")


def _text(form: Any, name: str) -> str | None:
    value = str(form.get(name, "")).strip()
    return value or None


def _done(request: Request) -> str | None:
    done = request.query_params.get("done")
    return done if done in DONE else None


@router.get("/warnings")
async def warnings(
    request: Request, user: Regulator, session: SessionDep, status: str | None = None
) -> Response:
    chosen = status if status in WARNING_STATUSES else None
    found = await list_warnings(user.principal, session, chosen, None, None, 50)
    return page(
        request,
        "warnings.html",
        user=user,
        warnings=found.items,
        chosen=chosen or "",
        states=WARNING_STATUSES,
    )


@router.get("/warnings/{warning_id}")
async def warning(request: Request, user: Regulator, warning_id: uuid.UUID, session: SessionDep) -> Response:
    found = await read_warning(user.principal, warning_id, session)
    inspectors = await list_inspectors(user.principal, session, None, 100)
    allowed = [action for action, (sources, _) in MACHINE.items() if found.status in sources]
    return page(
        request,
        "warning.html",
        user=user,
        warning=found,
        allowed=allowed,
        follows_assessment=found.status in ("assessed", "disposed"),
        inspectors=[i for i in inspectors.items if i.active],
        done=_done(request),
    )


@router.post("/warnings/{warning_id}/transitions")
async def move_warning(
    request: Request, user: Regulator, warning_id: uuid.UUID, session: SessionDep, now: NowDep
) -> Response:
    form = await checked_form(request, user, max_files=0)
    measures = [line.strip() for line in str(form.get("measures", "")).splitlines() if line.strip()]
    fields = {"action": _text(form, "action"), "note": _text(form, "note"), "measures": measures}
    body = parsed(WarningTransition, {k: v for k, v in fields.items() if v is not None}, user)
    await transition_warning(user.principal, warning_id, body, session, now)
    return RedirectResponse(f"/console/warnings/{warning_id}?done={body.action}", status_code=303)


@router.post("/warnings/{warning_id}/notices")
async def notice(
    request: Request, user: Regulator, warning_id: uuid.UUID, session: SessionDep, now: NowDep
) -> Response:
    form = await checked_form(request, user, max_files=0)
    names = ("authority", "title_zh", "body_zh", "title_en", "body_en")
    body = parsed(NoticeCreate, {k: v for k in names if (v := _text(form, k)) is not None}, user)
    await publish_notice(user.principal, warning_id, body, session, now, Response())
    return RedirectResponse(f"/console/warnings/{warning_id}?done=notice", status_code=303)


@router.post("/warnings/{warning_id}/directed-plan")
async def directed(
    request: Request, user: Regulator, warning_id: uuid.UUID, session: SessionDep, now: NowDep
) -> Response:
    form = await checked_form(request, user, max_files=0)
    fields: dict[str, Any] = {k: _text(form, k) for k in ("authority", "title", "period_start", "period_end")}
    fields["inspector_pool"] = [str(v) for v in form.getlist("inspector_pool")]
    body = parsed(DirectedPlanCreate, {k: v for k, v in fields.items() if v is not None}, user)
    plan = await directed_plan(user.principal, warning_id, body, session, now, Response())
    return RedirectResponse(f"/console/plans/{plan.id}?done=directed", status_code=303)


@router.get("/plans")
async def plans(
    request: Request, user: Regulator, session: SessionDep, status: str | None = None
) -> Response:
    chosen = status if status in PLAN_STATUSES else None
    found = await list_plans(user.principal, session, chosen, None, 50)
    return page(
        request, "plans.html", user=user, plans=found.items, chosen=chosen or "", states=PLAN_STATUSES
    )


@router.get("/plans/{plan_id}")
async def plan(request: Request, user: Regulator, plan_id: uuid.UUID, session: SessionDep) -> Response:
    found = await read_plan(user.principal, plan_id, session)
    extras = await plan_extras(user, plan_id, found.status, session)
    return page(request, "plan.html", user=user, plan=found, done=_done(request), **extras)


@router.post("/plans/{plan_id}/approval")
async def approve(
    request: Request, user: Regulator, plan_id: uuid.UUID, session: SessionDep, now: NowDep
) -> Response:
    await checked_form(request, user, max_files=0)
    await approve_plan(user.principal, plan_id, session, now)
    return RedirectResponse(f"/console/plans/{plan_id}?done=approved", status_code=303)


@router.post("/plans/{plan_id}/draw")
async def draw(
    request: Request, user: Regulator, plan_id: uuid.UUID, session: SessionDep, now: NowDep
) -> Response:
    await checked_form(request, user, max_files=0)
    await draw_plan(user.principal, plan_id, session, now)
    return RedirectResponse(f"/console/plans/{plan_id}?done=drawn", status_code=303)
