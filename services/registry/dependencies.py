"""Registry-wide dependencies: the rules version in force now, the clock, the enterprise in the path.

All `async def`: FastAPI runs plain `def` dependencies in a thread pool, a hop per request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Request

from services.common import uscc as uscc_rules
from services.common.db import SessionDep
from services.common.errors import Unprocessable
from services.registry.credit.rules import Assessment, RuleSet, assess
from services.registry.enterprises import service as enterprises
from services.registry.enterprises.models import Enterprise


async def _rules(request: Request) -> RuleSet:
    """The rules version in force now (a version with a later `effective_from` takes over then)."""
    return request.app.state.rule_book.in_force(request.app.state.clock.now())  # type: ignore[no-any-return]


async def _now(request: Request) -> datetime:
    return request.app.state.clock.now()


async def _path_code(
    uscc: Annotated[
        str,
        Path(
            min_length=1,
            max_length=40,
            description="unified social credit code (normalised: trimmed, upper-cased)",
            json_schema_extra=uscc_rules.SCHEMA,
        ),
    ],
) -> str:
    code = uscc_rules.normalise(uscc)
    try:
        uscc_rules.check_format(code)
    except uscc_rules.UsccError as exc:
        raise Unprocessable(
            f"uscc: {exc.message}", errors=[{"field": "uscc", "in": "path", "message": exc.message}]
        ) from exc
    return code


async def _enterprise(session: SessionDep, code: Annotated[str, Depends(_path_code)]) -> Enterprise:
    return await enterprises.get(session, code)


async def _initial_grade(request: Request) -> Assessment:
    now = request.app.state.clock.now()
    return assess([], request.app.state.rule_book.in_force(now), now)


RulesDep = Annotated[RuleSet, Depends(_rules)]
NowDep = Annotated[datetime, Depends(_now)]
UsccPathDep = Annotated[str, Depends(_path_code)]
EnterpriseDep = Annotated[Enterprise, Depends(_enterprise)]
InitialGradeDep = Annotated[Assessment, Depends(_initial_grade)]
