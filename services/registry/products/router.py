"""Product endpoints: company prefixes, items, the barcode lookup, failed products and recalls."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from services.common import gtin
from services.common.auth import Principal, ensure_own_code, require_roles
from services.common.db import SessionDep
from services.common.errors import NotFound, PayloadTooLarge, responses
from services.common.pagination import (
    CODE,
    CodeCursor,
    LimitQuery,
    Page,
    TimeAndIdCursor,
    decode_cursor,
    encode_cursor,
    time_and_id_after,
)
from services.common.ratelimit import rate_limited
from services.common.roles import Role
from services.common.uscc import UsccFormat
from services.registry.access import log as access
from services.registry.dependencies import EnterpriseDep, NowDep, RulesDep
from services.registry.products import lookup, service
from services.registry.products.schemas import (
    PrefixCreate,
    PrefixOut,
    PrefixUpdate,
    ProductBatchAnswer,
    ProductBatchRequest,
    ProductCreate,
    ProductEvent,
    ProductLookup,
    ProductOut,
    ProductTrace,
)

router = APIRouter(tags=["products"])
Regulator = Annotated[Principal, Depends(require_roles(Role.regulator))]
Publisher = Annotated[Principal, Depends(require_roles(Role.enterprise, Role.regulator))]
Reader = Annotated[Principal, Depends(require_roles(Role.partner, Role.regulator))]
Tracer = Annotated[Principal, Depends(require_roles(Role.service, Role.regulator))]
PrefixPath = Annotated[str, Path(pattern=r"^\d{4,12}$", description="company prefix, 4 to 12 digits")]
GtinPath = Annotated[
    str,
    Path(min_length=1, max_length=40, description="GTIN-8, -12, -13 or -14", json_schema_extra=gtin.SCHEMA),
]


@router.post(
    "/v1/company-prefixes",
    status_code=status.HTTP_201_CREATED,
    response_model=PrefixOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def register_prefix(
    actor: Regulator, body: PrefixCreate, session: SessionDep, now: NowDep, response: Response
) -> PrefixOut:
    """Register a company prefix (厂商识别代码) to an enterprise (regulator)."""
    prefix = await service.register_prefix(session, data=body, actor=actor, now=now)
    response.headers["Location"] = f"/v1/company-prefixes/{prefix.prefix}"
    return lookup.prefix_view(prefix, now)


@router.get("/v1/company-prefixes", response_model=Page[PrefixOut], responses=responses(422))
async def list_prefixes(
    session: SessionDep,
    now: NowDep,
    uscc: Annotated[UsccFormat | None, Query()] = None,  # type: ignore[valid-type]
    prefix_status: Annotated[Literal["valid", "expired", "cancelled"] | None, Query(alias="status")] = None,
    cursor: CodeCursor = None,
    limit: LimitQuery = 50,
) -> Page[PrefixOut]:
    """Members and their prefixes, cancellations included (public; Arts. 11 and 29)."""
    key = decode_cursor(cursor, CODE)
    rows = await service.list_prefixes(
        session, uscc=uscc, status=prefix_status, now=now, after=str(key[0]) if key else None, limit=limit
    )
    next_cursor = encode_cursor(rows[-1][0].prefix) if len(rows) == limit else None
    return Page[PrefixOut](
        items=[lookup.prefix_view(p, now, name) for p, name in rows], next_cursor=next_cursor
    )


@router.get("/v1/company-prefixes/{prefix}", response_model=PrefixOut, responses=responses(404, 422))
async def read_prefix(prefix: PrefixPath, session: SessionDep, now: NowDep) -> PrefixOut:
    """One company prefix with its holder and status (public)."""
    return lookup.prefix_view(await service.get_prefix(session, prefix), now)


@router.post(
    "/v1/company-prefixes/{prefix}/transitions",
    response_model=PrefixOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def change_prefix(
    actor: Regulator, prefix: PrefixPath, body: PrefixUpdate, session: SessionDep, now: NowDep
) -> PrefixOut:
    """Renew (续展) or cancel (注销) a company prefix (regulator)."""
    return lookup.prefix_view(
        await service.update_prefix(session, prefix=prefix, data=body, actor=actor, now=now), now
    )


@router.post(
    "/v1/enterprises/{uscc}/products",
    status_code=status.HTTP_201_CREATED,
    response_model=ProductOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def publish_product(
    actor: Publisher,
    enterprise: EnterpriseDep,
    body: ProductCreate,
    session: SessionDep,
    now: NowDep,
    response: Response,
) -> ProductOut:
    """Publish an item under the enterprise's own prefix (the enterprise itself, or a regulator)."""
    ensure_own_code(actor, enterprise.uscc)
    product = await service.publish(session, uscc=enterprise.uscc, data=body, actor=actor, now=now)
    response.headers["Location"] = f"/v1/products/{product.gtin}"
    return lookup.product_view(product)


