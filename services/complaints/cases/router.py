"""Complaint endpoints: public intake and tracking; the handlers' workflow."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Request, Response, status

from services.common.auth import Principal, require_roles
from services.common.db import SessionDep
from services.common.errors import responses
from services.common.pagination import (
    TIME_AND_ID,
    CursorQuery,
    LimitQuery,
    Page,
    decode_cursor,
    encode_cursor,
)
from services.common.ratelimit import rate_limited
from services.common.roles import Role
from services.common.uscc import UsccFormat
from services.complaints.cases import evidence, service
from services.complaints.cases.models import Complaint
from services.complaints.cases.schemas import (
    AttachmentOut,
    ComplaintCreate,
    ComplaintCreated,
    ComplaintDetail,
    ComplaintSummary,
    Deadlines,
    Finding,
    ReporterOut,
    TrackingAnswer,
    TrackStep,
    TransitionCreate,
    TransitionOut,
)
from services.complaints.dependencies import ContextDep
from services.complaints.notifications import service as notifications
from services.complaints.notifications.dispatcher import wake_notifier
from services.complaints.outbox import service as outbox
from services.complaints.rewards import router as reward_views
from services.complaints.rewards import service as rewards

public = APIRouter(prefix="/v1/complaints", tags=["public"])
handlers = APIRouter(prefix="/v1/complaints", tags=["handlers"])
Handler = Annotated[Principal, Depends(require_roles(Role.handler))]

LEGAL_BASIS = {
    "complaint": [
        "《市场监督管理投诉举报处理暂行办法》第十四条（七个工作日内决定是否受理）",
        "同办法第二十一条（受理之日起四十五个工作日内调解）",
    ],
    "report": [
        "《市场监督管理行政处罚程序规定》第十八条（十五个工作日内核查并决定是否立案，可延长十五个工作日）"
    ],
}


def deadlines(c: Complaint) -> Deadlines:
    return Deadlines(
        accept_by=c.accept_due_at,
        resolve_by=c.resolve_due_at,
        extended=c.extended,
        legal_basis=LEGAL_BASIS[c.kind],
    )


def summary(c: Complaint, ctx_now) -> ComplaintSummary:  # type: ignore[no-untyped-def]
    return ComplaintSummary(
        id=c.id,
        kind=c.kind,
        channel=c.channel,
        status=c.status,
        target_uscc=c.target_uscc,
        target_name=c.target_name,
        category=c.category,
        product=c.product,
        received_at=c.received_at,
        deadlines=deadlines(c),
        overdue=service.is_overdue(c, ctx_now),
        duplicate_of=c.duplicate_of,
    )


@public.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ComplaintCreated,
    dependencies=[Depends(rate_limited("intake"))],
    responses=responses(413, 422, 429),
)
async def file_complaint(
    body: ComplaintCreate, session: SessionDep, ctx: ContextDep, request: Request, response: Response
) -> ComplaintCreated:
    """File a complaint or a report (public; a report may be anonymous)."""
    limit = request.app.state.settings.max_attachment_bytes
    files = [
        evidence.decode(i, a.filename, a.content_base64, max_bytes=limit)
        for i, a in enumerate(body.attachments)
    ]
    complaint = await service.intake(session, data=body, evidence=files, ctx=ctx)
    response.headers["Location"] = f"/v1/complaints/track/{complaint.tracking_code}"
    return ComplaintCreated(
        id=complaint.id,
        tracking_code=complaint.tracking_code,
        kind=complaint.kind,
        status=complaint.status,
        deadlines=deadlines(complaint),
        duplicate_of=complaint.duplicate_of,
        # rewards hook (issue 20): a real-name report's claim secret, shown this once
        claim_secret=await rewards.issue_claim_secret(session, complaint=complaint, now=ctx.now),
    )


@public.get(
    "/track/{tracking_code}",
    response_model=TrackingAnswer,
    dependencies=[Depends(rate_limited("tracking"))],
    responses=responses(404, 429),
)
async def track_complaint(
    tracking_code: Annotated[str, Path(min_length=1, max_length=40)], session: SessionDep, ctx: ContextDep
) -> TrackingAnswer:
    """Status, dates and outcome by tracking code (public; no personal data)."""
    c = await service.by_tracking_code(session, tracking_code)
    steps = [TrackStep(status="received", at=c.received_at)] + [
        TrackStep(status=t.to_status, at=t.at)
        for t in await service.transitions_of(session, c.id)
        if t.action != "extend"
    ]
    return TrackingAnswer(
        tracking_code=c.tracking_code,
        kind=c.kind,
        channel=c.channel,
        status=c.status,
        received_at=c.received_at,
        deadlines=deadlines(c),
        outcome=c.outcome,
        steps=steps,
        reward=await reward_views.tracking_view(session, c.id, ctx.now),  # rewards hook (issue 20)
    )


@handlers.get("", response_model=Page[ComplaintSummary], responses=responses(401, 403, 422))
async def list_complaints(
    actor: Handler,
    session: SessionDep,
    ctx: ContextDep,
    status_: Annotated[str | None, Query(alias="status", max_length=16)] = None,
    uscc: UsccFormat | None = None,  # type: ignore[valid-type]
    overdue: bool | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Page[ComplaintSummary]:
    """Cases, newest first; `overdue=true` lists those past a legal deadline (handler)."""
    key = decode_cursor(cursor, TIME_AND_ID)
    rows = await service.search(
        session,
        status=status_,
        uscc=uscc,
        overdue=overdue,
        now=ctx.now,
        after=(str(key[0]), str(key[1])) if key else None,
        limit=limit,
    )
    next_cursor = (
        encode_cursor(rows[-1].received_at.isoformat(), str(rows[-1].id)) if len(rows) == limit else None
    )
    return Page[ComplaintSummary](items=[summary(c, ctx.now) for c in rows], next_cursor=next_cursor)


async def _detail(session: SessionDep, c: Complaint, ctx: ContextDep) -> ComplaintDetail:
    vault = ctx.vault
    reporter = (
        None
        if c.anonymous
        else ReporterOut(
            name=vault.open(c.reporter_name_enc),
            phone=vault.open(c.reporter_phone_enc),
            email=vault.open(c.reporter_email_enc),
        )
    )
    finding = (
        Finding(severity=c.finding_severity, category=c.finding_category)  # type: ignore[arg-type]
        if c.finding_severity
        else None
    )
    return ComplaintDetail(
        **summary(c, ctx.now).model_dump(),
        tracking_code=c.tracking_code,
        description=c.description,
        reporter=reporter,
        anonymous=c.anonymous,
        finding=finding,
        outcome=c.outcome,
        transitions=[TransitionOut.model_validate(t) for t in await service.transitions_of(session, c.id)],
        attachments=[
            AttachmentOut(id=a.id, filename=a.filename, media_type=a.media_type, size=a.size, sha256=a.sha256)
            for a in await service.attachments_of(session, c.id)
        ],
        feed_status=await outbox.status_for(session, c.id),
    )


@handlers.get("/{complaint_id}", response_model=ComplaintDetail, responses=responses(401, 403, 404, 422))
async def read_complaint(
    actor: Handler, complaint_id: uuid.UUID, session: SessionDep, ctx: ContextDep
) -> ComplaintDetail:
    """One case with the reporter's identity, notes and evidence (handler)."""
    return await _detail(session, await service.get(session, complaint_id), ctx)


