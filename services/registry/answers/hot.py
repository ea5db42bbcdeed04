"""The most frequent requests served without the framework's per-request machinery.

`GET /v1/enterprises/{uscc}/credit` and `POST /v1/credit-status:batch` are plain Starlette routes
placed ahead of every other route (`install`), so no dependency graph is resolved and no response
model validated per request: the code is checked, the token verified (a verified token is cached
briefly by its hash, see `TokenVerifier`), the purpose checked, one statement run and the answer
serialised from its rows once. Their FastAPI declarations in `answers/router.py` document them (the
OpenAPI contract) and delegate here; errors are the same problem+json exceptions as everywhere.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from services.common import uscc as uscc_rules
from services.common.auth import Principal, TokenVerifier, check_roles
from services.common.errors import NotFound, PayloadTooLarge, Unprocessable
from services.common.pagination import MAX_LIMIT, encode_cursor
from services.common.ratelimit import rate_limited
from services.common.roles import Role
from services.common.text import search_text
from services.registry.access import log as access
from services.registry.answers import render
from services.registry.enterprises.router import public_fields_of
from services.registry.partners.schemas import BatchRequest

CREDIT_PATH = "/v1/enterprises/{uscc}/credit"
BATCH_PATH = "/v1/credit-status:batch"
SEARCH_PATH = "/v1/enterprises"
_JSON = "application/json"
_MAX_CODE = 40
_MAX_PURPOSE = 200


async def principal_of(request: Request) -> Principal | None:
    """The bearer token's principal; None without one (as HTTPBearer(auto_error=False) reads it)."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    verifier: TokenVerifier = request.app.state.verifier
    principal = await verifier.verify(token)
    request.state.principal = principal
    return principal


def _purpose(request: Request, principal: Principal | None) -> str | None:
    raw = request.headers.get("x-purpose")
    if raw is not None and len(raw) > _MAX_PURPOSE:
        raise Unprocessable(
            f"X-Purpose: at most {_MAX_PURPOSE} characters",
            errors=[{"field": "X-Purpose", "in": "header", "message": f"at most {_MAX_PURPOSE} characters"}],
        )
    return access.require_purpose(principal, raw)


def _path_code(raw: str) -> str:
    code = uscc_rules.normalise(raw)
    try:
        if len(raw) > _MAX_CODE:
            raise uscc_rules.UsccError("length", f"at most {_MAX_CODE} characters")
        uscc_rules.check_format(code)
    except uscc_rules.UsccError as exc:
        raise Unprocessable(
            f"uscc: {exc.message}", errors=[{"field": "uscc", "in": "path", "message": exc.message}]
        ) from exc
    return code


def _is_partner(principal: Principal | None) -> bool:
    return principal is not None and principal.role is Role.partner


async def credit(request: Request) -> Response:
    """Score, grade, list status and explanation of one enterprise; a partner's lookup is logged."""
    state = request.app.state
    code = _path_code(request.path_params["uscc"])
    principal = await principal_of(request)
    purpose = _purpose(request, principal)
    now = state.clock.now()
    horizon = await state.horizon.get()  # before the row: every change up to it is in the row
    row = await state.reads.credit_row(code, now)
    if row is None:
        raise NotFound(f"no enterprise with code {code}", uscc=code)
    if _is_partner(principal):
        assert principal is not None
        await state.reads.log_lookup(
            at=now, partner=principal.subject, lookup="single", purpose=purpose or "", codes=[code]
        )
    body = render.credit_body(row, rules=state.rule_book.in_force(now), now=now, horizon=horizon)
    return Response(body, media_type=_JSON)


def _normalised(codes: list[str]) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for raw in codes:
        code = uscc_rules.normalise(raw)
        try:
            uscc_rules.check_format(code)
            out.append((code, None))
        except uscc_rules.UsccError as exc:
            out.append((raw[:40], exc.message))
    return out


def _check_digit_errors(codes: set[str]) -> dict[str, str | None]:
    """Codes that are not registered: invalid when their check characters fail (a registered pilot
    code was found whatever its check characters), else simply not found."""
    errors: dict[str, str | None] = {}
    for code in codes:
        try:
            uscc_rules.check_digits(code)
            errors[code] = None
        except uscc_rules.UsccError as exc:
            errors[code] = exc.message
    return errors


