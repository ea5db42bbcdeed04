"""The handler console as the complaints app mounts it."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI

from services.common.console import login
from services.common.console.auth import Console, install_console
from services.common.console.oidc import client_from
from services.common.console.sessions import SessionStore
from services.common.roles import Role
from services.common.settings import ServiceSettings
from services.complaints.console import router, stats_page
from services.complaints.console.messages import MESSAGES
from services.complaints.console.models import console_sessions

ROUTERS: list[APIRouter] = [login.router, router.router, stats_page.router]


def install(app: FastAPI, settings: ServiceSettings) -> None:
    install_console(
        app,
        Console(
            store=SessionStore(console_sessions),
            roles=frozenset({Role.handler}),
            home={Role.handler: "/console/"},
            templates=Path(__file__).with_name("templates"),
            messages=MESSAGES,
            nav={Role.handler: [("/console/", "nav_queue"), ("/console/stats", "nav_stats")]},
            oidc=client_from(settings),
        ),
    )
