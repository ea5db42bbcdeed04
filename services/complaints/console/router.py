"""The handler console's queue and case pages: the API's own functions behind HTML forms.

Every action goes through the same endpoint functions as `/v1/complaints` (the workflow, its
clock, the notifications and the registry feed), recorded with the signed-in handler as the actor.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from services.common.console.auth import ConsoleRefusal, ConsoleUser, checked_form, page, signed_in
from services.common.db import SessionDep
from services.common.errors import DomainError, NotFound
from services.common.pagination import encode_cursor, time_and_id_after
from services.common.roles import Role
from services.common.workdays import CHINA
from services.complaints.cases import service
from services.complaints.cases.models import Complaint
from services.complaints.cases.router import move_complaint, read_complaint
from services.complaints.cases.schemas import TransitionCreate
from services.complaints.categories import load_categories
from services.complaints.console.messages import ACTIONS, SEVERITIES, STATUSES, channel_key
from services.complaints.dependencies import ContextDep
from services.complaints.policy import OPEN_STATES
from services.complaints.rewards import service as rewards
from services.complaints.rewards.router import out as reward_view

router = APIRouter(prefix="/console", include_in_schema=False)
Handler = Annotated[ConsoleUser, Depends(signed_in(Role.handler))]
PAGE_SIZE = 25


def urgency(c: Complaint, now: datetime) -> str:
    """overdue, soon (2 days), week (7 days), later, paused, or '' when no deadline runs."""
    if service.is_overdue(c, now):
        return "overdue"
    if c.paused_at is not None and c.status in OPEN_STATES:
        return "paused"
    due = service.running_deadline(c)
    if due is None:
        return ""
    left = due - now
    return "soon" if left <= timedelta(days=2) else "week" if left <= timedelta(days=7) else "later"


def week_end(now: datetime) -> datetime:
    """Sunday 24:00, China time, of this week."""
    today = now.astimezone(CHINA).date()
    return datetime.combine(today + timedelta(days=7 - today.weekday()), time(0), tzinfo=CHINA)


def _choice(value: str | None, allowed: Any) -> str | None:
    return value if value in allowed else None


@router.get("/")
async def queue(
    request: Request,
    user: Handler,
    session: SessionDep,
    ctx: ContextDep,
    status: str | None = None,
    channel: str | None = None,
    category: str | None = None,
    overdue: str | None = None,
    due_week: str | None = None,
    cursor: str | None = None,
) -> Response:
    categories = load_categories()
    filters = {
        "status": _choice(status, STATUSES),
        "channel": _choice(channel, ctx.policy.channels),
        "category": _choice(category, {c.code for c in categories}),
        "overdue": overdue == "1",
        "due_week": due_week == "1",
    }
    try:
        after = time_and_id_after(cursor)
    except DomainError:
        after = None
    rows = await service.search(
        session,
        status=filters["status"],
        uscc=None,
        overdue=True if filters["overdue"] else None,
        now=ctx.now,
        after=after,
        limit=PAGE_SIZE,
        channel=filters["channel"],
        category=filters["category"],
        due_between=(ctx.now, week_end(ctx.now)) if filters["due_week"] else None,
    )
    next_cursor = (
        encode_cursor(rows[-1].received_at.isoformat(), str(rows[-1].id)) if len(rows) == PAGE_SIZE else None
    )
    query = {k: ("1" if v is True else v) for k, v in filters.items() if v}
    next_link = (
        "/console/?" + "&".join(f"{k}={v}" for k, v in {**query, "cursor": next_cursor}.items())
        if next_cursor
        else None
    )
    return page(
        request,
        "queue.html",
        user=user,
        cases=[(c, urgency(c, ctx.now), service.running_deadline(c)) for c in rows],
        filters=filters,
        statuses=list(STATUSES),
        channels=ctx.policy.channels,
        channel_key=channel_key,
        categories=categories,
        next_link=next_link,
    )


async def _case_page(
    request: Request,
    user: ConsoleUser,
    session: SessionDep,
    ctx: ContextDep,
    complaint_id: uuid.UUID,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    try:
        detail = await read_complaint(user.principal, complaint_id, session, ctx)
    except NotFound as exc:
        raise ConsoleRefusal(404, "not_found_title", None, user) from exc
    complaint = await service.get(session, complaint_id)
    reward = await rewards.of_complaint(session, complaint_id)
    original = await service.get(session, detail.duplicate_of) if detail.duplicate_of else None
    return page(
        request,
        "case.html",
        user=user,
        status=status,
        case=detail,
        reward=reward_view(reward) if reward else None,
        urgency=urgency(complaint, ctx.now),
        original=original,
        duplicates=await service.duplicates_of(session, complaint_id),
        severities=list(SEVERITIES),
        categories=load_categories(),
        channel_key=channel_key,
        done=_choice(request.query_params.get("done"), ACTIONS),
        error=error,
    )


@router.get("/cases/{complaint_id}")
async def case_page(
    request: Request, user: Handler, complaint_id: uuid.UUID, session: SessionDep, ctx: ContextDep
) -> Response:
    return await _case_page(request, user, session, ctx, complaint_id)


def _transition(form: Any) -> TransitionCreate:
    body: dict[str, Any] = {"action": form.get("action")}
    for name in ("note", "outcome"):
        value = str(form.get(name, "")).strip()
        if value:
            body[name] = value
    severity = str(form.get("severity", ""))
    if severity:
        body["finding"] = {"severity": severity}
        category = str(form.get("finding_category", ""))
        if category:
            body["finding"]["category"] = category
    return TransitionCreate.model_validate(body)


@router.post("/cases/{complaint_id}/transitions")
async def act_on_case(
    request: Request, user: Handler, complaint_id: uuid.UUID, session: SessionDep, ctx: ContextDep
) -> Response:
    form = await checked_form(request, user, max_files=0)
    background = BackgroundTasks()
    try:
        body = _transition(form)
        await move_complaint(user.principal, complaint_id, body, session, ctx, request, background)
    except ValidationError as exc:
        reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return await _case_page(request, user, session, ctx, complaint_id, error=reason, status=422)
    except NotFound as exc:
        raise ConsoleRefusal(404, "not_found_title", None, user) from exc
    except DomainError as exc:
        await session.rollback()
        return await _case_page(
            request, user, session, ctx, complaint_id, error=exc.detail, status=exc.status
        )
    response = RedirectResponse(f"/console/cases/{complaint_id}?done={body.action}", status_code=303)
    response.background = background
    return response
