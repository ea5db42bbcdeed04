"""Complaint endpoints: public intake and tracking; the handlers' workflow."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Request, Response, status

from services.common.auth import Principal, require_roles
from services.common.db import SessionDep
from services.common.errors import Unprocessable, responses
from services.common.pagination import (
    LimitQuery,
    Page,
    TimeAndIdCursor,
    encode_cursor,
    time_and_id_after,
)
from services.common.ratelimit import rate_limited
from services.common.roles import Role
from services.common.text import QUERY_PATTERN
from services.common.uscc import UsccFormat
from services.complaints.cases import evidence, service, tracing
from services.complaints.cases.models import Complaint
from services.complaints.cases.schemas import (
    AttachmentOut,
    ComplaintCreate,
    ComplaintCreated,
    ComplaintDetail,
    ComplaintSummary,
    Deadlines,
    Due,
    Finding,
    PlatformCaseCreate,
    ReporterOut,
    TargetSet,
    TrackingAnswer,
    TrackStep,
    TransitionCreate,
    TransitionOut,
)
from services.complaints.cases.service import Context, Received
from services.complaints.dependencies import ContextDep
from services.complaints.notifications import service as notifications
from services.complaints.notifications.dispatcher import wake_notifier
from services.complaints.outbox import service as outbox
from services.complaints.policy import CLOCK_ACTIONS, Policy
from services.complaints.rewards import router as reward_views
from services.complaints.rewards import service as rewards

public = APIRouter(prefix="/v1/complaints", tags=["public"])
handlers = APIRouter(prefix="/v1/complaints", tags=["handlers"])
Handler = Annotated[Principal, Depends(require_roles(Role.handler))]


def _due(at: datetime | None, provisional: bool, basis: str) -> Due | None:
    return Due(at=at, provisional=provisional, legal_basis=basis) if at is not None else None


def deadlines(c: Complaint, policy: Policy) -> Deadlines:
    """The case's deadlines with the articles of the rule set that governs it."""
    rules = policy.rule_set(c.rule_set)
    if c.kind == "complaint":
        accept_basis, resolve_basis, notify_basis = (
            rules.complaint_accept.basis,
            rules.mediation.basis,
            rules.parties_notice.basis,
        )
    else:
        accept_basis, resolve_basis = rules.report_decision.basis, rules.report_case.basis
        notify_basis = rules.reporter_notice.basis if rules.reporter_notice else ""
    accept = _due(c.accept_due_at, c.accept_due_provisional, accept_basis)
    assert accept is not None
    resolve = None
    if c.accepted_at is not None:
        resolve = _due(c.resolve_due_at, c.resolve_due_provisional, resolve_basis)
    bases = [accept_basis] + ([resolve_basis] if resolve else [])
    if c.notify_due_at is not None:
        bases.append(notify_basis)
    if c.violation_check_due_at is not None:
        bases.append(rules.violation_check.basis)
    if c.kind == "report":
        bases += [rules.confidentiality, rules.rewards]
    return Deadlines(
        rule_set=rules.key,
        regulation=rules.name,
        accept_by=accept,
        resolve_by=resolve,
        notify_by=_due(c.notify_due_at, c.notify_due_provisional, notify_basis),
        violation_check_by=_due(
            c.violation_check_due_at, c.violation_check_provisional, rules.violation_check.basis
        ),
        paused_since=c.paused_at,
        extended=c.extended,
        case_extended=c.case_extended,
        legal_basis=bases,
    )


def summary(c: Complaint, ctx: Context) -> ComplaintSummary:
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
        rule_set=c.rule_set,
        deadlines=deadlines(c, ctx.policy),
        overdue=service.is_overdue(c, ctx.now),
        duplicate_of=c.duplicate_of,
    )


def _evidence(body: ComplaintCreate, request: Request) -> list[evidence.Evidence]:
    limit = request.app.state.settings.max_attachment_bytes
    return [
        evidence.decode(i, a.filename, a.content_base64, max_bytes=limit)
        for i, a in enumerate(body.attachments)
    ]


async def _created(session: SessionDep, complaint: Complaint, ctx: Context) -> ComplaintCreated:
    return ComplaintCreated(
        id=complaint.id,
        tracking_code=complaint.tracking_code,
        kind=complaint.kind,
        status=complaint.status,
        deadlines=deadlines(complaint, ctx.policy),
        # rewards hook (issue 20): a real-name report's claim secret, shown this once (also to the
        # handler filing a platform case, who passes it on)
        claim_secret=await rewards.issue_claim_secret(session, complaint=complaint, now=ctx.now),
    )


@public.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ComplaintCreated,
    dependencies=[Depends(rate_limited("intake"))],
    responses=responses(413, 422, 429),
)
async def file_complaint(
    body: ComplaintCreate,
    session: SessionDep,
    ctx: ContextDep,
    request: Request,
    response: Response,
    registry: tracing.RegistryClientDep,
) -> ComplaintCreated:
    """File a complaint or a report (public; a report may be anonymous; a barcode may name the target)."""
    files = _evidence(body, request)
    found = await tracing.trace(registry, request, body.gtin) if body.gtin and not body.target_uscc else None
    complaint = await service.intake(
        session, data=tracing.with_target(body, found) if found else body, evidence=files, ctx=ctx
    )
    tracing.record(complaint, body, found)
    response.headers["Location"] = f"/v1/complaints/track/{complaint.tracking_code}"
    return await _created(session, complaint, ctx)


