"""Complaints-wide dependencies: the rules, calendar, vault and clock as one context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.common.workdays import load_calendar
from services.complaints.cases.service import Context


async def _context(request: Request) -> Context:
    state = request.app.state
    return Context(
        policy=state.policy,
        calendar=load_calendar(state.settings.workdays_file),
        vault=state.vault,
        now=state.clock.now(),
    )


ContextDep = Annotated[Context, Depends(_context)]
