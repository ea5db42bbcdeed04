"""Partner endpoints: batch credit status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.common.auth import Principal, require_roles
from services.common.db import SessionDep
from services.common.errors import PayloadTooLarge, responses
from services.common.roles import Role
from services.registry.dependencies import NowDep
from services.registry.partners import service
from services.registry.partners.schemas import BatchAnswer, BatchRequest

router = APIRouter(tags=["partners"])
Reader = Annotated[Principal, Depends(require_roles(Role.partner, Role.regulator))]


@router.post("/v1/credit-status:batch", response_model=BatchAnswer, responses=responses(401, 403, 413, 422))
async def credit_status_batch(
    actor: Reader, body: BatchRequest, session: SessionDep, now: NowDep, request: Request
) -> BatchAnswer:
    """Credit status of many codes at once (partner, regulator); each found, not_found or invalid."""
    limit = request.app.state.settings.batch_max_codes
    if len(body.usccs) > limit:
        raise PayloadTooLarge(f"at most {limit} codes per batch, got {len(body.usccs)}", limit=limit)
    items = await service.batch_status(session, codes=body.usccs, now=now)
    return BatchAnswer(items=items, as_of=now)
