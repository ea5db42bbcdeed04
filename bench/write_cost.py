"""The cost of one API credit-event write, robust to a busy machine: SQL statements and CPU ms.

    python -m bench.write_cost [--label L] [--enterprises 2000] [--writes 300] [--profile FILE.html]

Serves the registry in this process (its ASGI app over httpx's transport, the bench's settings)
against a fresh PostgreSQL database filled as bench/writes.py fills it, posts one event to each of
`--writes` distinct enterprises one after another, and prints one JSON line: statements and round
trips per write (counted by a `before_cursor_execute` listener) and this process's CPU time per
write (server and client both; the client's share is the same before and after a change). Run from
another checkout (`cd /tmp/qcr-main && PYTHONPATH=. python -m bench.write_cost`) for a before.
`--profile` writes a pyinstrument report of the timed writes (pyinstrument must be importable).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from bench.run import ADMIN_DSN, drop, recreate, sa_url
from bench.writes import _event, _fill


async def _run(url: str, data_dir: Path, codes: list[str], warm: int, profile: Path | None) -> dict[str, Any]:
    from services.cli.tokens import mint
    from services.common.roles import Role
    from services.registry.app import create_app
    from services.registry.settings import RegistrySettings

    settings = RegistrySettings(
        environment="dev",
        data_dir=data_dir,
        database_url=url,
        sweep_interval_seconds=0,
        webhooks_enabled=False,
        db_pool_size=20,
    )
    app = create_app(settings)
    token = mint(data_dir, Role.regulator, subject="bench", ttl=7200)
    statements: Counter[str] = Counter()
    counting = False

    def count(_conn: Any, _cursor: Any, sql: str, _params: Any, _context: Any, _many: bool) -> None:
        if counting:
            statements[" ".join(sql.split())[:90]] += 1

    async with app.router.lifespan_context(app):
        event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as http:

            async def write(code: str) -> None:
                answer = await http.post(f"/v1/enterprises/{code}/credit-events", json=_event(f"C-{code}"))
                assert answer.status_code == 201, answer.text

            for code in codes[:warm]:
                await write(code)
            timed = codes[warm:]
            profiler: Any = None
            if profile is not None and profile.suffix == ".prof":  # cProfile: CPU per function
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            elif profile is not None:
                from pyinstrument import Profiler

                profiler = Profiler(async_mode="enabled")
                profiler.start()
            counting = True
            cpu, wall = time.process_time(), time.perf_counter()
            for code in timed:
                await write(code)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            counting = False
            if profile is not None and profile.suffix == ".prof":
                profiler.disable()
                profiler.dump_stats(profile)
            elif profile is not None:
                profiler.stop()
                html = profile.suffix == ".html"
                report = profiler.output_html() if html else profiler.output_text(show_all=False)
                await asyncio.to_thread(profile.write_text, report)
    n = len(timed)
    return {
        "writes": n,
        "statements_per_write": round(sum(statements.values()) / n, 2),
        "cpu_ms_per_write": round(cpu * 1000 / n, 2),
        "wall_ms_per_write": round(wall * 1000 / n, 2),
        "statements": {sql: round(k / n, 2) for sql, k in statements.most_common()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", default="cost")
    parser.add_argument("--enterprises", type=int, default=2000)
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--warm", type=int, default=30)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args(argv)
    database = f"qcr_bench_cost_{args.label}"
    dsn = recreate(ADMIN_DSN, database)
    data_dir = Path(tempfile.mkdtemp(prefix="qcr-bench-cost-"))
    url = sa_url(dsn)
    env = {**os.environ, "REGISTRY_DATABASE_URL": url, "REGISTRY_DATA_DIR": str(data_dir)}
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "services.cli.main", "migrate", "registry"], env=env, check=True)
    codes = _fill(dsn, args.enterprises)
    try:
        result = asyncio.run(_run(url, data_dir, codes[: args.warm + args.writes], args.warm, args.profile))
    finally:
        drop(ADMIN_DSN, database)
    print(json.dumps({"label": args.label, **result}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
