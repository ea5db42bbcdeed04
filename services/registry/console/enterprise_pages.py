"""The enterprise's console: its credit file and grade history, its list notices (陈述申辩, credit
repair) and who looked it up. Every page is about the signed-in enterprise's own code only; the
data and every action come from the same endpoint functions as the API.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.common.console.auth import ConsoleUser, checked_form, page, parsed, signed_in
from services.common.db import SessionDep
from services.common.roles import Role
from services.registry.answers import lookup
from services.registry.answers.credit_reads import read_credit_history
from services.registry.dependencies import NowDep, RulesDep
from services.registry.enterprises import service as enterprises
from services.registry.lists.router import (
    ListRulesDep,
    apply_for_repair,
    entries_of_enterprise,
    read_entry,
    state_case,
)
from services.registry.lists.schemas import RepairApplicationCreate, StatementCreate
from services.registry.partners.router import read_own_access_log

router = APIRouter(prefix="/console", include_in_schema=False)
Enterprise = Annotated[ConsoleUser, Depends(signed_in(Role.enterprise))]


def own_code(user: ConsoleUser) -> str:
    assert user.principal.uscc is not None  # an enterprise session always carries its code
    return user.principal.uscc


async def enterprise_home(
    request: Request, user: ConsoleUser, session: SessionDep, rules: RulesDep, now: NowDep
) -> Response:
    code = own_code(user)
    enterprise = await enterprises.get(session, code)
    credit = await lookup.credit_answer(session, uscc=code, rules=rules, now=now)
    history = await read_credit_history(enterprise, session, now, user.principal, None, 50, None)
    return page(request, "enterprise_home.html", user=user, credit=credit, history=history.items)


@router.get("/notices")
async def notices(
    request: Request, user: Enterprise, session: SessionDep, list_rules: ListRulesDep, now: NowDep
) -> Response:
    enterprise = await enterprises.get(session, own_code(user))
    entries = await entries_of_enterprise(user.principal, enterprise, session, list_rules, now, None, 50)
    return page(request, "notices.html", user=user, entries=entries.items)


@router.get("/notices/{entry_id}")
async def notice(
    request: Request,
    user: Enterprise,
    entry_id: uuid.UUID,
    session: SessionDep,
    list_rules: ListRulesDep,
    now: NowDep,
) -> Response:
    entry = await read_entry(user.principal, entry_id, session, list_rules, now)
    done = request.query_params.get("done")
    return page(
        request, "notice.html", user=user, entry=entry, done=done if done in ("statement", "repair") else None
    )


def _checked(form: Any, name: str) -> bool:
    return form.get(name) == "1"


@router.post("/notices/{entry_id}/statements")
async def submit_statement(
    request: Request, user: Enterprise, entry_id: uuid.UUID, session: SessionDep, now: NowDep
) -> Response:
    form = await checked_form(request, user, max_files=0)
    body = parsed(
        StatementCreate,
        {"text": str(form.get("text", "")), "hearing_requested": _checked(form, "hearing_requested")},
        user,
    )
    await state_case(user.principal, entry_id, body, session, now)
    return RedirectResponse(f"/console/notices/{entry_id}?done=statement", status_code=303)


@router.post("/notices/{entry_id}/repair")
async def submit_repair(
    request: Request,
    user: Enterprise,
    entry_id: uuid.UUID,
    session: SessionDep,
    list_rules: ListRulesDep,
    now: NowDep,
) -> Response:
    form = await checked_form(request, user, max_files=0)
    body = parsed(
        RepairApplicationCreate,
        {
            "evidence": str(form.get("evidence", "")),
            "declarations": {
                "penalty_fulfilled": _checked(form, "penalty_fulfilled"),
                "harm_removed": _checked(form, "harm_removed"),
                "no_further_heavy_penalty": _checked(form, "no_further_heavy_penalty"),
            },
        },
        user,
    )
    await apply_for_repair(user.principal, entry_id, body, session, list_rules, now, Response())
    return RedirectResponse(f"/console/notices/{entry_id}?done=repair", status_code=303)


@router.get("/access-log")
async def access_log(request: Request, user: Enterprise, session: SessionDep) -> Response:
    enterprise = await enterprises.get(session, own_code(user))
    log = await read_own_access_log(user.principal, enterprise, session, None, 50)
    return page(request, "access_log.html", user=user, log=log.items)
