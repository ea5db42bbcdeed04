"""Partner endpoints: batch credit status, the change feed, the access log."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from services.common.auth import Principal, ensure_own_code, require_roles
from services.common.db import SessionDep, writes_on_read
from services.common.errors import responses
from services.common.pagination import (
    MAX_SEQUENCE,
    SEQUENCE,
    LimitQuery,
    Page,
    SequenceCursor,
    decode_cursor,
    encode_cursor,
)
from services.common.roles import Role
from services.common.text import QUERY_PATTERN
from services.common.uscc import UsccFormat
from services.registry.access import log as access
from services.registry.dependencies import EnterpriseDep, NowDep
from services.registry.ledger import feed
from services.registry.ledger import service as ledger
from services.registry.partners import webhooks
from services.registry.partners.models import Subscription
from services.registry.partners.schemas import (
    AccessLogOut,
    ChangeOut,
    ChangePage,
    ReplayRequest,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionOut,
)

router = APIRouter(tags=["partners"])
Reader = Annotated[Principal, Depends(require_roles(Role.partner, Role.regulator))]
Regulator = Annotated[Principal, Depends(require_roles(Role.regulator))]
Partner = Annotated[Principal, Depends(require_roles(Role.partner))]
OwnerOrRegulator = Annotated[Principal, Depends(require_roles(Role.enterprise, Role.regulator))]


@router.get("/v1/changes", response_model=ChangePage, responses=responses(401, 403, 422))
@writes_on_read
async def read_changes(
    request: Request,
    actor: Reader,
    session: SessionDep,
    now: NowDep,
    purpose: access.PurposeHeader = None,
    after: Annotated[
        int, Query(ge=0, le=MAX_SEQUENCE, description="next_cursor of the previous page (0: from the start)")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ChangePage:
    """Changes in commit order after a cursor: no gaps, no repeats (partner, regulator)."""
    purpose = access.require_purpose(actor, purpose)
    await feed.sequence(request.app.state.sessions)  # number everything committed before this request
    rows = await ledger.changes_after(session, after=after, limit=limit)
    await access.log_lookup(
        session, principal=actor, lookup="feed", purpose=purpose, codes=[r.uscc for r in rows], now=now
    )
    return ChangePage(
        items=[ChangeOut(seq=r.position, kind=r.kind, uscc=r.uscc, data=r.data, at=r.at) for r in rows],  # type: ignore[arg-type]
        next_cursor=str(rows[-1].position if rows else after),
        as_of=now,
    )


def _access_page(rows) -> Page[AccessLogOut]:  # type: ignore[no-untyped-def]
    return Page[AccessLogOut](
        items=[
            AccessLogOut(
                id=r.id,
                at=r.at,
                partner=r.partner,
                lookup=r.lookup,
                purpose=r.purpose,
                code_count=r.code_count,
                usccs=r.usccs[:50],  # the row keeps every code; the view shows the first 50
            )
            for r in rows
        ],
        next_cursor=encode_cursor(rows[-1].id) if rows else None,
    )


@router.get("/v1/access-log", response_model=Page[AccessLogOut], responses=responses(401, 403, 422))
async def read_access_log(
    actor: Regulator,
    session: SessionDep,
    partner: Annotated[str | None, Query(max_length=200, pattern=QUERY_PATTERN)] = None,
    uscc: UsccFormat | None = None,  # type: ignore[valid-type]
    cursor: SequenceCursor = None,
    limit: LimitQuery = 50,
) -> Page[AccessLogOut]:
    """Who looked up what, when and why (regulator)."""
    key = decode_cursor(cursor, SEQUENCE)
    rows = await access.search(
        session, partner=partner, uscc=uscc, before=int(key[0]) if key else None, limit=limit
    )
    page = _access_page(rows)
    page.next_cursor = page.next_cursor if len(rows) == limit else None
    return page


@router.get(
    "/v1/enterprises/{uscc}/access-log",
    response_model=Page[AccessLogOut],
    responses=responses(401, 403, 404, 422),
)
async def read_own_access_log(
    actor: OwnerOrRegulator,
    enterprise: EnterpriseDep,
    session: SessionDep,
    cursor: SequenceCursor = None,
    limit: LimitQuery = 50,
) -> Page[AccessLogOut]:
    """Which partners looked this enterprise up (the enterprise itself, or a regulator)."""
    ensure_own_code(actor, enterprise.uscc)
    key = decode_cursor(cursor, SEQUENCE)
    rows = await access.search(
        session, partner=None, uscc=enterprise.uscc, before=int(key[0]) if key else None, limit=limit
    )
    page = _access_page(rows)
    page.next_cursor = page.next_cursor if len(rows) == limit else None
    return page


def _subscription(s: Subscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=str(s.id),
        url=s.url,
        kinds=s.kinds,
        active=s.active,
        cursor=str(s.cursor),
        attempts=s.attempts,
        last_error=s.last_error,
        created_at=s.created_at,
    )


@router.post(
    "/v1/subscriptions",
    status_code=201,
    response_model=SubscriptionCreated,
    responses=responses(401, 403, 422),
)
async def create_subscription(
    actor: Partner, body: SubscriptionCreate, session: SessionDep, now: NowDep, request: Request
) -> SubscriptionCreated:
    """Register a webhook for change kinds; the answer holds the signing secret, shown once (partner)."""
    created = await webhooks.create(
        session,
        partner=actor,
        url=body.url,
        kinds=body.kinds,
        after=body.after,
        now=now,
        production=request.app.state.settings.is_production,
        private_targets=request.app.state.settings.webhook_private_targets,
    )
    return SubscriptionCreated(**_subscription(created).model_dump(), secret=created.secret)


@router.get("/v1/subscriptions", response_model=list[SubscriptionOut], responses=responses(401, 403))
async def list_subscriptions(actor: Partner, session: SessionDep) -> list[SubscriptionOut]:
    """The partner's own webhooks with their delivery state (partner)."""
    return [_subscription(s) for s in await webhooks.of_partner(session, actor)]


@router.post(
    "/v1/subscriptions/{subscription_id}/replay",
    response_model=SubscriptionOut,
    responses=responses(401, 403, 404, 422),
)
async def replay_subscription(
    actor: Partner, subscription_id: uuid.UUID, body: ReplayRequest, session: SessionDep, now: NowDep
) -> SubscriptionOut:
    """Deliver again from a feed cursor (partner)."""
    found = await webhooks.owned(session, subscription_id, actor)
    return _subscription(await webhooks.replay(session, found, after=body.after, now=now))


@router.delete(
    "/v1/subscriptions/{subscription_id}",
    response_model=SubscriptionOut,
    responses=responses(401, 403, 404, 422),
)
async def cancel_subscription(
    actor: Partner, subscription_id: uuid.UUID, session: SessionDep
) -> SubscriptionOut:
    """Stop deliveries (partner)."""
    found = await webhooks.owned(session, subscription_id, actor)
    found.active = False
    await session.flush()
    return _subscription(found)
