"""The credit answer: the stored grade, list status and explanation of one enterprise.

It reads credit, lists and the feed cursor, and logs a partner's lookup, so it sits above them all.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.common.auth import OptionalPrincipalDep
from services.common.db import SessionDep, writes_on_read
from services.common.errors import responses
from services.registry.access import log as access
from services.registry.answers import lookup
from services.registry.credit.schemas import CreditAnswer
from services.registry.dependencies import NowDep, RulesDep, UsccPathDep

router = APIRouter(tags=["credit"])


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
