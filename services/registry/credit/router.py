"""Credit endpoints: events, revocation, the credit answer and its history."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from services.common.auth import Principal, require_roles
from services.common.db import SessionDep
from services.common.errors import responses
from services.common.roles import Role
from services.registry.credit import service
from services.registry.credit.models import CreditEvent
from services.registry.credit.schemas import (
    CreditEventCreate,
    CreditEventOut,
    RevocationCreate,
)
from services.registry.dependencies import NowDep, RulesDep, UsccPathDep

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
