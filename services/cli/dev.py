"""`qcr dev`, `qcr serve`, `qcr migrate`: running the services."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import uvicorn

from services.cli.tokens import mint
from services.common import migrate
from services.common.clock import SystemClock
from services.common.db import create_engine
from services.common.devkeys import ensure_dev_keys
from services.common.roles import Role
from services.complaints.settings import ComplaintsSettings
from services.registry.settings import RegistrySettings


def _settings(
    data_dir: Path | None, registry_url: str | None = None, complaints_url: str | None = None
) -> tuple[RegistrySettings, ComplaintsSettings]:
    extra = {"data_dir": data_dir} if data_dir else {}
    registry = RegistrySettings(**extra, **({"complaints_url": complaints_url} if complaints_url else {}))
    complaints_extra = dict(extra)
    if registry_url:
        complaints_extra["registry_url"] = registry_url
    return registry, ComplaintsSettings(**complaints_extra)


def _prepare(settings: RegistrySettings | ComplaintsSettings) -> None:
    """Dev conveniences (keys, data dir, schema); production migrates with its own job."""
    if settings.is_production:
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_dev_keys(settings.data_dir)
    migrate.upgrade(settings.service_name, settings.database_url)


def _server(app: object, host: str, port: int, workers: int = 1) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,  # type: ignore[arg-type]
        workers=workers,
        lifespan="on",
    )
    return uvicorn.Server(config)


async def _load_demo(settings: RegistrySettings) -> list[str]:
    from services.registry import demo
    from services.registry.credit.rulebook import load_rule_book
    from services.registry.subscribers import sessions as registry_sessions

    engine = create_engine(settings.database_url)
    try:
        async with registry_sessions(engine, settings)() as session:
            now = SystemClock().now()
            codes = await demo.load(session, rules=load_rule_book(settings.rules_file).in_force(now), now=now)
            await session.commit()
            return codes
    finally:
        await engine.dispose()


def run_dev(args: argparse.Namespace) -> int:
    from services.complaints.app import create_app as complaints_app
    from services.registry.app import create_app as registry_app

    registry_url = f"http://{args.host}:{args.registry_port}"
    complaints_url = f"http://{args.host}:{args.complaints_port}"
    registry, complaints = _settings(args.data_dir, registry_url, complaints_url)
    if not registry.lists_sweep_interval_seconds:
        # In production cron runs `qcr lists sweep`; in dev the registry sweeps by itself.
        registry = registry.model_copy(update={"lists_sweep_interval_seconds": 60})
    # The consoles run on plain http here: their cookies cannot be Secure (they are everywhere else).
    if registry.environment == "dev":
        registry = registry.model_copy(update={"console_cookie_secure": False})
    if complaints.environment == "dev":
        complaints = complaints.model_copy(update={"console_cookie_secure": False})
    _prepare(registry)
    _prepare(complaints)
    codes = asyncio.run(_load_demo(registry))
    print(f"""
Quality-credit registry, development mode (SQLite files and DEV keys in {args.data_dir}/)
  portal      {registry_url}/    (public disclosure: search, enterprise pages, lists, complaints)
  registry    {registry_url}    (API docs: {registry_url}/docs)
  complaints  {complaints_url}    (API docs: {complaints_url}/docs)
  consoles    {registry_url}/console/ (regulators, enterprises), {complaints_url}/console/ (handlers)
              sign in at /console/dev-login by picking a role (development only)
Demo enterprises: {", ".join(codes)}
Sample tokens (1 hour; more with `qcr token --role R`):""")
    for role, uscc in [
        (Role.regulator, None),
        (Role.enterprise, codes[0]),
        (Role.partner, None),
        (Role.handler, None),
        (Role.service, None),
    ]:
        print(f"  {role:<10} {mint(args.data_dir, role, uscc=uscc)}")
    print(flush=True)

    async def serve_both() -> None:
        servers = [
            _server(registry_app(registry), args.host, args.registry_port),
            _server(complaints_app(complaints), args.host, args.complaints_port),
        ]
        await asyncio.gather(*(s.serve() for s in servers))

    asyncio.run(serve_both())
    return 0


def run_serve(args: argparse.Namespace) -> int:
    registry, complaints = _settings(args.data_dir, args.registry_url)
    if args.service == "registry":
        from services.registry.app import create_app as registry_app

        _prepare(registry)
        app, port = registry_app(registry), args.port or 8001
    else:
        from services.complaints.app import create_app as complaints_app

        _prepare(complaints)
        app, port = complaints_app(complaints), args.port or 8002
    asyncio.run(_server(app, args.host, port).serve())
    return 0


def run_migrate(args: argparse.Namespace) -> int:
    registry, complaints = _settings(args.data_dir)
    for settings in (registry, complaints):
        if args.service in (None, settings.service_name):
            if not settings.is_production:
                settings.data_dir.mkdir(parents=True, exist_ok=True)
                ensure_dev_keys(settings.data_dir)
            migrate.upgrade(settings.service_name, settings.database_url)
            print(f"{settings.service_name}: at head")
    return 0
