"""Credit endpoints: events, revocation, the credit answer and its history."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from services.common.auth import OptionalPrincipalDep, Principal, ensure_own_code, require_roles
from services.common.db import SessionDep, writes_on_read
from services.common.errors import responses
from services.common.pagination import (
    SEQUENCE,
    TIME_AND_ID,
    CursorQuery,
    LimitQuery,
    Page,
    decode_cursor,
    encode_cursor,
)
from services.common.roles import Role
from services.registry.credit import lookup, service
from services.registry.credit.models import CreditEvent
from services.registry.credit.schemas import (
    CreditAnswer,
    CreditEventCreate,
    CreditEventOut,
    GradeChangeOut,
    RevocationCreate,
)
from services.registry.dependencies import EnterpriseDep, NowDep, RulesDep, UsccPathDep
from services.registry.partners import access

router = APIRouter(tags=["credit"])
Recorder = Annotated[Principal, Depends(require_roles(Role.regulator, Role.service))]
Regulator = Annotated[Principal, Depends(require_roles(Role.regulator))]
EventReader = Annotated[Principal, Depends(require_roles(Role.regulator, Role.enterprise, Role.partner))]


def event_view(event: CreditEvent, now) -> CreditEventOut:  # type: ignore[no-untyped-def]
    return CreditEventOut.model_validate(
        {
            **{c: getattr(event, c) for c in CreditEventOut.model_fields if hasattr(event, c)},
            "status": service.event_status(event, now),
        }
    )


@router.post(
    "/v1/enterprises/{uscc}/credit-events",
    status_code=status.HTTP_201_CREATED,
    response_model=CreditEventOut,
    responses={
        200: {"model": CreditEventOut, "description": "replay: the original event"},
        **responses(401, 403, 404, 409, 422),
    },
)
async def record_credit_event(
    actor: Recorder,
    uscc: UsccPathDep,
    body: CreditEventCreate,
    session: SessionDep,
    rules: RulesDep,
    now: NowDep,
    response: Response,
) -> CreditEventOut:
    """Record a credit event (regulator, or the complaints service); replays return the original."""
    recorded = await service.record_event(session, uscc=uscc, data=body, actor=actor, rules=rules, now=now)
    if not recorded.created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/v1/credit-events/{recorded.event.id}"
    return event_view(recorded.event, now)


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
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
    purpose: access.PurposeHeader = None,
) -> Page[CreditEventOut]:
    """Credit events of one enterprise, newest first, revoked ones included."""
    ensure_own_code(actor, enterprise.uscc)
    purpose = access.require_purpose(actor, purpose)
    await access.log_lookup(
        session, principal=actor, lookup="events", purpose=purpose, codes=[enterprise.uscc], now=now
    )
    key = decode_cursor(cursor, TIME_AND_ID)
    rows = await service.list_events(
        session,
        uscc=enterprise.uscc,
        after=(str(key[0]), str(key[1])) if key else None,
        limit=limit,
    )
    next_cursor = (
        encode_cursor(rows[-1].recorded_at.isoformat(), str(rows[-1].id)) if len(rows) == limit else None
    )
    return Page[CreditEventOut](items=[event_view(e, now) for e in rows], next_cursor=next_cursor)


@router.post(
    "/v1/credit-events/{event_id}/revocation",
    response_model=CreditEventOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def revoke_credit_event(
    actor: Regulator,
    event_id: uuid.UUID,
    body: RevocationCreate,
    session: SessionDep,
    rules: RulesDep,
    now: NowDep,
) -> CreditEventOut:
    """Revoke an event (e.g. overturned on appeal); the enterprise is re-graded (regulator)."""
    event = await service.revoke_event(
        session, event_id=event_id, reason=body.reason, actor=actor, rules=rules, now=now
    )
    return event_view(event, now)


@router.get("/v1/enterprises/{uscc}/credit", response_model=CreditAnswer, responses=responses(401, 404, 422))
@writes_on_read
async def read_credit(
    uscc: UsccPathDep,
    session: SessionDep,
    rules: RulesDep,
    now: NowDep,
    principal: OptionalPrincipalDep,
    purpose: access.PurposeHeader = None,
) -> Response:
    """Score, grade, list status and the explanation: which rules and which events made it.

    Public. A partner calling with its token states a purpose (`X-Purpose`) and is logged.
    """
    purpose = access.require_purpose(principal, purpose)
    answer = await lookup.credit_answer(session, uscc=uscc, rules=rules, now=now)
    await access.log_lookup(
        session, principal=principal, lookup="single", purpose=purpose, codes=[uscc], now=now
    )
    # Already a validated CreditAnswer: serialise it once rather than have the framework re-validate it.
    return Response(answer.model_dump_json(), media_type="application/json")


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
    cursor: CursorQuery = None,
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
