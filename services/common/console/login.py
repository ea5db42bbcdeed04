"""Console sign-in and sign-out routes, the same for both services (kept out of the OpenAPI document).

Production: `/console/login/start` sends the browser to the identity provider (authorization code,
PKCE S256, state and nonce kept in a pending server-side record); `/console/callback` checks the
answer, takes the role and code from the configured claims and opens the session. Sign-out ends the
session here and at the provider (its end_session_endpoint). Development (`qcr dev`) also offers
`/console/dev-login` to pick a role; anywhere else that page does not exist (404), like the dev
token issuer.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.common import uscc as uscc_rules
from services.common.console.auth import (
    COOKIE,
    DEV_ISSUER,
    Console,
    ConsoleRefusal,
    ConsoleUser,
    checked_form,
    console_of,
    current_user,
    page,
    signed_in,
)
from services.common.console.oidc import SignInFailed
from services.common.console.pages import stylesheet, stylesheet_version
from services.common.console.sessions import PENDING_SECONDS, SessionRecord
from services.common.db import SessionDep, writes_on_read
from services.common.ratelimit import rate_limited
from services.common.roles import Role
from services.common.settings import ServiceSettings

logger = logging.getLogger("qcr.console")
router = APIRouter(prefix="/console", include_in_schema=False)
SIGN_IN_PATHS = ("/console/login", "/console/callback", "/console/dev-login")


def _settings(request: Request) -> ServiceSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _now(request: Request) -> Any:
    return request.app.state.clock.now()


def _safe_next(value: str | None, console: Console, role: Role | None = None) -> str:
    """Only a path inside this console (never another site) is a place to come back to."""
    path = value or ""
    if path.startswith("/console/") and "\\" not in path and not path.startswith(SIGN_IN_PATHS):
        return path
    if role is not None and role in console.home:
        return console.home[role]
    return "/console/"


def _base_url(request: Request) -> str:
    configured = _settings(request).console_public_url.rstrip("/")
    return configured or str(request.base_url).rstrip("/")


def _set_cookie(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=max_age,
        path="/console",
        httponly=True,
        secure=_settings(request).console_cookie_secure,
        samesite="lax",
    )


def _dev(request: Request) -> None:
    if _settings(request).environment != "dev":
        raise ConsoleRefusal(404, "not_found_title")


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    console = console_of(request)
    user = await current_user(request)
    if user is not None:
        return RedirectResponse(_safe_next(next, console, user.principal.role), status_code=303)
    return page(
        request,
        "login.html",
        user=None,
        next=_safe_next(next, console),
        configured=console.oidc is not None,
        dev=_settings(request).environment == "dev",
    )


@router.get("/login/start", dependencies=[Depends(rate_limited("console_login"))])
@writes_on_read
async def login_start(request: Request, db: SessionDep, next: str | None = None) -> Response:
    console = console_of(request)
    if console.oidc is None:
        raise ConsoleRefusal(503, "sign_in_failed", "sign_in_not_configured")
    try:
        started = await console.oidc.start(_base_url(request) + "/console/callback")
    except Exception as exc:
        logger.warning("identity provider unreachable: %s", exc)
        raise ConsoleRefusal(503, "sign_in_failed", "sign_in_failed_text") from exc
    token, _ = await console.store.start_pending(
        db,
        now=_now(request),
        next_path=_safe_next(next, console),
        oidc_state=started.state,
        code_verifier=started.code_verifier,
        nonce=started.nonce,
    )
    response = RedirectResponse(started.url, status_code=303)
    _set_cookie(response, request, token, PENDING_SECONDS)
    return response


def _claim(claims: dict[str, Any], name: str) -> Any:
    """A claim by name; a dotted name reaches into nested objects (`realm_access.role`)."""
    value: Any = claims
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _role_and_code(
    claims: dict[str, Any], console: Console, *, role_claim: str, uscc_claim: str
) -> tuple[Role, str | None]:
    """The console role the claims grant (the first one this console admits) and, for an
    enterprise, its code; a person with neither is refused."""
    raw = _claim(claims, role_claim)
    candidates = raw if isinstance(raw, list) else [raw]
    roles = [Role(r) for r in candidates if isinstance(r, str) and r in Role.__members__]
    allowed = [r for r in roles if r in console.roles]
    if not allowed:
        raise ConsoleRefusal(403, "sign_in_failed", "sign_in_role_refused")
    role = allowed[0]
    code = _claim(claims, uscc_claim)
    if role is Role.enterprise:
        if not isinstance(code, str):
            raise ConsoleRefusal(403, "sign_in_failed", "sign_in_role_refused")
        code = uscc_rules.normalise(code)
        try:
            uscc_rules.check_format(code)
        except uscc_rules.UsccError as exc:
            raise ConsoleRefusal(403, "sign_in_failed", "sign_in_role_refused") from exc
        return role, code
    return role, None


async def _open_session(
    request: Request,
    db: SessionDep,
    pending: SessionRecord,
    *,
    role: Role,
    subject: str,
    issuer: str,
    uscc: str | None,
    name: str | None,
    id_token: str | None,
) -> Response:
    console, settings = console_of(request), _settings(request)
    # Forget sessions that ended more than a day ago (and sign-ins never finished) as people come.
    await console.store.purge(db, before=_now(request) - timedelta(days=1))
    token, record = await console.store.activate(
        db,
        pending,
        now=_now(request),
        lifetime_seconds=settings.console_session_seconds,
        role=str(role),
        subject=subject,
        issuer=issuer,
        uscc=uscc,
        display_name=name,
        id_token=id_token,
    )
    logger.info("console sign-in", extra={"actor": f"{role}:{subject}", "issuer": issuer})
    response = RedirectResponse(_safe_next(record.next_path, console, role), status_code=303)
    _set_cookie(response, request, token, settings.console_session_seconds)
    return response


@router.get("/callback")
@writes_on_read
async def login_callback(
    request: Request, db: SessionDep, code: str | None = None, state: str | None = None
) -> Response:
    console = console_of(request)
    pending = await console.store.find(db, request.cookies.get(COOKIE), now=_now(request))
    if (
        console.oidc is None
        or pending is None
        or pending.state != "pending"
        or not pending.oidc_state
        or not state
        or not secrets.compare_digest(state.encode(), pending.oidc_state.encode())
        or not code
    ):
        raise ConsoleRefusal(400, "sign_in_failed", "sign_in_failed_text")
    assert pending.code_verifier and pending.nonce
    try:
        done = await console.oidc.finish(
            code=code,
            redirect_uri=_base_url(request) + "/console/callback",
            code_verifier=pending.code_verifier,
            nonce=pending.nonce,
        )
    except SignInFailed as exc:
        logger.warning("console sign-in refused: %s", exc)
        raise ConsoleRefusal(400, "sign_in_failed", "sign_in_failed_text") from exc
    settings = _settings(request)
    role, uscc = _role_and_code(
        done.claims, console, role_claim=settings.console_role_claim, uscc_claim=settings.console_uscc_claim
    )
    name = _claim(done.claims, settings.console_name_claim)
    return await _open_session(
        request,
        db,
        pending,
        role=role,
        subject=str(done.claims["sub"]),
        issuer=console.oidc.issuer,
        uscc=uscc,
        name=name if isinstance(name, str) else None,
        id_token=done.id_token,
    )


@router.post("/logout")
async def logout(
    request: Request, db: SessionDep, user: Annotated[ConsoleUser, Depends(signed_in(*Role))]
) -> Response:
    await checked_form(request, user)
    console = console_of(request)
    await console.store.revoke(db, user.session.id, now=_now(request))
    logger.info("console sign-out", extra={"actor": user.principal.actor})
    target = "/console/signed-out"
    if console.oidc is not None and user.session.issuer == console.oidc.issuer:
        ended = await console.oidc.end_session_url(
            id_token=user.session.id_token, post_logout_redirect_uri=_base_url(request) + target
        )
        target = ended or target
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


@router.get("/signed-out")
async def signed_out(request: Request) -> Response:
    return page(
        request,
        "message.html",
        user=None,
        title_key="signed_out_title",
        text_key="signed_out_text",
        text=None,
    )


@router.get("/dev-login")
@writes_on_read
async def dev_login_page(request: Request, db: SessionDep, next: str | None = None) -> Response:
    _dev(request)
    console = console_of(request)
    token, pending = await console.store.start_pending(
        db, now=_now(request), next_path=_safe_next(next, console)
    )
    response = page(
        request, "dev_login.html", user=None, csrf=pending.csrf, roles=sorted(console.roles, key=str)
    )
    _set_cookie(response, request, token, PENDING_SECONDS)
    return response


@router.post("/dev-login")
async def dev_login(request: Request, db: SessionDep) -> Response:
    _dev(request)
    console = console_of(request)
    pending = await console.store.find(db, request.cookies.get(COOKIE), now=_now(request))
    form = await request.form(max_files=0, max_fields=10)
    sent = form.get("csrf")
    if (
        pending is None
        or pending.state != "pending"
        or not isinstance(sent, str)
        or not secrets.compare_digest(sent.encode(), pending.csrf.encode())
    ):
        raise ConsoleRefusal(403, "csrf_title", "csrf_text")
    subject = str(form.get("subject", "")).strip()[:100]
    claims = {"role": str(form.get("role", "")), "uscc": str(form.get("uscc", "")).strip()}
    role, uscc = _role_and_code(claims, console, role_claim="role", uscc_claim="uscc")
    return await _open_session(
        request,
        db,
        pending,
        role=role,
        subject=subject or f"dev-{role}",
        issuer=DEV_ISSUER,
        uscc=uscc,
        name=subject or None,
        id_token=None,
    )


@router.get("/static/console.css")
async def console_css() -> Response:
    return Response(
        stylesheet(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=31536000, immutable", "ETag": stylesheet_version()},
    )
