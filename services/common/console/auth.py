"""Who is signed in to a console, what they may see, and the CSRF check on every form.

A console page depends on `signed_in(role, …)`: no live session sends the browser to the sign-in
page (303, coming back afterwards); a session of another role gets the 403 page. Every POST form
carries the session's CSRF token (`csrf` field), compared in constant time before anything runs.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import FormData

from services.common.auth import Principal
from services.common.console.oidc import OidcClient
from services.common.console.pages import render
from services.common.console.sessions import SessionRecord, SessionStore
from services.common.errors import DomainError
from services.common.roles import Role

COOKIE = "qcr_console"
DEV_ISSUER = "qcr-dev-console"


@dataclass
class Console:
    """One service's console: its session table, who may sign in, pages and navigation."""

    store: SessionStore
    roles: frozenset[Role]
    home: Mapping[Role, str]  # where each role lands after signing in
    templates: Path
    messages: Mapping[str, tuple[str, str]]
    nav: Mapping[Role, list[tuple[str, str]]] = field(default_factory=dict)  # (path, message key)
    oidc: OidcClient | None = None

    def provider_origin(self) -> str:
        if self.oidc is None:
            return ""
        parts = self.oidc.issuer.split("/")
        return "/".join(parts[:3])


@dataclass(frozen=True)
class ConsoleUser:
    principal: Principal
    session: SessionRecord

    @property
    def csrf(self) -> str:
        return self.session.csrf

    @property
    def name(self) -> str:
        return self.session.display_name or self.principal.subject


class SignInRequired(Exception):
    def __init__(self, next_path: str):
        self.next_path = next_path


class ConsoleRefusal(Exception):
    """A console page answering with a message instead (403 role, 403 CSRF, 404, 409…)."""

    def __init__(
        self,
        status: int,
        title: str,
        text: str | None = None,
        user: ConsoleUser | None = None,
        *,
        detail: str | None = None,
    ):
        self.status, self.title, self.text, self.user, self.detail = status, title, text, user, detail


def console_of(request: Request) -> Console:
    return request.app.state.console  # type: ignore[no-any-return]


def page(
    request: Request, template: str, *, user: ConsoleUser | None, status: int = 200, **context: Any
) -> HTMLResponse:
    console = console_of(request)
    nav = console.nav.get(user.principal.role, []) if user else []
    return render(
        request,
        template,
        templates=console.templates,
        messages=console.messages,
        provider=console.provider_origin(),
        status=status,
        globals_={"user": user, "nav": nav, "current": request.url.path},
        **context,
    )


async def current_user(request: Request) -> ConsoleUser | None:
    """The person behind the session cookie, or None."""
    console = console_of(request)
    async with request.app.state.read_sessions() as db:
        record = await console.store.find(db, request.cookies.get(COOKIE), now=request.app.state.clock.now())
    if record is None or record.state != "active" or record.role is None or record.subject is None:
        return None
    principal = Principal(
        role=Role(record.role), subject=record.subject, issuer=record.issuer or "", uscc=record.uscc
    )
    return ConsoleUser(principal=principal, session=record)


def signed_in(*roles: Role) -> Callable[[Request], Coroutine[Any, Any, ConsoleUser]]:
    allowed = frozenset(roles)

    async def dependency(request: Request) -> ConsoleUser:
        user = await current_user(request)
        if user is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInRequired(target if request.method == "GET" else request.url.path)
        if user.principal.role not in allowed:
            raise ConsoleRefusal(403, "forbidden_title", "forbidden_text", user)
        request.state.principal = user.principal
        return user

    return dependency


async def checked_form(request: Request, user: ConsoleUser, *, max_files: int = 1) -> FormData:
    """The posted form, once its CSRF token matches the session's."""
    form = await request.form(max_files=max_files, max_fields=100)
    sent = form.get("csrf")
    if not isinstance(sent, str) or not secrets.compare_digest(sent.encode(), user.csrf.encode()):
        raise ConsoleRefusal(403, "csrf_title", "csrf_text", user)
    return form


def install_console(app: FastAPI, console: Console) -> None:
    app.state.console = console

    async def sign_in_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInRequired)
        return RedirectResponse(f"/console/login?next={quote(exc.next_path, safe='')}", status_code=303)

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ConsoleRefusal)
        return page(
            request,
            "message.html",
            user=exc.user,
            status=exc.status,
            title_key=exc.title,
            text_key=exc.text,
            text=exc.detail,
        )

    api_refusal = app.exception_handlers[DomainError]

    async def domain_error(request: Request, exc: Exception) -> Response:
        """A rule of the service layer refused a console action: the page says why, in HTML."""
        assert isinstance(exc, DomainError)
        if not request.url.path.startswith("/console/"):
            return await api_refusal(request, exc)  # type: ignore[misc,no-any-return]
        user = await current_user(request)
        titles = {403: "forbidden_title", 404: "not_found_title", 429: "too_many_title"}
        response = page(
            request,
            "message.html",
            user=user,
            status=exc.status,
            title_key=titles.get(exc.status, "refused_title"),
            text_key=None,
            text=exc.detail,
        )
        response.headers.update(exc.headers)  # Retry-After on a 429
        return response

    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(ConsoleRefusal, refused)
    app.add_exception_handler(DomainError, domain_error)


def parsed(model: Any, data: dict[str, Any], user: ConsoleUser) -> Any:
    """A request body built from a form, or the 422 page naming what is wrong.

    `model` is a body model or a union of them told apart by a field (e.g. a list transition)."""
    try:
        return TypeAdapter(model).validate_python(data)
    except ValidationError as exc:
        reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConsoleRefusal(422, "refused_title", None, user, detail=reason) from exc


@dataclass(frozen=True)
class FormProblem:
    """A refusal shown on the form that was sent (RFC 9457's status and detail), not a page of its own."""

    status: int
    detail: str


async def form_problem(session: Any, exc: Exception) -> FormProblem:
    """What the service layer (or the form's parse) said, with the unit of work rolled back; any
    other refusal (403, a CSRF failure, no session) is raised again for its own page."""
    if isinstance(exc, DomainError) and exc.status != 403:
        fields = [f"{e.get('field', '')}: {e.get('message', '')}" for e in exc.extra.get("errors", [])]
        await session.rollback()
        return FormProblem(exc.status, "; ".join([exc.detail, *(f for f in fields if f not in exc.detail)]))
    if isinstance(exc, ConsoleRefusal) and exc.status == 422:
        await session.rollback()
        return FormProblem(422, exc.detail or "")
    raise exc
