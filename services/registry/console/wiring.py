"""The registry's consoles as the app mounts them: one sign-in, a home page per role."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response

from services.common.console import login
from services.common.console.auth import Console, ConsoleUser, install_console, signed_in
from services.common.console.oidc import client_from
from services.common.console.sessions import SessionStore
from services.common.db import SessionDep
from services.common.roles import Role
from services.common.settings import ServiceSettings
from services.registry.console import (
    declarations,
    enterprise_admin,
    enterprise_pages,
    inspections,
    regulator_pages,
    reports,
    standards_supervision,
    warnings_plans,
)
from services.registry.console.messages import MESSAGES
from services.registry.console.models import console_sessions
from services.registry.dependencies import NowDep, RulesDep
from services.registry.lists.router import ListRulesDep

home = APIRouter(prefix="/console", include_in_schema=False)


@home.get("/")
async def home_page(
    request: Request,
    user: Annotated[ConsoleUser, Depends(signed_in(Role.regulator, Role.enterprise))],
    session: SessionDep,
    rules: RulesDep,
    list_rules: ListRulesDep,
    now: NowDep,
) -> Response:
    """The enterprise's credit file, or what is due for the regulator."""
    if user.principal.role is Role.enterprise:
        return await enterprise_pages.enterprise_home(request, user, session, rules, now)
    return await regulator_pages.regulator_home(request, user, session, list_rules, now)


ROUTERS: list[APIRouter] = [
    login.router,
    home,
    enterprise_pages.router,
    declarations.router,
    enterprise_admin.router,
    reports.router,
    standards_supervision.router,
    inspections.router,  # before /plans/{plan_id}: /plans/new is not a plan
    warnings_plans.router,
    regulator_pages.router,
]

NAV = {
    Role.enterprise: [
        ("/console/", "nav_home"),
        ("/console/declarations", "nav_declarations"),
        ("/console/notices", "nav_notices"),
        ("/console/access-log", "nav_access_log"),
        ("/console/reports", "nav_reports"),
    ],
    Role.regulator: [
        ("/console/", "nav_home"),
        ("/console/enterprises", "nav_enterprises"),
        ("/console/repairs", "nav_repairs"),
        ("/console/standards", "nav_standards"),
        ("/console/warnings", "nav_warnings"),
        ("/console/plans", "nav_plans"),
        ("/console/samples", "nav_samples"),
        ("/console/audit", "nav_audit"),
    ],
}


def install(app: FastAPI, settings: ServiceSettings) -> None:
    install_console(
        app,
        Console(
            store=SessionStore(console_sessions),
            roles=frozenset({Role.regulator, Role.enterprise}),
            home={Role.regulator: "/console/", Role.enterprise: "/console/"},
            templates=Path(__file__).with_name("templates"),
            messages=MESSAGES,
            nav=NAV,
            oidc=client_from(settings),
        ),
    )
