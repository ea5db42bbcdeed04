"""The feed's guarantee with concurrent writers: a follower sees every committed change once, in order.

Many writers record events for distinct enterprises while one more writer holds its transaction
open (on PostgreSQL, for seconds: its change exists but is uncommitted) and a partner follows
`/v1/changes`. The follower must never see a gap, a repeat, or the held change before it commits;
at the end its sequence is exactly the committed set.
"""

import asyncio

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from services.common.auth import Principal
from services.common.roles import Role
from services.registry.credit import service as credit
from services.registry.credit.schemas import CreditEventCreate
from services.registry.ledger.models import Change
from tests.support import Backend, Tokens, code, event_body, register

WRITERS = 12


async def test_a_follower_sees_the_committed_set_in_order_without_gaps_or_repeats(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, backend: Backend
) -> None:
    reg, partner = tokens(Role.regulator), {**tokens(Role.partner), "X-Purpose": "feed test"}
    held_code = code(900)
    for n in [*range(WRITERS), 900]:
        await register(registry, reg, code(n) if n != 900 else held_code)
    start = int(
        (await registry.get("/v1/changes", params={"limit": 1000}, headers=partner)).json()["next_cursor"]
    )

    held_open = asyncio.Event()
    release = asyncio.Event()
    seen: list[dict] = []
    seen_while_held: list[int] = []

    async def held_writer() -> None:
        async with registry_app.state.sessions() as session:
            await credit.record_event(
                session,
                uscc=held_code,
                data=CreditEventCreate.model_validate(event_body("HELD-1")),
                actor=Principal(role=Role.regulator, subject="slow-officer", issuer="qcr-dev"),
                rules=registry_app.state.rule_book.in_force(registry_app.state.clock.now()),
                now=registry_app.state.clock.now(),
            )
            from services.registry.events.unit_of_work import publish

            await publish(session)  # its grade change is in the change table now, uncommitted
            held_open.set()
            await release.wait()
            await session.commit()

    async def writer(n: int) -> None:
        await held_open.wait()
        for k in range(3):
            answer = await registry.post(
                f"/v1/enterprises/{code(n)}/credit-events",
                json=event_body(f"W-{n}-{k}", severity="minor"),
                headers=reg,
            )
            assert answer.status_code == 201

    async def follower(until: asyncio.Event) -> None:
        cursor = start
        while True:
            finished = (
                until.is_set()
            )  # read before the request: a page begun earlier may miss the last commit
            page = (
                await registry.get("/v1/changes", params={"after": cursor, "limit": 7}, headers=partner)
            ).json()
            for item in page["items"]:
                assert item["seq"] == cursor + 1, f"gap or repeat after {cursor}: {item['seq']}"
                cursor = item["seq"]
                seen.append(item)
                if not release.is_set():
                    seen_while_held.append(cursor)
                    assert item["uscc"] != held_code, "an uncommitted change was served"
            if finished and not page["items"]:
                return
            await asyncio.sleep(0.01)

    done = asyncio.Event()
    if backend.name == "sqlite":
        release.set()  # one writer: the held transaction cannot overlap the others there
    held = asyncio.create_task(held_writer())
    reader = asyncio.create_task(follower(done))
    await asyncio.gather(*(writer(n) for n in range(WRITERS)))
    await asyncio.sleep(2 if backend.name == "postgresql" else 0)  # the follower keeps reading
    release.set()
    await held
    done.set()
    await reader

    async with registry_app.state.sessions() as session:
        committed = (
            await session.execute(
                select(Change.position, Change.kind, Change.uscc).where(Change.position > start)
            )
        ).all()
    assert sorted(p for p, _, _ in committed) == [i["seq"] for i in seen]  # the committed set, in order
    assert {(i["seq"], i["kind"], i["uscc"]) for i in seen} == set(committed)
    assert sum(i["kind"] == "grade_changed" for i in seen) == WRITERS * 3 + 1
    assert held_code in {i["uscc"] for i in seen}
    if backend.name == "postgresql":
        assert seen_while_held, "the follower read while the slow writer held its transaction open"