async def _batch_request(request: Request) -> BatchRequest:
    body = await request.body()
    try:
        return BatchRequest.model_validate_json(body)
    except ValidationError as exc:
        errors: list[Any] = [{**e, "loc": ("body", *e.get("loc", ()))} for e in exc.errors()]
        raise RequestValidationError(errors, body=body) from exc


async def batch(request: Request) -> Response:
    """Credit status of many codes (partner, regulator): one statement, one access-log row."""
    state = request.app.state
    principal = await principal_of(request)
    check_roles(principal, frozenset({Role.partner, Role.regulator}))
    body = await _batch_request(request)
    limit = state.settings.batch_max_codes
    if len(body.usccs) > limit:
        raise PayloadTooLarge(f"at most {limit} codes per batch, got {len(body.usccs)}", limit=limit)
    purpose = _purpose(request, principal)
    now = state.clock.now()
    horizon = await state.horizon.get()  # before the data: replaying from here cannot miss a change
    codes = _normalised(body.usccs)
    wanted = sorted({c for c, error in codes if error is None})
    found = await state.reads.batch_rows(wanted, now) if wanted else {}
    missing = _check_digit_errors({c for c in wanted if c not in found})
    if _is_partner(principal):
        assert principal is not None
        looked_up = [c for c in wanted if missing.get(c) is None]
        await state.reads.log_lookup(
            at=now, partner=principal.subject, lookup="batch", purpose=purpose or "", codes=looked_up
        )
    measures = None
    if body.use is not None:  # joint measures: the provider is wired by the app (it reads features above)
        async with state.read_sessions() as session:
            measures = await state.measures_provider(session, list(found), body.use, now)
        measures = {code: [m.model_dump(mode="json") for m in ms] for code, ms in measures.items()}
    answer = render.batch_body(codes, found, missing, now=now, horizon=horizon, measures=measures)
    return Response(answer, media_type=_JSON)


_search_limit = rate_limited("search")
_DEFAULT_PAGE = 20


def plain_search(scope: Scope) -> tuple[str, int] | None:
    """(q, limit) when a search is the public's plain one: no token, only `q` (and `limit`), plain
    values. Anything else (a partner's search, a region, a grade, a cursor, a value to refuse) is
    left to the full route, which validates, words its errors and logs."""
    if any(name == b"authorization" for name, _ in scope["headers"]):
        return None
    params = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    found = dict(params)
    if len(found) != len(params) or not found.keys() <= {"q", "limit"} or "q" not in found:
        return None
    raw = found["q"]  # percent-decoded, as the full route receives it
    q = raw.strip()
    if not q or len(raw) > 100:
        return None
    limit = found.get("limit", str(_DEFAULT_PAGE))
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
        return None
    return q, int(limit)


async def search(request: Request) -> Response:
    """The public's name search (see `plain_search`): rate-limited, one statement, one serialisation."""
    q, limit = request.scope["qcr.search"]
    await _search_limit(request)
    term = search_text(q)
    pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await request.app.state.reads.search_rows(pattern, limit)
    page = {
        "items": [public_fields_of(*r) for r in rows],
        "next_cursor": encode_cursor(rows[-1][0]) if len(rows) == limit else None,
    }
    return Response(orjson.dumps(page), media_type=_JSON)


class _SearchRoute(Route):
    """Matches only the plain public search; every other search goes on to the full route."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is not Match.FULL:
            return (Match.NONE if match is Match.PARTIAL else match), child
        plain = plain_search(scope)
        if plain is None:
            return Match.NONE, child
        child["route"] = self
        child["qcr.search"] = plain
        return match, child


class _HotRoute(Route):
    """A Starlette route that names itself in the scope, as FastAPI's do (logs and metrics read the
    route template from there)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is not Match.NONE:
            child["route"] = self
        return match, child


def install(app: FastAPI) -> None:
    """Put the hot routes first: matched before the ~200 others are tried."""
    app.router.routes[0:0] = [
        _HotRoute(CREDIT_PATH, credit, methods=["GET"], name="read_credit"),
        _HotRoute(BATCH_PATH, batch, methods=["POST"], name="credit_status_batch"),
        _SearchRoute(SEARCH_PATH, search, methods=["GET"], name="search_enterprises"),
    ]
