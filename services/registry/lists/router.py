"""List endpoints: entries and their transitions, statements, credit repair, the public disclosure."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from services.common.auth import Principal, ensure_own_code, require_roles
from services.common.db import SessionDep
from services.common.errors import responses
from services.common.pagination import (
    LimitQuery,
    Page,
    TimeAndIdCursor,
    encode_cursor,
    time_and_id_after,
)
from services.common.ratelimit import rate_limited
from services.common.roles import Role
from services.common.text import QUERY_PATTERN
from services.registry.dependencies import EnterpriseDep, NowDep, RulesDep
from services.registry.enterprises.divisions import describe
from services.registry.enterprises.schemas import Region
from services.registry.lists import authority, lifecycle, machine, repairs, service
from services.registry.lists.models import ListEntry, RepairApplication
from services.registry.lists.rules import ListRules, Provision
from services.registry.lists.schemas import (
    ListEntryCreate,
    ListEntryOut,
    ListEntrySummary,
    ListName,
    ListRulesOut,
    ProvisionOut,
    PublicListEntry,
    RepairAcceptance,
    RepairApplicationCreate,
    RepairApplicationOut,
    RepairDecision,
    StatementCreate,
    StatementOut,
    StatementReply,
    TransitionOut,
    TransitionRequest,
)

router = APIRouter(tags=["lists"])
Regulator = Annotated[Principal, Depends(require_roles(Role.regulator))]
EnterpriseActor = Annotated[Principal, Depends(require_roles(Role.enterprise))]
RegulatorOrOwner = Annotated[Principal, Depends(require_roles(Role.regulator, Role.enterprise))]


def _list_rules(request: Request) -> ListRules:
    return request.app.state.list_rules


ListRulesDep = Annotated[ListRules, Depends(_list_rules)]


def summary_view(entry: ListEntry, list_rules: ListRules, now: datetime) -> ListEntrySummary:
    """The entry as it stands at `now`: a term that has ended reads as expired before the sweep runs."""
    values = {name: getattr(entry, name) for name in ListEntrySummary.model_fields if hasattr(entry, name)}
    values["list"] = entry.kind
    if lifecycle.is_due_to_expire(entry, now):
        values |= {"status": machine.REMOVED, "removed_at": entry.expires_at, "exit_kind": "expired"}
    listed_black = entry.kind == "black" and values["status"] == machine.LISTED
    values["repair_possible_from"] = (
        list_rules.repair_possible_from(entry.listed_at) if listed_black and entry.listed_at else None
    )
    level = authority.level_of(entry.authority_level, entry.authority_division)
    values["consent_required"] = entry.kind == "black" and list_rules.needs_consent(level)
    values["publication_overdue"] = entry.status == "decided" and (
        (entry.publication_due_at is not None and now > entry.publication_due_at)
        or (entry.pushed_at is None and entry.push_due_at is not None and now > entry.push_due_at)
    )
    known = lifecycle.known_facts(entry) if values["status"] == entry.status else frozenset()
    values["allowed_actions"] = machine.allowed_actions(entry.kind, values["status"], known)
    return ListEntrySummary.model_validate(values)


def repair_view(application: RepairApplication, now: datetime) -> RepairApplicationOut:
    return RepairApplicationOut(
        id=application.id,
        entry_id=application.entry_id,
        uscc=application.uscc,
        status=application.status,  # type: ignore[arg-type]
        evidence=application.evidence,
        declarations=application.declarations,
        filed_at=application.filed_at,
        filed_by=application.filed_by,
        acceptance_due_at=application.acceptance_due_at,
        acceptance_due_provisional=application.acceptance_due_provisional,
        accepted_at=application.accepted_at,
        accepted_by=application.accepted_by,
        decision_due_at=application.decision_due_at,
        decision_due_provisional=application.decision_due_provisional,
        overdue=(application.status == "received" and now > application.acceptance_due_at)
        or (
            application.status == "accepted"
            and application.decision_due_at is not None
            and now > application.decision_due_at
        ),
        decided_at=application.decided_at,
        decided_by=application.decided_by,
        reasons=application.reasons,
    )


async def detail_view(
    session: SessionDep, entry: ListEntry, list_rules: ListRules, now: datetime
) -> ListEntryOut:
    return ListEntryOut(
        **summary_view(entry, list_rules, now).model_dump(),
        statements=[StatementOut.model_validate(s) for s in await service.statements_of(session, entry.id)],
        repair_applications=[repair_view(r, now) for r in await repairs.repairs_of(session, entry.id)],
        history=[TransitionOut.model_validate(t) for t in await service.history_of(session, entry.id)],
    )


async def _readable_entry(session: SessionDep, actor: Principal, entry_id: uuid.UUID) -> ListEntry:
    entry = await service.get_entry(session, entry_id)
    ensure_own_code(actor, entry.uscc)
    return entry


@router.post(
    "/v1/list-entries",
    status_code=status.HTTP_201_CREATED,
    response_model=ListEntryOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def propose_entry(
    actor: Regulator,
    body: ListEntryCreate,
    session: SessionDep,
    rules: RulesDep,
    list_rules: ListRulesDep,
    now: NowDep,
    response: Response,
) -> ListEntryOut:
    """Propose a black-list entry, or list an eligible enterprise on the red list (regulator)."""
    entry = await service.propose(
        session, data=body, actor=actor, rules=rules, list_rules=list_rules, now=now
    )
    response.headers["Location"] = f"/v1/list-entries/{entry.id}"
    return await detail_view(session, entry, list_rules, now)


@router.get(
    "/v1/list-entries/overdue",
    response_model=Page[ListEntrySummary],
    responses=responses(401, 403, 422),
)
async def overdue_publications(
    actor: Regulator,
    session: SessionDep,
    list_rules: ListRulesDep,
    now: NowDep,
    cursor: TimeAndIdCursor = None,
    limit: LimitQuery = 50,
) -> Page[ListEntrySummary]:
    """Listing decisions not published (or pushed) within Order 44 art. 14's periods (regulator)."""
    after = time_and_id_after(cursor)
    rows = await service.overdue_publications(session, now=now, after=after, limit=limit)
    last = rows[-1] if len(rows) == limit else None
    next_cursor = (
        encode_cursor(last.publication_due_at.isoformat(), str(last.id))
        if last and last.publication_due_at
        else None
    )
    return Page[ListEntrySummary](
        items=[summary_view(e, list_rules, now) for e in rows], next_cursor=next_cursor
    )


