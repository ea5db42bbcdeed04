"""Standards declarations in the enterprise's console: publish, revise and withdraw, with the text
uploaded as a real file (multipart form). The file goes to the same publishing function as the API
(`publish_standard`, `revise_standard`), which checks it by content (a PDF, whatever its name) and
by size; only the file's first max+1 bytes are read here, so an oversized upload is refused by that
same rule without being held in memory whole.
"""

from __future__ import annotations

import base64
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from services.common.console.auth import ConsoleRefusal, ConsoleUser, checked_form, page, parsed, signed_in
from services.common.db import SessionDep
from services.common.errors import Forbidden
from services.common.roles import Role
from services.registry.console.enterprise_pages import own_code
from services.registry.dependencies import NowDep
from services.registry.standards.router import (
    LimitsDep,
    ReferenceDep,
    publish_standard,
    read_standard,
    revise_standard,
    search_standards,
    withdraw_standard,
)
from services.registry.standards.schemas import StandardCreate, StandardRevision, Withdrawal

router = APIRouter(prefix="/console", include_in_schema=False)
Enterprise = Annotated[ConsoleUser, Depends(signed_in(Role.enterprise))]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _indicators(text: str) -> list[dict[str, Any]]:
    """`name | comparator | value | unit | test method`, one a line (unit and method may be empty)."""
    found = []
    for line in _lines(text):
        parts = [p.strip() for p in line.split("|")] + ["", "", "", "", ""]
        name, comparator, value, unit, method = parts[:5]
        item: dict[str, Any] = {"name": name, "comparator": comparator, "value": value}
        if unit:
            item["unit"] = unit
        if method:
            item["test_method"] = method
        found.append(item)
    return found


async def _document(form: Any, max_bytes: int) -> dict[str, str] | None:
    upload = form.get("document")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    content = await upload.read(max_bytes + 1)
    return {"filename": upload.filename[:200], "content_base64": base64.b64encode(content).decode()}


async def _declaration_fields(form: Any, max_bytes: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": str(form.get("number", "")).strip(),
        "title": str(form.get("title", "")).strip(),
        "type": str(form.get("type", "product")),
        "products": _lines(str(form.get("products", ""))),
        "indicators": _indicators(str(form.get("indicators", ""))),
        "implemented_on": str(form.get("implemented_on", "")),
    }
    category = str(form.get("category", "")).strip()
    if category:
        body["category"] = category
    document = await _document(form, max_bytes)
    if document:
        body["document"] = document
    return body


@router.get("/declarations")
async def declarations(request: Request, user: Enterprise, session: SessionDep) -> Response:
    found = await search_standards(session, uscc=own_code(user), limit=100)
    return page(request, "declarations.html", user=user, declarations=found.items)


@router.get("/declarations/new")
async def new_declaration(request: Request, user: Enterprise, limits: LimitsDep) -> Response:
    return page(request, "declaration_new.html", user=user, max_kb=limits.max_document_bytes // 1000)


@router.post("/declarations")
async def publish(
    request: Request,
    user: Enterprise,
    session: SessionDep,
    reference: ReferenceDep,
    limits: LimitsDep,
    now: NowDep,
) -> Response:
    form = await checked_form(request, user)
    body = parsed(StandardCreate, await _declaration_fields(form, limits.max_document_bytes), user)
    out = await publish_standard(
        user.principal, own_code(user), body, session, reference, limits, now, Response()
    )
    return RedirectResponse(f"/console/declarations/{out.id}?done=publish", status_code=303)


async def _own(
    session: SessionDep, user: ConsoleUser, standard_id: uuid.UUID, reference: Any, now: Any
) -> Any:
    current = await read_standard(standard_id, session, reference, now)
    if current.uscc != own_code(user):
        raise Forbidden("an enterprise may act on its own code only")
    return current


@router.get("/declarations/{standard_id}")
async def declaration(
    request: Request,
    user: Enterprise,
    standard_id: uuid.UUID,
    session: SessionDep,
    reference: ReferenceDep,
    limits: LimitsDep,
    now: NowDep,
) -> Response:
    current = await _own(session, user, standard_id, reference, now)
    done = request.query_params.get("done")
    return page(
        request,
        "declaration.html",
        user=user,
        standard=current,
        max_kb=limits.max_document_bytes // 1000,
        done=done if done in ("publish", "revise", "withdraw") else None,
    )


@router.post("/declarations/{standard_id}/revisions")
async def revise(
    request: Request,
    user: Enterprise,
    standard_id: uuid.UUID,
    session: SessionDep,
    reference: ReferenceDep,
    limits: LimitsDep,
    now: NowDep,
) -> Response:
    form = await checked_form(request, user)
    fields = await _declaration_fields(form, limits.max_document_bytes)
    fields["revision_note"] = str(form.get("revision_note", "")).strip()
    base = str(form.get("base_version", ""))
    if base.isdigit():
        fields["base_version"] = int(base)
    body = parsed(StandardRevision, fields, user)
    await revise_standard(user.principal, standard_id, body, session, reference, limits, now, Response())
    return RedirectResponse(f"/console/declarations/{standard_id}?done=revise", status_code=303)


@router.post("/declarations/{standard_id}/withdrawal")
async def withdraw(
    request: Request,
    user: Enterprise,
    standard_id: uuid.UUID,
    session: SessionDep,
    reference: ReferenceDep,
    now: NowDep,
) -> Response:
    form = await checked_form(request, user, max_files=0)
    body = parsed(Withdrawal, {"reason": str(form.get("reason", "")).strip()}, user)
    if not body.reason:
        raise ConsoleRefusal(422, "refused_title", None, user, detail="reason: required")
    await withdraw_standard(user.principal, standard_id, body, session, reference, now)
    return RedirectResponse(f"/console/declarations/{standard_id}?done=withdraw", status_code=303)