@handlers.post(
    "/intake",
    status_code=status.HTTP_201_CREATED,
    response_model=ComplaintCreated,
    responses=responses(401, 403, 413, 422),
)
async def file_platform_case(
    actor: Handler,
    body: PlatformCaseCreate,
    session: SessionDep,
    ctx: ContextDep,
    request: Request,
    response: Response,
) -> ComplaintCreated:
    """File a case that arrived through the 12315 platform or a hotline, with its original time of
    receipt; its deadlines run from that time (handler)."""
    errors = []
    if body.channel not in ctx.policy.handler_channels:
        errors.append(
            {
                "field": "channel",
                "message": f"a handler files cases from {', '.join(ctx.policy.handler_channels)}",
            }
        )
    if body.received_at > ctx.now:
        errors.append({"field": "received_at", "message": "is in the future"})
    oldest = ctx.now - timedelta(days=ctx.policy.received_at_max_age_days)
    if body.received_at < oldest:
        errors.append(
            {"field": "received_at", "message": f"more than {ctx.policy.received_at_max_age_days} days ago"}
        )
    if errors:
        raise Unprocessable("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)
    files = _evidence(body, request)
    received = Received(at=body.received_at, filed_by=actor.actor, platform_ref=body.platform_ref)
    data = ComplaintCreate.model_validate(body.model_dump(exclude={"received_at", "platform_ref"}))
    complaint = await service.intake(session, data=data, evidence=files, ctx=ctx, received=received)
    response.headers["Location"] = f"/v1/complaints/{complaint.id}"
    return await _created(session, complaint, ctx)


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
        if t.action not in CLOCK_ACTIONS and t.from_status != t.to_status
    ]
    return TrackingAnswer(
        tracking_code=c.tracking_code,
        kind=c.kind,
        channel=c.channel,
        status=c.status,
        received_at=c.received_at,
        deadlines=deadlines(c, ctx.policy),
        outcome=c.outcome,
        steps=steps,
        reward=await reward_views.tracking_view(session, c.id, ctx.now),  # rewards hook (issue 20)
    )


@handlers.get("", response_model=Page[ComplaintSummary], responses=responses(401, 403, 422))
async def list_complaints(
    actor: Handler,
    session: SessionDep,
    ctx: ContextDep,
    status_: Annotated[str | None, Query(alias="status", max_length=16, pattern=QUERY_PATTERN)] = None,
    uscc: UsccFormat | None = None,  # type: ignore[valid-type]
    overdue: bool | None = None,
    cursor: TimeAndIdCursor = None,
    limit: LimitQuery = 50,
) -> Page[ComplaintSummary]:
    """Cases, newest first; `overdue=true` lists those past a legal deadline (handler)."""
    after = time_and_id_after(cursor)
    rows = await service.search(
        session,
        status=status_,
        uscc=uscc,
        overdue=overdue,
        now=ctx.now,
        after=after,
        limit=limit,
    )
    next_cursor = (
        encode_cursor(rows[-1].received_at.isoformat(), str(rows[-1].id)) if len(rows) == limit else None
    )
    return Page[ComplaintSummary](items=[summary(c, ctx) for c in rows], next_cursor=next_cursor)


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
        **summary(c, ctx).model_dump(),
        allowed_actions=service.allowed_actions(c, ctx.policy),
        filed_by=c.filed_by,
        platform_ref=c.platform_ref,
        tracking_code=c.tracking_code,
        category_as_filed=c.category_as_filed,
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
        tracing=tracing.view(c),
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


def _wake_dispatcher(request: Request, background: BackgroundTasks) -> None:
    """A credit event may be queued: deliver it now. Runs after the commit, so the row is visible."""
    dispatcher = getattr(request.app.state, "dispatcher", None)
    if dispatcher is not None:
        background.add_task(dispatcher.wake)


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
    if body.action == "substantiate":
        _wake_dispatcher(request, background)
    return await _detail(session, complaint, ctx)


@handlers.put(
    "/{complaint_id}/target",
    response_model=ComplaintDetail,
    responses=responses(401, 403, 404, 409, 422),
)
async def set_complaint_target(
    actor: Handler,
    complaint_id: uuid.UUID,
    body: TargetSet,
    session: SessionDep,
    ctx: ContextDep,
    request: Request,
    background: BackgroundTasks,
) -> ComplaintDetail:
    """Match a case to its enterprise's code; a substantiated case's credit event follows (handler)."""
    complaint = await service.set_target(session, complaint_id=complaint_id, data=body, actor=actor, ctx=ctx)
    _wake_dispatcher(request, background)
    return await _detail(session, complaint, ctx)
