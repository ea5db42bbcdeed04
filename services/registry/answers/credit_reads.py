"""Reading an enterprise's credit events and grade history: a partner's read is logged, so these sit
above the partners feature (the credit feature itself records and revokes)."""

from __future__ import annotations

from fastapi import APIRouter

from services.common.auth import OptionalPrincipalDep, ensure_own_code
from services.common.db import SessionDep, writes_on_read
from services.common.errors import responses
from services.common.pagination import (
    SEQUENCE,
    LimitQuery,
    Page,
    SequenceCursor,
    TimeAndIdCursor,
    decode_cursor,
    encode_cursor,
    time_and_id_after,
)
from services.registry.access import log as access
from services.registry.credit import service
from services.registry.credit.router import EventReader, event_view
from services.registry.credit.schemas import CreditEventOut, GradeChangeOut
from services.registry.dependencies import EnterpriseDep, NowDep

router = APIRouter(tags=["credit"])


@router.get(
    "/v1/enterprises/{uscc}/credit-events",
    response_model=Page[CreditEventOut],
    responses=responses(401, 403, 404, 422),
)
@writes_on_read
async def list_credit_events(
    actor: EventReader,
    enterprise: EnterpriseDep,
    session: SessionDep,
    now: NowDep,
    cursor: TimeAndIdCursor = None,
    limit: LimitQuery = 50,
    purpose: access.PurposeHeader = None,
) -> Page[CreditEventOut]:
    """Credit events of one enterprise, newest first, revoked ones included."""
    ensure_own_code(actor, enterprise.uscc)
    purpose = access.require_purpose(actor, purpose)
    await access.log_lookup(
        session, principal=actor, lookup="events", purpose=purpose, codes=[enterprise.uscc], now=now
    )
    after = time_and_id_after(cursor)
    rows = await service.list_events(
        session,
        uscc=enterprise.uscc,
        after=after,
        limit=limit,
    )
    next_cursor = (
        encode_cursor(rows[-1].recorded_at.isoformat(), str(rows[-1].id)) if len(rows) == limit else None
    )
    return Page[CreditEventOut](items=[event_view(e, now) for e in rows], next_cursor=next_cursor)


@router.get(
    "/v1/enterprises/{uscc}/credit/history",
    response_model=Page[GradeChangeOut],
    responses=responses(401, 404, 422),
)
@writes_on_read
async def read_credit_history(
    enterprise: EnterpriseDep,
    session: SessionDep,
    now: NowDep,
    principal: OptionalPrincipalDep,
    cursor: SequenceCursor = None,
    limit: LimitQuery = 50,
    purpose: access.PurposeHeader = None,
) -> Page[GradeChangeOut]:
    """Every grade change with its cause, newest first."""
    purpose = access.require_purpose(principal, purpose)
    await access.log_lookup(
        session, principal=principal, lookup="history", purpose=purpose, codes=[enterprise.uscc], now=now
    )
    key = decode_cursor(cursor, SEQUENCE)
    rows = await service.history(
        session, uscc=enterprise.uscc, before_id=int(key[0]) if key else None, limit=limit
    )
    next_cursor = encode_cursor(rows[-1].id) if len(rows) == limit else None
    return Page[GradeChangeOut](
        items=[GradeChangeOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )
