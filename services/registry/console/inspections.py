"""The regulator's double-random (双随机) inspections in the console: a plan made from a form, its
drawn tasks with the public candidate list and seed, each task's results step by step; and the
standards spot-check draws (commit, then draw), whose picks are supervised on the declaration's own
page. Every step is the API's own function, audited with the signed-in regulator; a refusal of the
service is shown on the form that was sent, with what was typed kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.common.console.auth import (
    ConsoleRefusal,
    ConsoleUser,
    FormProblem,
    checked_form,
    form_problem,
    page,
    parsed,
    signed_in,
)
from services.common.db import SessionDep
from services.common.errors import DomainError
from services.common.roles import Role
from services.registry.credit.schemas import Severity
from services.registry.dependencies import NowDep, RulesDep
from services.registry.standards import service as standards
from services.registry.standards.router import LimitsDep, commit_sample, reveal_sample, sample_view
from services.registry.standards.schemas import SampleCreate, StandardType
from services.registry.supervision.router import create_plan, list_inspectors, plan_candidates
from services.registry.supervision.rules import load_catalogue, load_rules
from services.registry.supervision.schemas import PlanCreate, ResultStep
from services.registry.supervision.tasks import ALLOWED
from services.registry.supervision.tasks_router import list_tasks, read_task, record_result

router = APIRouter(prefix="/console", include_in_schema=False)
Regulator = Annotated[ConsoleUser, Depends(signed_in(Role.regulator))]
Refused = (DomainError, ConsoleRefusal)
CLASSES = ("A", "B", "C", "D")
STEPS = tuple(ALLOWED)
SEVERITIES = get_args(Severity)
TYPES = get_args(StandardType)
DONE = ("created", "step", "committed", "drawn")


def _text(form: Mapping[str, Any], name: str) -> str | None:
    value = str(form.get(name, "")).strip()
    return value or None


def _done(request: Request) -> str | None:
    done = request.query_params.get("done")
    return done if done in DONE else None


def _kept(form: Any) -> dict[str, Any]:
    """What was typed, to fill the form again after a refusal (lists for repeated fields)."""
    return {
        k: form.getlist(k) if k in ("inspector_pool", "categories", "statuses") else v
        for k, v in form.items()
    }


async def _new_plan_page(
    request: Request,
    user: ConsoleUser,
    session: SessionDep,
    *,
    values: Mapping[str, Any] | None = None,
    problem: FormProblem | None = None,
) -> Response:
    inspectors = await list_inspectors(user.principal, session, None, 200)
    return page(
        request,
        "plan_new.html",
        user=user,
        status=problem.status if problem else 200,
        inspectors=[i for i in inspectors.items if i.active],
        categories=load_catalogue().categories,
        ratios=load_rules().ratios,
        classes=CLASSES,
        values=values or {"statuses": ["active"]},
        problem=problem,
    )


@router.get("/plans/new")
async def new_plan(request: Request, user: Regulator, session: SessionDep) -> Response:
    return await _new_plan_page(request, user, session)


def _plan_body(form: Any) -> dict[str, Any]:
    names = ("title", "authority", "region", "period_start", "period_end", "cap", "note")
    body: dict[str, Any] = {k: v for k in names if (v := _text(form, k)) is not None}
    body["inspector_pool"] = [str(v) for v in form.getlist("inspector_pool")]
    body["categories"] = [str(v) for v in form.getlist("categories")]
    body["statuses"] = [str(v) for v in form.getlist("statuses")] or ["active"]
    ratios = {c: v for c in CLASSES if (v := _text(form, f"ratio_{c}")) is not None}
    if ratios:
        body["ratios"] = ratios
    return body


@router.post("/plans")
async def make_plan(request: Request, user: Regulator, session: SessionDep, now: NowDep) -> Response:
    form = await checked_form(request, user, max_files=0)
    try:
        body = parsed(PlanCreate, _plan_body(form), user)
        plan = await create_plan(user.principal, body, session, now, Response())
    except Refused as exc:
        problem = await form_problem(session, exc)
        return await _new_plan_page(request, user, session, values=_kept(form), problem=problem)
    return RedirectResponse(f"/console/plans/{plan.id}?done=created", status_code=303)


async def plan_extras(
    user: ConsoleUser, plan_id: uuid.UUID, status: str, session: SessionDep
) -> dict[str, Any]:
    """A drawn plan's tasks, and its frozen candidates with the seed (public once drawn)."""
    if status not in ("approved", "drawn", "closed"):
        return {"tasks": [], "candidates": None}
    tasks = await list_tasks(user.principal, session, plan_id, None, None, 200)
    candidates = await plan_candidates(user.principal, plan_id, session)
    return {"tasks": tasks.items, "candidates": candidates}


