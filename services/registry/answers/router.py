"""The credit answer and the partner batch: their declarations (the OpenAPI contract).

Both are served by `answers/hot.py`, installed ahead of every other route; these declarations
describe them and delegate to the same handlers. They read credit, lists and the feed position,
and log a partner's lookup, so they sit above them all.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.common.auth import OptionalPrincipalDep, PrincipalDep
from services.common.errors import responses
from services.registry.access import log as access
from services.registry.answers import hot
from services.registry.credit.schemas import CreditAnswer
from services.registry.dependencies import UsccPathDep
from services.registry.partners.schemas import BatchAnswer, BatchRequest

router = APIRouter(tags=["credit"])
batch_router = APIRouter(tags=["partners"])


@router.get(hot.CREDIT_PATH, response_model=CreditAnswer, responses=responses(401, 404, 422))
async def read_credit(
    request: Request,
    uscc: UsccPathDep,
    principal: OptionalPrincipalDep,
    purpose: access.PurposeHeader = None,
) -> Response:
    """Score, grade, list status and the explanation: which rules and which events made it.

    Public. A partner calling with its token states a purpose (`X-Purpose`) and is logged.
    """
    return await hot.credit(request)


@batch_router.post(hot.BATCH_PATH, response_model=BatchAnswer, responses=responses(401, 403, 413, 422))
async def credit_status_batch(
    request: Request,
    actor: PrincipalDep,
    body: BatchRequest,
    purpose: access.PurposeHeader = None,
) -> Response:
    """Credit status of many codes at once (partner, regulator); each found, not_found or invalid."""
    return await hot.batch(request)
