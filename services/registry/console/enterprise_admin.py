"""The regulator registers and edits enterprises in the console: the API's own functions
(`create_enterprise`, `update_enterprise`), so the code check, the audited pilot-code override (a
reason recorded with the registration) and the change record are the API's, with the signed-in
regulator as the actor.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.common.console.auth import ConsoleUser, checked_form, parsed, signed_in
from services.common.db import SessionDep
from services.common.roles import Role
from services.registry.dependencies import InitialGradeDep, NowDep
from services.registry.enterprises import service as enterprises
from services.registry.enterprises.router import create_enterprise, update_enterprise
from services.registry.enterprises.schemas import EnterpriseCreate, EnterpriseUpdate

router = APIRouter(prefix="/console", include_in_schema=False)
Regulator = Annotated[ConsoleUser, Depends(signed_in(Role.regulator))]


def _text(form: Any, name: str) -> str | None:
    value = str(form.get(name, "")).strip()
    return value or None


@router.post("/enterprises")
async def register(
    request: Request, user: Regulator, session: SessionDep, initial: InitialGradeDep, now: NowDep
) -> Response:
    form = await checked_form(request, user, max_files=0)
    fields: dict[str, Any] = {k: _text(form, k) for k in ("uscc", "name", "address")}
    reason = _text(form, "override_reason")
    if reason:  # a pilot code whose check character fails: registered anyway, the reason recorded
        fields["check_override"] = {"reason": reason}
    body = parsed(EnterpriseCreate, {k: v for k, v in fields.items() if v is not None}, user)
    created = await create_enterprise(user.principal, body, session, initial, now, Response())
    return RedirectResponse(f"/console/enterprises/{created.uscc}?done=registered", status_code=303)


@router.post("/enterprises/{uscc}/details")
async def edit(request: Request, user: Regulator, uscc: str, session: SessionDep, now: NowDep) -> Response:
    form = await checked_form(request, user, max_files=0)
    enterprise = await enterprises.get(session, uscc)
    fields = {"name": _text(form, "name"), "address": _text(form, "address"), "status": _text(form, "status")}
    body = parsed(EnterpriseUpdate, {k: v for k, v in fields.items() if k == "address" or v}, user)
    await update_enterprise(user.principal, enterprise, body, session, now)
    return RedirectResponse(f"/console/enterprises/{enterprise.uscc}?done=edited", status_code=303)
