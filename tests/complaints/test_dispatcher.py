"""The outbox dispatcher against the real registry app in process: auth failures, tokens, leases.

The registry is the real application (its own database, its token check); only the clock of the
dispatcher is moved by hand, and a thin ASGI layer in front of the registry counts what arrives.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from sqlalchemy import select
from starlette.types import Receive, Scope, Send

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.complaints.outbox.dispatcher import Dispatcher
from services.complaints.outbox.models import OutboxMessage
from services.complaints.settings import ComplaintsSettings
from tests.conftest import NOW
from tests.support import Tokens, code, complaint_body, move, register

Hook = Callable[[dict[str, object]], Awaitable[None]]


class Recorder:
    """In front of the registry app: records each POST (body, token), runs a hook before it."""

    def __init__(self, app: FastAPI):
        self.app = app
        self.posts: list[dict[str, object]] = []
        self.hook: Hook | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        token = dict(scope["headers"]).get(b"authorization", b"").decode().removeprefix("Bearer ")
        post = {"source_ref": json.loads(body)["source_ref"], "token": token}
        self.posts.append(post)
        if self.hook is not None:
            await self.hook(post)

        async def replay() -> dict[str, object]:
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def count(self) -> Counter[str]:
        return Counter(str(p["source_ref"]) for p in self.posts)


@pytest.fixture
def recorder(registry_app: FastAPI, registry: httpx.AsyncClient) -> Recorder:
    return Recorder(registry_app)


def dispatcher(
    app: FastAPI, recorder: Recorder, clock: FrozenClock, name: str, **settings: object
) -> Dispatcher:
    base: ComplaintsSettings = app.state.settings
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=recorder), base_url="http://registry")
    return Dispatcher(
        sessions=app.state.sessions,
        settings=base.model_copy(update={"registry_url": "http://registry", **settings}),
        clock=clock,
        client=client,
        worker=name,
        metrics=app.state.outbox_metrics,
    )


async def substantiated(complaints: httpx.AsyncClient, tokens: Tokens, n: int) -> list[str]:
    ids = []
    for i in range(n):
        filed = await complaints.post(
            "/v1/complaints", json=complaint_body(description=f"第{i}件：牛奶变质，商家拒绝退换")
        )
        assert filed.status_code == 201, filed.text
        await move(
            complaints, tokens(Role.handler), filed.json()["id"], "accept", "investigate", "substantiate"
        )
        ids.append(filed.json()["id"])
    return ids


async def rows(app: FastAPI) -> list[OutboxMessage]:
    async with app.state.sessions() as session:
        return list((await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


def stranger_key(tmp_path: Path) -> Path:
    path = tmp_path / "rotated-wrong.pem"
    path.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return path


async def test_a_refused_token_is_retried_loudly_never_parked(
    complaints: httpx.AsyncClient,
    complaints_app: FastAPI,
    registry: httpx.AsyncClient,
    recorder: Recorder,
    tokens: Tokens,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await register(registry, tokens(Role.regulator), code(1))
    cases = await substantiated(complaints, tokens, 2)
    clock = FrozenClock(NOW + timedelta(minutes=1))
    # A key rotation gone wrong: the registry does not know the key the dispatcher signs with.
    wrong = dispatcher(complaints_app, recorder, clock, "a", signing_key_file=stranger_key(tmp_path))
    with caplog.at_level(logging.WARNING, logger="qcr.outbox"):
        assert await wrong.run_once() == 2
    parked = await rows(complaints_app)
    assert [r.status for r in parked] == ["pending", "pending"]  # not "failed": nothing is wrong with them
    assert all(r.next_attempt_at > clock.now() and "401" in (r.last_error or "") for r in parked)
    refused = [r for r in caplog.records if r.levelno >= logging.ERROR and "refused" in r.getMessage()]
    assert refused, [r.getMessage() for r in caplog.records]
    metrics = (await complaints.get("/metrics")).text
    assert 'outbox_auth_failures_total{status="401"} 2.0' in metrics
    # Backed off: another pass right away sends nothing.
    assert await wrong.run_once() == 0
    # The key is fixed; once the backoff has passed the backlog goes through.
    clock.advance(timedelta(minutes=10))
    assert await dispatcher(complaints_app, recorder, clock, "b").run_once() == 2
    assert [r.status for r in await rows(complaints_app)] == ["sent", "sent"]
    events = await registry.get(f"/v1/enterprises/{code(1)}/credit-events", headers=tokens(Role.regulator))
    assert sorted(e["source_ref"] for e in events.json()["items"]) == sorted(cases)


async def test_each_delivery_carries_a_token_minted_for_it(
    complaints: httpx.AsyncClient,
    complaints_app: FastAPI,
    registry: httpx.AsyncClient,
    recorder: Recorder,
    tokens: Tokens,
) -> None:
    await register(registry, tokens(Role.regulator), code(1))
    await substantiated(complaints, tokens, 3)
    clock = FrozenClock(NOW + timedelta(minutes=1))
    assert await dispatcher(complaints_app, recorder, clock, "a").run_once() == 3
    claims = [jwt.decode(str(p["token"]), options={"verify_signature": False}) for p in recorder.posts]
    # One token per delivery, short-lived, for the registry only.
    assert len({c["jti"] for c in claims}) == 3
    assert all(
        c["exp"] - c["iat"] <= 120 and c["aud"] == "registry" and c["sub"] == "complaints" for c in claims
    )
    assert [r.status for r in await rows(complaints_app)] == ["sent"] * 3


async def test_a_long_pass_keeps_its_lease_so_another_dispatcher_never_sends_the_same_row(
    complaints: httpx.AsyncClient,
    complaints_app: FastAPI,
    registry: httpx.AsyncClient,
    recorder: Recorder,
    tokens: Tokens,
) -> None:
    """Production lease (30 s); each delivery takes 20 s, shorter than the lease, so the pass as a
    whole (3 × 20 s) outlasts it. Another dispatcher runs a pass in the middle."""
    await register(registry, tokens(Role.regulator), code(1))
    cases = await substantiated(complaints, tokens, 3)
    clock = FrozenClock(NOW + timedelta(minutes=1))
    lease = ComplaintsSettings.model_fields["lease_seconds"].default
    first = dispatcher(complaints_app, recorder, clock, "first", lease_seconds=lease)
    second = dispatcher(complaints_app, recorder, clock, "second", lease_seconds=lease)
    state = {"inside_second": False}

    async def slow_registry(post: dict[str, object]) -> None:
        if state["inside_second"]:
            return
        clock.advance(timedelta(seconds=20))
        if len(recorder.posts) == 2:
            state["inside_second"] = True
            await second.run_once()
            state["inside_second"] = False

    recorder.hook = slow_registry
    await first.run_once()
    assert recorder.count() == dict.fromkeys(cases, 1)
    assert [r.status for r in await rows(complaints_app)] == ["sent"] * 3


def test_a_lease_shorter_than_one_delivery_is_refused() -> None:
    with pytest.raises(ValueError, match="lease_seconds"):
        ComplaintsSettings(environment="test", lease_seconds=5, registry_timeout_seconds=5)