@handlers.get(
    "/{complaint_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={
        200: {
            "description": "the file, as its content was recognised at intake",
            "content": {media: {} for media in evidence.MEDIA_TYPES},
        },
        **responses(401, 403, 404, 422),
    },
)
async def download_attachment(
    actor: Handler, complaint_id: uuid.UUID, attachment_id: uuid.UUID, session: SessionDep
) -> Response:
    """An evidence file (handler)."""
    found = await service.attachment(session, complaint_id, attachment_id)
    return Response(
        found.content,
        media_type=found.media_type,
        headers={
            "Content-Disposition": "attachment",
            "X-Content-SHA256": found.sha256,
            "X-Content-Type-Options": "nosniff",
        },
    )


@handlers.post(
    "/{complaint_id}/transitions",
    response_model=ComplaintDetail,
    responses=responses(401, 403, 404, 409, 422),
)
async def move_complaint(
    actor: Handler,
    complaint_id: uuid.UUID,
    body: TransitionCreate,
    session: SessionDep,
    ctx: ContextDep,
    request: Request,
    background: BackgroundTasks,
) -> ComplaintDetail:
    """Move a case through the workflow; substantiating queues the registry credit event (handler)."""
    complaint = await service.transition(session, complaint_id=complaint_id, data=body, actor=actor, ctx=ctx)
    # notifications hook (issue 20): what this step must tell whom, queued in its transaction
    await notifications.on_transition(session, complaint=complaint, action=body.action, ctx=ctx)
    background.add_task(wake_notifier, request.app)
    dispatcher = getattr(request.app.state, "dispatcher", None)
    if body.action == "substantiate" and dispatcher is not None:
        background.add_task(dispatcher.wake)  # runs after the commit, so the row is visible
    return await _detail(session, complaint, ctx)
