"""RFC 9457 problem details: one exception family, one renderer."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from services.common.observability import route_template

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://qcr.example/problems/"

logger = logging.getLogger("qcr.errors")


class DomainError(Exception):
    """A failure the client can act on; rendered as problem+json with its status."""

    status: int = 400
    title: str = "Bad request"
    slug: str = "bad-request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


class Unauthorized(DomainError):
    status, title, slug = 401, "Unauthorized", "unauthorized"

    def __init__(self, detail: str, **extra: Any):
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **extra)


class Forbidden(DomainError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(DomainError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(DomainError):
    status, title, slug = 409, "Conflict", "conflict"


class PayloadTooLarge(DomainError):
    status, title, slug = 413, "Payload too large", "payload-too-large"


class Unprocessable(DomainError):
    status, title, slug = 422, "Unprocessable content", "validation"


class TooManyRequests(DomainError):
    status, title, slug = 429, "Too many requests", "rate-limited"


class Unavailable(DomainError):
    status, title, slug = 503, "Service unavailable", "unavailable"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:] or parts
    return ".".join(parts) or "request"


def _without_tag(loc: tuple[Any, ...], body: Any) -> tuple[Any, ...]:
    """A body told apart by a field (a discriminated union) has the tag in the location, e.g.
    ("body", "revoke", "note"): the field is `note`. A tag is no key of the body but one of its values."""
    tagged = len(loc) > 2 and loc[0] == "body" and isinstance(body, dict) and isinstance(loc[1], str)
    if tagged and loc[1] not in body and loc[1] in {v for v in body.values() if isinstance(v, str)}:
        return (loc[0], *loc[2:])
    return loc


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    errors = []
    for err in exc.errors():
        message = str(err.get("msg", "invalid"))
        message = message.removeprefix("Value error, ")
        loc = _without_tag(tuple(err.get("loc", ())), exc.body)
        if err.get("type") in ("union_tag_invalid", "union_tag_not_found"):  # the tag field itself
            loc = (*loc, str(err.get("ctx", {}).get("discriminator", "")).strip("'"))
        errors.append(
            {
                "field": _field_name(loc),
                "in": str(loc[0]) if loc else "",
                "message": message,
            }
        )
    return errors


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this request's path."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        if route.path and route.methods and compile_path(route.path)[0].match(request.url.path):
            methods |= route.methods
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem(
            exc.status,
            exc.title,
            exc.detail,
            slug=exc.slug,
            instance=request.url.path,
            headers=exc.headers,
            extra=exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return problem(
            422,
            "Unprocessable content",
            detail or "invalid request",
            slug="validation",
            instance=request.url.path,
            extra={"errors": errors},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, (ValueError, RecursionError)):
            # FastAPI's answer to a body it cannot decode (not UTF-8, an integer too long to convert,
            # nesting too deep): its answer to a syntax error is already a 422, and these are no
            # different to the client.
            message = "not valid JSON (UTF-8)"
            return problem(
                422,
                "Unprocessable content",
                f"body: {message}",
                slug="validation",
                instance=request.url.path,
                extra={"errors": [{"field": "body", "in": "body", "message": message}]},
            )
        titles = {
            404: "Not found",
            405: "Method not allowed",
            413: "Payload too large",
            422: "Unprocessable content",
        }
        title = titles.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # The router names the methods of the first route whose path matched; the path may have
            # more routes (GET and POST on one collection are two): name them all.
            headers["Allow"] = ", ".join(allowed_methods(request))
        return problem(
            exc.status_code,
            title,
            detail,
            slug="validation" if exc.status_code == 422 else title.lower().replace(" ", "-"),
            instance=request.url.path,
            headers=headers,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The route template, never the path: a path can carry a tracking code or a reporter's data.
        logger.exception("unhandled error", extra={"route": route_template(request.scope)})
        return problem(
            500,
            "Internal server error",
            "an unexpected error occurred",
            slug="internal",
            instance=request.url.path,
        )


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": title,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for status, title in [
        (401, "Missing or invalid token"),
        (403, "Not allowed for this principal"),
        (404, "Not found"),
        (409, "Conflict with the current state"),
        (413, "Payload too large"),
        (422, "Invalid input"),
        (429, "Too many requests; see Retry-After"),
        (503, "Service unavailable"),
    ]
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI response declarations for the problem statuses a route can answer."""
    return {s: PROBLEM_RESPONSES[s] for s in statuses}
