"""The feed horizon: a reader never sees a later change before an earlier committed one, even while
a slow shard is still committing the earlier one's number.

On Citus the sequencer's numbering commits on each shard in turn. The moment that matters — one
enterprise's change already numbered and visible, another's (numbered before it) not yet — is made
here on purpose: the later position is written directly, as the fast shard would show it, while the
earlier one is still missing. A follower must not be served the later one; once the earlier one is
there and the sequencer has published the horizon, it gets both, in order. Runs on every backend
(the technique is the same one; on Citus the two enterprises sit on different shards).
"""

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from services.common.roles import Role
from services.registry.ledger import feed
from services.registry.ledger.models import Change
from tests.support import Tokens, code, register


async def test_a_change_numbered_on_a_fast_shard_waits_for_the_earlier_one_on_a_slow_shard(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens
) -> None:
    reg, partner = tokens(Role.regulator), {**tokens(Role.partner), "X-Purpose": "feed test"}
    await register(registry, reg, code(1))
    start = int(
        (await registry.get("/v1/changes", params={"limit": 1000}, headers=partner)).json()["next_cursor"]
    )
    slow, fast = code(2), code(3)
    await register(registry, reg, slow)
    await register(registry, reg, fast)
    sessions = registry_app.state.sessions
    async with sessions() as session:
        pending = (
            await session.execute(
                select(Change.uscc, Change.seq)
                .where(Change.position.is_(None))
                .order_by(Change.uscc != slow, Change.seq)
            )
        ).all()
    numbers = {key: start + n for n, key in enumerate(pending, start=1)}  # the slow shard's come first

    async def number(uscc: str) -> None:
        async with sessions() as session:
            for (owner, seq), position in numbers.items():
                if owner == uscc:
                    await session.execute(
                        update(Change)
                        .where(Change.uscc == owner, Change.seq == seq)
                        .values(position=position)
                    )
            await session.commit()

    await number(fast)  # the fast shard has committed its numbers; the slow one not yet
    async with sessions() as session:
        assert await feed.changes_after(session, after=start, limit=100) == []
        assert await feed.feed_cursor(session) == start

    await number(slow)  # the slow shard's commit arrives
    await feed.sequence(sessions)  # publishes the horizon (nothing is left to number)
    page = (await registry.get("/v1/changes", params={"after": start}, headers=partner)).json()
    assert [(i["seq"], i["uscc"]) for i in page["items"]] == [
        (position, owner) for (owner, _), position in sorted(numbers.items(), key=lambda item: item[1])
    ]
    assert {i["uscc"] for i in page["items"]} == {slow, fast}
