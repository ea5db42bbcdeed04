"""Wiring both services share: errors, logs, metrics, body limit, auth, health and the database."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import TokenVerifier
from services.common.db import create_engine, read_session_factory, session_factory
from services.common.errors import PROBLEM_RESPONSES, Unavailable, install_error_handlers, responses
from services.common.middleware import ServiceMiddleware
from services.common.observability import (
    Metrics,
    configure_logging,
    metrics_endpoint,
)
from services.common.settings import ServiceSettings
from services.common.workdays import CalendarError, china_day, load_calendar
from services.common.workdays import configure as configure_calendar

Startup = Callable[[FastAPI], AbstractAsyncContextManager[None]]

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["type", "title", "status", "detail"],
}


def health_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @router.get("/readyz", responses=responses(503))
    async def readyz(request: Request) -> dict[str, Any]:
        """Readiness: the database answers; also how far the working-day calendar still reaches."""
        try:
            async with request.app.state.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            raise Unavailable("database unreachable") from exc
        # A short calendar does not make the service unready: deadlines past its end are answered
        # as provisional. It is reported so operators load the next notice in time.
        coverage = calendar_coverage(request.app)
        horizon: OpenDeadlines | None = getattr(request.app.state, "open_deadlines", None)
        if horizon is not None and "valid_to" in coverage:
            async with request.app.state.read_sessions() as session:
                latest = await horizon(session, _now(request.app))
            coverage["latest_open_deadline"] = latest.isoformat() if latest else None
            if latest is not None and latest > date.fromisoformat(coverage["valid_to"]):
                coverage["warning"] = (
                    f"a running deadline ends on {latest}, after the working-day calendar's last day "
                    f"({coverage['valid_to']}): it is provisional until the next State Council holiday "
                    "notice is loaded" + (f"; {coverage['warning']}" if coverage["warning"] else "")
                )
        return {"status": "ready", "calendar": coverage}

    router.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    return router


# The last day of the latest deadline still running in a service's database (None: none runs).
OpenDeadlines = Callable[[AsyncSession, datetime], Awaitable[date | None]]


def _now(app: FastAPI) -> datetime:
    clock = getattr(app.state, "clock", None)
    return clock.now() if clock is not None else datetime.now(UTC)  # type: ignore[no-any-return]


def calendar_coverage(app: FastAPI) -> dict[str, Any]:
    """How many days ahead the working-day calendar reaches, against the longest deadline."""
    settings: ServiceSettings = app.state.settings
    longest = settings.workdays_warn_days or getattr(app.state, "longest_deadline_days", 0) or 30
    today = china_day(_now(app))
    try:
        calendar = load_calendar(settings.workdays_file)
    except (OSError, CalendarError) as exc:
        return {
            "file": str(settings.workdays_file),
            "error": str(exc),
            "days_covered": 0,
            "warning": str(exc),
        }
    covered = calendar.days_covered_after(today)
    answer: dict[str, Any] = {
        "file": settings.workdays_file.name,
        "valid_to": calendar.valid_to.isoformat(),
        "days_covered": covered,
        "longest_deadline_days": longest,
        "warning": None,
    }
    if covered < longest:
        answer["warning"] = (
            f"the working-day calendar ends on {calendar.valid_to} ({covered} days ahead), sooner than the "
            f"longest deadline ({longest} days): new deadlines are provisional until the next State "
            "Council holiday notice is loaded"
        )
    return answer


def declare_shared_problems(schema: dict[str, Any]) -> None:
    """Declare the problems every operation can answer because of the shared wiring, whatever its
    route says: 422 as problem+json (FastAPI would document its own JSON shape), 413 wherever there
    is a body (the body limit), 401 wherever a token is read (a bad one is refused)."""
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            answers = operation.setdefault("responses", {})
            validation = answers.get("422", {}).get("content", {})
            if "application/json" in validation:
                answers["422"] = PROBLEM_RESPONSES[422]
            if "requestBody" in operation:
                answers.setdefault("413", PROBLEM_RESPONSES[413])
            if operation.get("security"):
                answers.setdefault("401", PROBLEM_RESPONSES[401])
    components = schema.get("components", {}).get("schemas", {})
    if "HTTPValidationError" not in json.dumps(schema.get("paths", {})):
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)


def build_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: list[APIRouter],
    startup: Startup | None = None,
    state: dict[str, Any] | None = None,
) -> FastAPI:
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size, echo=settings.db_echo)
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        app.state.read_sessions = read_session_factory(engine)
        try:
            if startup is not None:
                async with startup(app):
                    yield
            else:
                yield
        finally:
            await engine.dispose()

    # The documentation pages load Swagger UI and ReDoc from the service itself (the assets ship with
    # fastapi-offline): regulators' networks are often cut off from public CDNs. No call to the
    # public schema validator either.
    app = FastAPIOffline(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        swagger_ui_parameters={"validatorUrl": None},
        # Our own metrics and logs (ServiceMiddleware); FastAPI's OpenTelemetry hooks, unconfigured
        # here, would still be asked per request whether a provider has appeared.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    configure_calendar(settings.workdays_file)
    app.state.metrics = Metrics(settings.service_name)
    app.state.metrics.calendar_days.set_function(lambda: calendar_coverage(app)["days_covered"])
    app.state.verifier = TokenVerifier(
        settings.trusted_issuers,
        audience=settings.jwt_audience,
        leeway=settings.jwt_leeway_seconds,
        extra_audiences=settings.jwt_extra_audiences,
        max_lifetime=settings.jwt_max_lifetime_seconds,
        service_max_lifetime=settings.jwt_service_max_lifetime_seconds,
        service_subjects=settings.jwt_service_subjects,
        refresh_seconds=settings.jwks_refresh_seconds,
        file_check_seconds=settings.jwks_file_check_seconds,
    )
    for key, value in (state or {}).items():
        setattr(app.state, key, value)
    install_error_handlers(app)
    app.include_router(health_router())
    for router in routers:
        app.include_router(router)
    if settings.cors_origins:  # closed unless origins are named (never "*" by default)
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Purpose", "X-Request-ID"],
            expose_headers=["Location", "Retry-After", "X-Request-ID"],
        )
    app.add_middleware(ServiceMiddleware, metrics=app.state.metrics, max_bytes=settings.max_body_bytes)

    original_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original_openapi()
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
            declare_shared_problems(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