@router.get(
    "/v1/list-entries/{entry_id}", response_model=ListEntryOut, responses=responses(401, 403, 404, 422)
)
async def read_entry(
    actor: RegulatorOrOwner, entry_id: uuid.UUID, session: SessionDep, list_rules: ListRulesDep, now: NowDep
) -> ListEntryOut:
    """One entry with its statements, repair applications and history (regulator, or its enterprise)."""
    entry = await _readable_entry(session, actor, entry_id)
    return await detail_view(session, entry, list_rules, now)


@router.post(
    "/v1/list-entries/{entry_id}/transitions",
    response_model=ListEntryOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def transition_entry(
    actor: Regulator,
    entry_id: uuid.UUID,
    body: TransitionRequest,
    session: SessionDep,
    list_rules: ListRulesDep,
    now: NowDep,
) -> ListEntryOut:
    """Take an action on an entry (regulator); an illegal one answers 409 with the allowed actions."""
    entry = await service.act(
        session, entry_id=entry_id, data=body, actor=actor, list_rules=list_rules, now=now
    )
    return await detail_view(session, entry, list_rules, now)


@router.post(
    "/v1/list-entries/{entry_id}/statements",
    status_code=status.HTTP_201_CREATED,
    response_model=StatementOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def state_case(
    actor: EnterpriseActor, entry_id: uuid.UUID, body: StatementCreate, session: SessionDep, now: NowDep
) -> StatementOut:
    """State one's case and defend oneself, perhaps asking for a hearing (the enterprise, own entry)."""
    await _readable_entry(session, actor, entry_id)
    statement = await service.add_statement(session, entry_id=entry_id, data=body, actor=actor, now=now)
    return StatementOut.model_validate(statement)


@router.post(
    "/v1/list-entries/{entry_id}/statements/{statement_id}/reply",
    response_model=StatementOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def reply_to_statement(
    actor: Regulator,
    entry_id: uuid.UUID,
    statement_id: uuid.UUID,
    body: StatementReply,
    session: SessionDep,
    now: NowDep,
) -> StatementOut:
    """Answer the enterprise's statement (regulator); listing waits for every answer."""
    statement = await service.reply_to_statement(
        session, entry_id=entry_id, statement_id=statement_id, data=body, actor=actor, now=now
    )
    return StatementOut.model_validate(statement)


@router.post(
    "/v1/list-entries/{entry_id}/repair-applications",
    status_code=status.HTTP_201_CREATED,
    response_model=RepairApplicationOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def apply_for_repair(
    actor: EnterpriseActor,
    entry_id: uuid.UUID,
    body: RepairApplicationCreate,
    session: SessionDep,
    list_rules: ListRulesDep,
    now: NowDep,
    response: Response,
) -> RepairApplicationOut:
    """Apply for early removal from the black list (credit repair; the enterprise, own entry)."""
    await _readable_entry(session, actor, entry_id)
    application = await repairs.file_repair(
        session, entry_id=entry_id, data=body, actor=actor, list_rules=list_rules, now=now
    )
    response.headers["Location"] = f"/v1/repair-applications/{application.id}"
    return repair_view(application, now)


@router.get(
    "/v1/repair-applications",
    response_model=Page[RepairApplicationOut],
    responses=responses(401, 403, 422),
)
async def pending_repair_applications(
    actor: Regulator,
    session: SessionDep,
    now: NowDep,
    cursor: TimeAndIdCursor = None,
    limit: LimitQuery = 50,
) -> Page[RepairApplicationOut]:
    """Repair applications awaiting acceptance or a decision, the earliest filed first (regulator)."""
    after = time_and_id_after(cursor)
    rows = await repairs.open_repairs(session, after=after, limit=limit)
    next_cursor = (
        encode_cursor(rows[-1].filed_at.isoformat(), str(rows[-1].id)) if len(rows) == limit else None
    )
    return Page[RepairApplicationOut](items=[repair_view(r, now) for r in rows], next_cursor=next_cursor)


@router.get(
    "/v1/repair-applications/{application_id}",
    response_model=RepairApplicationOut,
    responses=responses(401, 403, 404, 422),
)
async def read_repair_application(
    actor: RegulatorOrOwner, application_id: uuid.UUID, session: SessionDep, now: NowDep
) -> RepairApplicationOut:
    """One repair application and its decision (regulator, or its enterprise)."""
    application = await repairs.get_repair(session, application_id)
    ensure_own_code(actor, application.uscc)
    return repair_view(application, now)


@router.post(
    "/v1/repair-applications/{application_id}/acceptance",
    response_model=RepairApplicationOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def accept_repair_application(
    actor: Regulator,
    application_id: uuid.UUID,
    body: RepairAcceptance,
    session: SessionDep,
    list_rules: ListRulesDep,
    now: NowDep,
) -> RepairApplicationOut:
    """Accept a received repair application, or refuse it with reasons, within 2 working days (regulator)."""
    application = await repairs.accept_repair(
        session, application_id=application_id, data=body, actor=actor, list_rules=list_rules, now=now
    )
    return repair_view(application, now)


@router.post(
    "/v1/repair-applications/{application_id}/decision",
    response_model=RepairApplicationOut,
    responses=responses(401, 403, 404, 409, 422),
)
async def decide_repair_application(
    actor: Regulator,
    application_id: uuid.UUID,
    body: RepairDecision,
    session: SessionDep,
    list_rules: ListRulesDep,
    now: NowDep,
) -> RepairApplicationOut:
    """Approve (the entry leaves the list) or reject a repair application, with reasons (regulator)."""
    application = await repairs.decide_repair(
        session, application_id=application_id, data=body, actor=actor, list_rules=list_rules, now=now
    )
    return repair_view(application, now)


@router.get(
    "/v1/enterprises/{uscc}/list-entries",
    response_model=Page[ListEntrySummary],
    responses=responses(401, 403, 404, 422),
)
async def entries_of_enterprise(
    actor: RegulatorOrOwner,
    enterprise: EnterpriseDep,
    session: SessionDep,
    list_rules: ListRulesDep,
    now: NowDep,
    cursor: TimeAndIdCursor = None,
    limit: LimitQuery = 50,
) -> Page[ListEntrySummary]:
    """Every list entry of one enterprise, removed ones included (regulator, or the enterprise)."""
    ensure_own_code(actor, enterprise.uscc)
    after = time_and_id_after(cursor)
    rows = await service.entries_of(session, uscc=enterprise.uscc, after=after, limit=limit)
    next_cursor = (
        encode_cursor(rows[-1].proposed_at.isoformat(), str(rows[-1].id)) if len(rows) == limit else None
    )
    return Page[ListEntrySummary](
        items=[summary_view(e, list_rules, now) for e in rows], next_cursor=next_cursor
    )


@router.get(
    "/v1/lists/{list_name}",
    response_model=Page[PublicListEntry],
    dependencies=[Depends(rate_limited("public_list"))],
    responses=responses(422, 429),
)
async def public_list(
    list_name: Annotated[ListName, Path(description="black (严重违法失信名单) or red (守信激励名单)")],
    session: SessionDep,
    now: NowDep,
    region: Annotated[str | None, Query(pattern=r"^\d{2,6}$", description="division code prefix")] = None,
    authority: Annotated[
        str | None, Query(max_length=200, pattern=QUERY_PATTERN, description="issuing authority contains")
    ] = None,
    cursor: TimeAndIdCursor = None,
    limit: LimitQuery = 50,
) -> Page[PublicListEntry]:
    """The public disclosure: active entries of one list, most recently listed first (public)."""
    after = time_and_id_after(cursor)
    rows = await service.public_list(
        session,
        kind=list_name,
        region=region,
        authority=authority.strip() if authority else None,
        after=after,
        limit=limit,
        now=now,
    )
    items = []
    for row in rows:
        entry, facts = row.entry, describe(row.enterprise.uscc)
        assert entry.listed_at is not None
        items.append(
            PublicListEntry(
                id=entry.id,
                uscc=entry.uscc,
                name=row.enterprise.name,
                region=Region(division=facts.division, province=facts.province),
                list=list_name,
                reason=entry.reason,
                legal_basis=entry.legal_basis,
                decision_no=entry.decision_no,
                authority=entry.authority,
                decided_at=entry.decided_at,
                listed_at=entry.listed_at,
                expires_at=entry.expires_at,
            )
        )
    last = rows[-1].entry if len(rows) == limit else None
    next_cursor = encode_cursor(last.listed_at.isoformat(), str(last.id)) if last and last.listed_at else None
    return Page[PublicListEntry](items=items, next_cursor=next_cursor)


def _provision(p: Provision) -> ProvisionOut:
    return ProvisionOut(value=p.value, basis=p.basis, status=p.status)


@router.get("/v1/list-rules", response_model=ListRulesOut)
async def read_list_rules(list_rules: ListRulesDep) -> ListRulesOut:
    """The terms and deadlines the lists run on, each with its legal basis (public)."""
    return ListRulesOut(
        version=list_rules.version,
        regulation=list_rules.regulation,
        defence_working_days=_provision(list_rules.defence_working_days),
        publication_working_days=_provision(list_rules.publication_working_days),
        cross_province_push_working_days=_provision(list_rules.cross_province_push_working_days),
        cross_province_publication_working_days=_provision(
            list_rules.cross_province_publication_working_days
        ),
        superior_consent=_provision(list_rules.superior_consent),
        publication_term_years=_provision(list_rules.publication_term_years),
        repair_after_years=_provision(list_rules.repair_after_years),
        repair_acceptance_working_days=_provision(list_rules.repair_acceptance_working_days),
        repair_decision_working_days=_provision(list_rules.repair_decision_working_days),
        stop_publication_working_days=_provision(list_rules.stop_publication_working_days),
        reapply_bar_years=_provision(list_rules.reapply_bar_years),
        reapply_bar_enabled=list_rules.reapply_bar_enabled,
        red_grade_floor=_provision(list_rules.red_grade_floor),
    )
