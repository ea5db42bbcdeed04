"""Notification endpoints (handler): the outbox with due dates, retries, the respondent's contact."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.common.auth import Principal, require_roles
from services.common.db import SessionDep
from services.common.errors import responses
from services.common.pagination import (
    SEQUENCE,
    LimitQuery,
    Page,
    SequenceCursor,
    decode_cursor,
    encode_cursor,
)
from services.common.roles import Role
from services.common.text import QUERY_PATTERN
from services.complaints.cases import service as cases
from services.complaints.dependencies import ContextDep
from services.complaints.notifications import service
from services.complaints.notifications.schemas import ContactIn, ContactOut, NotificationOut

router = APIRouter(tags=["notifications"])
Handler = Annotated[Principal, Depends(require_roles(Role.handler))]


@router.get("/v1/notifications", response_model=Page[NotificationOut], responses=responses(401, 403, 422))
async def list_notifications(
    actor: Handler,
    session: SessionDep,
    status: Annotated[str | None, Query(max_length=16, pattern=QUERY_PATTERN)] = None,
    complaint_id: uuid.UUID | None = None,
    cursor: SequenceCursor = None,
    limit: LimitQuery = 50,
) -> Page[NotificationOut]:
    """Queued and sent notifications with their legal due dates; never the address or text (handler)."""
    key = decode_cursor(cursor, SEQUENCE)
    rows = await service.listing(
        session, status=status, complaint_id=complaint_id, after=key[0] if key else None, limit=limit
    )
    next_cursor = encode_cursor(rows[-1].id) if len(rows) == limit else None
    return Page[NotificationOut](
        items=[NotificationOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.post(
    "/v1/notifications/{notification_id}/retry",
    response_model=NotificationOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def retry_notification(
    actor: Handler, notification_id: int, session: SessionDep, ctx: ContextDep
) -> NotificationOut:
    """Queue a failed notification again (handler)."""
    return NotificationOut.model_validate(
        await service.retry(session, message_id=notification_id, now=ctx.now)
    )


@router.put(
    "/v1/complaints/{complaint_id}/respondent-contact",
    response_model=ContactOut,
    responses=responses(401, 403, 404, 422),
)
async def set_respondent_contact(
    actor: Handler, complaint_id: uuid.UUID, body: ContactIn, session: SessionDep, ctx: ContextDep
) -> ContactOut:
    """How to reach the respondent for the end-of-mediation notice; sealed at rest (handler)."""
    complaint = await cases.get(session, complaint_id)
    await service.set_respondent_contact(
        session, complaint=complaint, phone=body.phone, email=body.email, vault=ctx.vault, now=ctx.now
    )
    return ContactOut(party="respondent", channel="sms" if body.phone else "email")
