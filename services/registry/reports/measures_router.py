"""Joint measures (联动奖惩): what an enterprise's record implies for a use, and the catalogue itself."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.common.auth import Principal, ensure_own_code, require_roles
from services.common.db import SessionDep, writes_on_read
from services.common.errors import responses
from services.common.roles import Role
from services.registry.access import log as access
from services.registry.dependencies import EnterpriseDep, NowDep
from services.registry.measures.catalogue import load_catalogue
from services.registry.measures.schemas import MeasuresAnswer, Use
from services.registry.reports import record

router = APIRouter(tags=["joint measures"])
Reader = Annotated[Principal, Depends(require_roles(Role.enterprise, Role.partner, Role.regulator))]


@router.get(
    "/v1/enterprises/{uscc}/measures", response_model=MeasuresAnswer, responses=responses(401, 403, 404, 422)
)
@writes_on_read
async def read_measures(
    actor: Reader,
    enterprise: EnterpriseDep,
    session: SessionDep,
    now: NowDep,
    use: Annotated[Use, Query(description="the decision the measures are for")],
    purpose: access.PurposeHeader = None,
) -> MeasuresAnswer:
    """Applicable measures for a use, with the facts, legal basis and end of each (partner logged)."""
    ensure_own_code(actor, enterprise.uscc)
    purpose = access.require_purpose(actor, purpose)
    found = await record.measures_for_codes(session, [enterprise.uscc], use, now)
    await access.log_lookup(
        session, principal=actor, lookup="measures", purpose=purpose, codes=[enterprise.uscc], now=now
    )
    return MeasuresAnswer(
        uscc=enterprise.uscc,
        use=use,
        catalogue_version=load_catalogue().version,
        measures=found.get(enterprise.uscc, []),
        as_of=now,
    )


@router.get("/v1/measures-catalogue")
async def measures_catalogue() -> dict[str, Any]:
    """The joint-measures catalogue as it stands, with its sources and their status (public)."""
    return load_catalogue().raw
