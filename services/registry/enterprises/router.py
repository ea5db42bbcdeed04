"""Enterprise endpoints."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Response, status

from services.common.auth import OptionalPrincipalDep, Principal, require_roles
from services.common.db import SessionDep, writes_on_read
from services.common.errors import responses
from services.common.pagination import CODE, CodeCursor, LimitQuery, Page, decode_cursor, encode_cursor
from services.common.ratelimit import rate_limited
from services.common.roles import Role
from services.common.text import QUERY_PATTERN
from services.registry.access import log as access
from services.registry.dependencies import EnterpriseDep, InitialGradeDep, NowDep
from services.registry.enterprises import service
from services.registry.enterprises.divisions import describe
from services.registry.enterprises.models import Enterprise
from services.registry.enterprises.schemas import (
    EnterpriseCreate,
    EnterpriseFull,
    EnterprisePublic,
    EnterpriseUpdate,
)

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])
Regulator = Annotated[Principal, Depends(require_roles(Role.regulator))]


def public_fields(enterprise: Any) -> dict[str, Any]:
    """What anyone may see of an enterprise (a model or a row with the same attributes), as the JSON
    `EnterprisePublic` describes."""
    return public_fields_of(enterprise.uscc, enterprise.name, enterprise.status, enterprise.grade)


def public_fields_of(uscc: str, name: str, status: str, grade: str) -> dict[str, Any]:
    facts = describe(uscc)
    return {
        "uscc": uscc,
        "name": name,
        "region": {"division": facts.division, "province": facts.province},
        "entity_type": {
            "registration_authority": facts.registration_authority,
            "registration_authority_label": facts.authority_label,
            "code": facts.entity_type,
            "label": facts.entity_type_label,
        },
        "status": status,
        "grade": grade,
    }


def public_view(enterprise: Enterprise) -> EnterprisePublic:
    return EnterprisePublic.model_validate(public_fields(enterprise))


def full_view(enterprise: Enterprise) -> EnterpriseFull:
    return EnterpriseFull(
        **public_view(enterprise).model_dump(),
        address=enterprise.address,
        score=enterprise.score,
        rule_version=enterprise.rule_version,
        check_override_reason=enterprise.check_override_reason,
        created_at=enterprise.created_at,
        created_by=enterprise.created_by,
        updated_at=enterprise.updated_at,
    )


def sees_full_record(principal: Principal | None, code: str) -> bool:
    if principal is None:
        return False
    return principal.role is Role.regulator or (principal.role is Role.enterprise and principal.uscc == code)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=EnterpriseFull,
    responses=responses(401, 403, 409, 422),
)
async def create_enterprise(
    actor: Regulator,
    body: EnterpriseCreate,
    session: SessionDep,
    initial: InitialGradeDep,
    now: NowDep,
    response: Response,
) -> EnterpriseFull:
    """Register an enterprise (regulator)."""
    enterprise = await service.register(session, data=body, actor=actor, initial=initial, now=now)
    response.headers["Location"] = f"/v1/enterprises/{enterprise.uscc}"
    return full_view(enterprise)


@router.get(
    "",
    response_model=Page[EnterprisePublic],
    dependencies=[Depends(rate_limited("search"))],
    responses=responses(422, 429),
)
async def search_enterprises(
    session: SessionDep,
    now: NowDep,
    principal: OptionalPrincipalDep,
    q: Annotated[
        str | None, Query(max_length=100, pattern=QUERY_PATTERN, description="name substring")
    ] = None,
    region: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="division code prefix")] = None,
    grade: Annotated[str | None, Query(max_length=4, pattern=QUERY_PATTERN)] = None,
    cursor: CodeCursor = None,
    limit: LimitQuery = 20,
    purpose: access.PurposeHeader = None,
) -> Response:
    """Search enterprises by name substring, region prefix and grade (public)."""
    purpose = access.require_purpose(principal, purpose)
    key = decode_cursor(cursor, CODE)
    # Columns only, without a transaction (no BEGIN/COMMIT round trips for the public's searches).
    rows = await service.search_rows(
        session,
        q=q.strip() if q else None,
        region=region,
        grade=grade,
        after=str(key[0]) if key else None,
        limit=limit,
    )
    # The read session is in autocommit: a partner's log row is written (and committed) here,
    # before the answer leaves, so no answer goes out unlogged.
    await access.log_lookup(
        session, principal=principal, lookup="search", purpose=purpose, codes=[r.uscc for r in rows], now=now
    )
    page = {
        "items": [public_fields(r) for r in rows],
        "next_cursor": encode_cursor(rows[-1].uscc) if len(rows) == limit else None,
    }
    return Response(orjson.dumps(page), media_type="application/json")


@router.get("/{uscc}", response_model=EnterpriseFull | EnterprisePublic, responses=responses(401, 404, 422))
@writes_on_read
async def read_enterprise(
    enterprise: EnterpriseDep,
    principal: OptionalPrincipalDep,
    session: SessionDep,
    now: NowDep,
    purpose: access.PurposeHeader = None,
) -> EnterpriseFull | EnterprisePublic:
    """One enterprise: the public subset, or the full record for a regulator or the enterprise."""
    purpose = access.require_purpose(principal, purpose)
    await access.log_lookup(
        session, principal=principal, lookup="enterprise", purpose=purpose, codes=[enterprise.uscc], now=now
    )
    if sees_full_record(principal, enterprise.uscc):
        return full_view(enterprise)
    return public_view(enterprise)


@router.patch("/{uscc}", response_model=EnterpriseFull, responses=responses(401, 403, 404, 422))
async def update_enterprise(
    actor: Regulator,
    enterprise: EnterpriseDep,
    body: EnterpriseUpdate,
    session: SessionDep,
    now: NowDep,
) -> EnterpriseFull:
    """Change name, address or status (regulator)."""
    updated = await service.update(session, enterprise=enterprise, data=body, actor=actor, now=now)
    return full_view(updated)
