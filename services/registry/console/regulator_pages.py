"""The regulator's console: what is due, enterprises with their credit events and list entries,
repair applications, and the audit trail's verification. Every action is the API's own function,
recorded with the signed-in regulator as the actor.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.common.console.auth import ConsoleUser, checked_form, page, parsed, signed_in
from services.common.db import SessionDep
from services.common.roles import Role
from services.registry.answers import lookup
from services.registry.answers.credit_reads import list_credit_events
from services.registry.credit.router import record_credit_event, revoke_credit_event
from services.registry.credit.schemas import CreditEventCreate, RevocationCreate
from services.registry.dependencies import NowDep, RulesDep
from services.registry.enterprises import service as enterprises
from services.registry.ledger import chain, checkpoints
from services.registry.lists.router import (
    ListRulesDep,
    accept_repair_application,
    decide_repair_application,
    entries_of_enterprise,
    overdue_publications,
    pending_repair_applications,
    propose_entry,
    read_entry,
    reply_to_statement,
    transition_entry,
)
from services.registry.lists.schemas import (
    ListEntryCreate,
    RepairAcceptance,
    RepairDecision,
    StatementReply,
    TransitionRequest,
)
from services.registry.warnings.router import list_warnings

router = APIRouter(prefix="/console", include_in_schema=False)
Regulator = Annotated[ConsoleUser, Depends(signed_in(Role.regulator))]
# An application is near its deadline within a week of it (so one awaiting acceptance, due in 2
# working days by Order 44 art. 17 para 2, always is). A console choice, not a legal number.
NEAR_DEADLINE = timedelta(days=7)
DONE = ("event", "revoked", "transition", "proposed", "replied", "registered", "edited")


def _due(application: Any) -> datetime:
    return application.decision_due_at or application.acceptance_due_at


async def regulator_home(
    request: Request, user: ConsoleUser, session: SessionDep, list_rules: ListRulesDep, now: NowDep
) -> Response:
    overdue = await overdue_publications(user.principal, session, list_rules, now, None, 50)
    pending = await pending_repair_applications(user.principal, session, now, None, 50)
    near = [a for a in pending.items if a.overdue or _due(a) - now < NEAR_DEADLINE]
    warnings = await list_warnings(user.principal, session, "open", None, None, 20)
    return page(
        request,
        "regulator_home.html",
        user=user,
        overdue=overdue.items,
        near=near,
        warnings=warnings.items,
    )


@router.get("/enterprises")
async def enterprise_search(
    request: Request, user: Regulator, session: SessionDep, q: str | None = None
) -> Response:
    query = (q or "").strip()[:100]
    rows = (
        await enterprises.search(session, q=query, region=None, grade=None, after=None, limit=50)
        if query
        else []
    )
    return page(request, "enterprises.html", user=user, q=query, rows=rows)


@router.get("/enterprises/{uscc}")
async def enterprise_page(
    request: Request,
    user: Regulator,
    uscc: str,
    session: SessionDep,
    rules: RulesDep,
    list_rules: ListRulesDep,
    now: NowDep,
) -> Response:
    enterprise = await enterprises.get(session, uscc)
    credit = await lookup.credit_answer(session, uscc=enterprise.uscc, rules=rules, now=now)
    events = await list_credit_events(user.principal, enterprise, session, now, None, 50, None)
    entries = await entries_of_enterprise(user.principal, enterprise, session, list_rules, now, None, 50)
    # each entry with its statements (陈述申辩) and their replies
    details = [await read_entry(user.principal, e.id, session, list_rules, now) for e in entries.items]
    done = request.query_params.get("done")
    return page(
        request,
        "regulator_enterprise.html",
        user=user,
        enterprise=enterprise,
        credit=credit,
        events=events.items,
        entries=details,
        kinds=[k for k in rules.kinds.values() if "regulator" in k.recorders],
        done=done if done in DONE else None,
    )


def _text(form: Any, name: str) -> str | None:
    value = str(form.get(name, "")).strip()
    return value or None


@router.post("/enterprises/{uscc}/credit-events")
async def record_event(
    request: Request, user: Regulator, uscc: str, session: SessionDep, rules: RulesDep, now: NowDep
) -> Response:
    form = await checked_form(request, user, max_files=0)
    fields = {k: _text(form, k) for k in ("kind", "severity", "authority", "source_ref", "summary")}
    occurred = _text(form, "occurred_on")
    fields["occurred_at"] = f"{occurred}T00:00:00+08:00" if occurred else None
    body = parsed(CreditEventCreate, {k: v for k, v in fields.items() if v is not None}, user)
    enterprise = await enterprises.get(session, uscc)
    await record_credit_event(user.principal, enterprise.uscc, body, session, rules, now, Response())
    return RedirectResponse(f"/console/enterprises/{enterprise.uscc}?done=event", status_code=303)


@router.post("/credit-events/{event_id}/revocation")
async def revoke_event(
    request: Request, user: Regulator, event_id: uuid.UUID, session: SessionDep, rules: RulesDep, now: NowDep
) -> Response:
    form = await checked_form(request, user, max_files=0)
    body = parsed(RevocationCreate, {"reason": _text(form, "reason")}, user)
    event = await revoke_credit_event(user.principal, event_id, body, session, rules, now)
    return RedirectResponse(f"/console/enterprises/{event.uscc}?done=revoked", status_code=303)


@router.post("/list-entries/{entry_id}/transitions")
async def move_entry(
    request: Request,
    user: Regulator,
    entry_id: uuid.UUID,
    session: SessionDep,
    list_rules: ListRulesDep,
    now: NowDep,
) -> Response:
    form = await checked_form(request, user, max_files=0)
    fields = {k: _text(form, k) for k in ("action", "note", "reference", "approving_authority")}
    body = parsed(TransitionRequest, {k: v for k, v in fields.items() if v is not None}, user)
    entry = await transition_entry(user.principal, entry_id, body, session, list_rules, now)
    return RedirectResponse(f"/console/enterprises/{entry.uscc}?done=transition", status_code=303)


@router.post("/enterprises/{uscc}/list-entries")
async def propose(
    request: Request,
    user: Regulator,
    uscc: str,
    session: SessionDep,
    rules: RulesDep,
    list_rules: ListRulesDep,
    now: NowDep,
) -> Response:
    form = await checked_form(request, user, max_files=0)
    enterprise = await enterprises.get(session, uscc)
    fields: dict[str, Any] = {
        k: _text(form, k)
        for k in ("list", "reason", "legal_basis", "decision_no", "authority", "authority_division")
    }
    decided = _text(form, "decided_on")
    fields["decided_at"] = f"{decided}T00:00:00+08:00" if decided else None
    fields["uscc"] = enterprise.uscc
    body = parsed(ListEntryCreate, {k: v for k, v in fields.items() if v is not None}, user)
    await propose_entry(user.principal, body, session, rules, list_rules, now, Response())
    return RedirectResponse(f"/console/enterprises/{enterprise.uscc}?done=proposed", status_code=303)


@router.post("/list-entries/{entry_id}/statements/{statement_id}/reply")
async def reply(
    request: Request,
    user: Regulator,
    entry_id: uuid.UUID,
    statement_id: uuid.UUID,
    session: SessionDep,
    list_rules: ListRulesDep,
    now: NowDep,
) -> Response:
    form = await checked_form(request, user, max_files=0)
    body = parsed(StatementReply, {"reply": _text(form, "reply")}, user)
    await reply_to_statement(user.principal, entry_id, statement_id, body, session, now)
    entry = await read_entry(user.principal, entry_id, session, list_rules, now)
    return RedirectResponse(f"/console/enterprises/{entry.uscc}?done=replied", status_code=303)


@router.get("/repairs")
async def repairs(request: Request, user: Regulator, session: SessionDep, now: NowDep) -> Response:
    pending = await pending_repair_applications(user.principal, session, now, None, 50)
    done = request.query_params.get("done")
    return page(request, "repairs.html", user=user, applications=pending.items, done=done == "1")


@router.post("/repairs/{application_id}/acceptance")
async def accept_repair(
    request: Request,
    user: Regulator,
    application_id: uuid.UUID,
    session: SessionDep,
    list_rules: ListRulesDep,
    now: NowDep,
) -> Response:
    form = await checked_form(request, user, max_files=0)
    body = parsed(
        RepairAcceptance, {"decision": _text(form, "decision"), "reasons": _text(form, "reasons")}, user
    )
    await accept_repair_application(user.principal, application_id, body, session, list_rules, now)
    return RedirectResponse("/console/repairs?done=1", status_code=303)


@router.post("/repairs/{application_id}/decision")
async def decide_repair(
    request: Request,
    user: Regulator,
    application_id: uuid.UUID,
    session: SessionDep,
    list_rules: ListRulesDep,
    now: NowDep,
) -> Response:
    form = await checked_form(request, user, max_files=0)
    body = parsed(
        RepairDecision, {"decision": _text(form, "decision"), "reasons": _text(form, "reasons")}, user
    )
    await decide_repair_application(user.principal, application_id, body, session, list_rules, now)
    return RedirectResponse("/console/repairs?done=1", status_code=303)


@router.get("/audit")
async def audit(request: Request, user: Regulator, session: SessionDep) -> Response:
    checked, broken = await chain.verify_chains(session)
    key = request.app.state.ledger_key
    signed, bad = (0, None)
    if key is not None and broken is None:
        public = key.public_key()
        signed, bad = await checkpoints.verify(session, public_keys={checkpoints.key_id(public): public})
    return page(
        request,
        "audit.html",
        user=user,
        checked=checked,
        broken=broken.describe() if broken else None,
        signed=signed,
        bad=f"{bad.id}: {bad.reason}" if bad else None,
    )