@router.get("/v1/enterprises/{uscc}/products", response_model=Page[ProductOut], responses=responses(404, 422))
async def list_products(
    enterprise: EnterpriseDep, session: SessionDep, cursor: CodeCursor = None, limit: LimitQuery = 50
) -> Page[ProductOut]:
    """The items an enterprise has published (public)."""
    key = decode_cursor(cursor, CODE)
    rows = await service.items_of(
        session, uscc=enterprise.uscc, after=str(key[0]) if key else None, limit=limit
    )
    next_cursor = encode_cursor(rows[-1].gtin14) if len(rows) == limit else None
    return Page[ProductOut](items=[lookup.product_view(p) for p in rows], next_cursor=next_cursor)


@router.get(
    "/v1/products/{gtin}",
    response_model=ProductLookup,
    dependencies=[Depends(rate_limited("search"))],
    responses=responses(404, 422, 429),
)
async def lookup_product(gtin: GtinPath, session: SessionDep, rules: RulesDep, now: NowDep) -> ProductLookup:
    """Look up a barcode: the item, or the enterprise holding its prefix, with grade and warnings (public)."""
    code = service.parse_gtin(gtin)
    return await lookup.lookup(session, code=code, rules=rules, now=now)


@router.get("/v1/products/{gtin}/trace", response_model=ProductTrace, responses=responses(401, 403, 422))
async def trace_product(
    actor: Tracer, gtin: GtinPath, session: SessionDep, rules: RulesDep, now: NowDep
) -> ProductTrace:
    """The enterprise answering for a barcode (the complaints service, regulators); not_found is a 200."""
    code = service.parse_gtin(gtin)
    try:
        found = await lookup.lookup(session, code=code, rules=rules, now=now)
    except NotFound:
        return ProductTrace(gtin=code, result="not_found", uscc=None, name=None, product=None, warnings=[])
    return ProductTrace(
        gtin=code,
        result=found.result,
        uscc=found.uscc,
        name=found.enterprise.name if found.enterprise else None,
        product=found.item.name if found.item else None,
        warnings=[w.code for w in found.warnings],
    )


@router.post("/v1/products:batch", response_model=ProductBatchAnswer, responses=responses(401, 403, 413, 422))
async def lookup_batch(
    actor: Reader,
    body: ProductBatchRequest,
    session: SessionDep,
    now: NowDep,
    request: Request,
    purpose: access.PurposeHeader = None,
) -> ProductBatchAnswer:
    """Look up many barcodes at once (partner, regulator); every partner query is logged."""
    limit = request.app.state.settings.batch_max_codes
    if len(body.gtins) > limit:
        raise PayloadTooLarge(f"at most {limit} GTINs per batch, got {len(body.gtins)}", limit=limit)
    purpose = access.require_purpose(actor, purpose)
    items = await lookup.batch(session, raw_codes=body.gtins, now=now)
    await access.log_lookup(
        session,
        principal=actor,
        lookup="products:batch",
        purpose=purpose,
        codes=[i.uscc for i in items if i.uscc],
        now=now,
    )
    return ProductBatchAnswer(items=items, as_of=now)


async def _events(kind: str, session: SessionDep, cursor: str | None, limit: int) -> Page[ProductEvent]:
    after = time_and_id_after(cursor)
    rows = await lookup.product_events(session, kind=kind, after=after, limit=limit)
    last = rows[-1] if len(rows) == limit else None
    next_cursor = encode_cursor(last.occurred_at.isoformat(), last.event_id) if last else None
    return Page[ProductEvent](items=rows, next_cursor=next_cursor)


@router.get(
    "/v1/failed-products",
    response_model=Page[ProductEvent],
    dependencies=[Depends(rate_limited("public_list"))],
    responses=responses(422, 429),
)
async def failed_products(
    session: SessionDep, cursor: TimeAndIdCursor = None, limit: LimitQuery = 50
) -> Page[ProductEvent]:
    """Products that failed a spot check (不合格产品公示), newest first (public)."""
    return await _events("spot_check_failed", session, cursor, limit)


@router.get(
    "/v1/recalls",
    response_model=Page[ProductEvent],
    dependencies=[Depends(rate_limited("public_list"))],
    responses=responses(422, 429),
)
async def recalls(
    session: SessionDep, cursor: TimeAndIdCursor = None, limit: LimitQuery = 50
) -> Page[ProductEvent]:
    """Defective-product recalls (缺陷产品召回), newest first (public)."""
    return await _events("recall", session, cursor, limit)
