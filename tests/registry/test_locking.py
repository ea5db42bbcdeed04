"""Recheck, regrade and API writes at once: no deadlock, no lost update.

Every path locks the enterprise row first (then its declarations or entries), and the batch jobs
claim enterprise rows with SKIP LOCKED, so the three can run together. On PostgreSQL they really
overlap; SQLite has one writer and runs them one after another through the same code.
"""

import asyncio
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.registry.app import create_app
from services.registry.credit import grading
from services.registry.credit import service as credit
from services.registry.credit.models import CreditEvent
from services.registry.enterprises.models import Enterprise
from services.registry.ledger import chain
from services.registry.settings import RULES_DIR, RegistrySettings
from services.registry.standards.models import StandardFlag
from services.registry.standards.recheck import recheck_all
from services.registry.standards.reference import REFERENCE_FILE, load_reference
from services.registry.sweep.service import _until_done
from tests.registry.test_standards import enterprise, publish, standard_body
from tests.registry.test_standards_supervision import credit_event, flag_body
from tests.support import Tokens, code, event_body, register, running

N = 6


async def test_recheck_regrade_and_api_writes_run_together(
    registry: httpx.AsyncClient,
    registry_settings: RegistrySettings,
    tokens: Tokens,
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    reg = tokens(Role.regulator)
    declarations = []
    for n in range(N):
        await register(registry, reg, code(n))
        declarations.append((await publish(registry, enterprise(tokens, n), code(n), standard_body()))["id"])

    # A new rules version (every enterprise is due for a regrade) and stricter mandatory values
    # (every declaration is weaker now): both batch jobs have work on every enterprise.
    rules_text = (RULES_DIR / "2026.1.toml").read_text(encoding="utf-8")
    rules_file = tmp_path / "2026.2-test.toml"
    rules_file.write_text(
        rules_text.replace('version = "2026.1"', 'version = "2026.2-test"'), encoding="utf-8"
    )
    stricter = tmp_path / "mandatory_values.toml"
    text = REFERENCE_FILE.read_text(encoding="utf-8").replace('version = "2026.1"', 'version = "2027.1"')
    stricter.write_text(text.replace('value = "0.02"', 'value = "0.01"'), encoding="utf-8")
    reference = load_reference(stricter)

    app: FastAPI = create_app(registry_settings.model_copy(update={"rules_file": rules_file}), clock=clock)
    async with running(app) as client:
        rules = app.state.rule_book.in_force(clock.now())

        async def api_writes(n: int) -> None:
            for k in range(3):
                answer = await client.post(
                    f"/v1/enterprises/{code(n)}/credit-events",
                    json=event_body(f"L-{n}-{k}", severity="minor"),
                    headers=reg,
                )
                assert answer.status_code == 201, answer.text
            flagged = await client.post(
                f"/v1/standards/{declarations[n]}/flags",
                json=flag_body(credit_event=credit_event(f"F-{n}")),
                headers=reg,
            )
            assert flagged.status_code == 201, flagged.text

        async def regrade() -> int:
            return await _until_done(
                app.state.sessions,
                lambda s: credit.regrade_due(s, rules=rules, now=clock.now(), actor="system:test", batch=2),
            )

        results = await asyncio.gather(
            recheck_all(app.state.sessions, reference=reference, clock=clock, batch=2),
            regrade(),
            *(api_writes(n) for n in range(N)),
        )
        assert results[0] == N  # every declaration compared and flagged once

        async with app.state.sessions() as session:
            for n in range(N):
                row = await session.get(Enterprise, code(n))
                assert row is not None and row.rule_version == rules.version
                fresh = await grading.assess_enterprise(session, code(n), rules, clock.now())
                assert (row.score, row.grade) == (fresh.score, fresh.grade)  # no lost update
                events = (
                    await session.execute(select(func.count()).where(CreditEvent.uscc == code(n)))
                ).scalar_one()
                assert events == 4  # three events and the flag's
            flags = (await session.execute(select(func.count()).select_from(StandardFlag))).scalar_one()
            assert flags == 2 * N  # the comparison's and the regulator's, for each declaration
            checked, broken = await chain.verify_chains(session)
            assert broken is None and checked > 0