async def _task_page(
    request: Request,
    user: ConsoleUser,
    task_id: uuid.UUID,
    session: SessionDep,
    *,
    problem: FormProblem | None = None,
) -> Response:
    task = await read_task(user.principal, task_id, session)
    steps = [s for s in STEPS if task.status in ALLOWED[s]]
    return page(
        request,
        "task.html",
        user=user,
        status=problem.status if problem else 200,
        task=task,
        steps=steps,
        severities=SEVERITIES,
        problem=problem,
        done=_done(request),
    )


@router.get("/tasks/{task_id}")
async def task(request: Request, user: Regulator, task_id: uuid.UUID, session: SessionDep) -> Response:
    return await _task_page(request, user, task_id, session)


@router.post("/tasks/{task_id}/results")
async def record_step(
    request: Request, user: Regulator, task_id: uuid.UUID, session: SessionDep, rules: RulesDep, now: NowDep
) -> Response:
    form = await checked_form(request, user, max_files=0)
    names = ("step", "sample_ref", "product", "category", "result", "severity", "findings", "objection")
    body: dict[str, Any] = {k: v for k in names if (v := _text(form, k)) is not None}
    if (on := _text(form, "at_date")) is not None:
        body["at"] = f"{on}T{_text(form, 'at_time') or '09:00'}:00+08:00"
    try:
        step = parsed(ResultStep, body, user)
        await record_result(user.principal, task_id, step, session, rules, now)
    except Refused as exc:
        return await _task_page(request, user, task_id, session, problem=await form_problem(session, exc))
    return RedirectResponse(f"/console/tasks/{task_id}?done=step", status_code=303)


async def _samples_page(
    request: Request,
    user: ConsoleUser,
    session: SessionDep,
    *,
    values: Mapping[str, Any] | None = None,
    problem: FormProblem | None = None,
) -> Response:
    recent = await standards.recent_samples(session, limit=30)
    return page(
        request,
        "samples.html",
        user=user,
        status=problem.status if problem else 200,
        samples=recent,
        types=TYPES,
        values=values or {},
        problem=problem,
    )


@router.get("/samples")
async def samples(request: Request, user: Regulator, session: SessionDep) -> Response:
    return await _samples_page(request, user, session)


@router.post("/samples")
async def make_sample(
    request: Request, user: Regulator, session: SessionDep, limits: LimitsDep, now: NowDep
) -> Response:
    form = await checked_form(request, user, max_files=0)
    body = {k: v for k in ("n", "region", "product", "type", "note") if (v := _text(form, k)) is not None}
    try:
        sample = await commit_sample(
            user.principal, parsed(SampleCreate, body, user), session, limits, now, Response()
        )
    except Refused as exc:
        problem = await form_problem(session, exc)
        return await _samples_page(request, user, session, values=dict(form.items()), problem=problem)
    return RedirectResponse(f"/console/samples/{sample.id}?done=committed", status_code=303)


async def _sample_page(
    request: Request,
    user: ConsoleUser,
    sample_id: uuid.UUID,
    session: SessionDep,
    *,
    problem: FormProblem | None = None,
) -> Response:
    stored = await standards.get_sample(session, sample_id, with_candidates=True)
    return page(
        request,
        "sample.html",
        user=user,
        status=problem.status if problem else 200,
        sample=await sample_view(session, stored),
        candidates=stored.candidates if stored.status == "drawn" else [],
        problem=problem,
        done=_done(request),
    )


@router.get("/samples/{sample_id}")
async def sample(request: Request, user: Regulator, sample_id: uuid.UUID, session: SessionDep) -> Response:
    return await _sample_page(request, user, sample_id, session)


@router.post("/samples/{sample_id}/draw")
async def draw_sample(
    request: Request, user: Regulator, sample_id: uuid.UUID, session: SessionDep, now: NowDep
) -> Response:
    await checked_form(request, user, max_files=0)
    try:
        await reveal_sample(user.principal, sample_id, session, now)
    except Refused as exc:
        return await _sample_page(request, user, sample_id, session, problem=await form_problem(session, exc))
    return RedirectResponse(f"/console/samples/{sample_id}?done=drawn", status_code=303)
