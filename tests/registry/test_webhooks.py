"""Webhooks: signed, ordered, retried, replayable; verified with the README's own recipe."""

import json
import re
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.registry.partners import webhooks
from services.registry.partners.webhooks import WebhookDispatcher
from tests.processes import ROOT
from tests.receiver import Receiver
from tests.support import Tokens, code, event_body, register


def readme_verify() -> Any:
    """The verification recipe exactly as the README shows it to partners."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- webhook-verify -->\s*```python\n(.*?)```", readme, re.S)
    assert block, "README lost its webhook verification recipe"
    namespace: dict[str, Any] = {}
    exec(block.group(1), namespace)
    return namespace["verify"]


def dispatcher(app: FastAPI) -> WebhookDispatcher:
    return WebhookDispatcher(
        sessions=app.state.sessions,
        clock=app.state.clock,
        timeout=5,
        backoff_base=2,
        backoff_max=60,
        private_targets=True,  # the test receiver listens on 127.0.0.1
    )


async def test_deliveries_are_signed_ordered_retried_and_replayable(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, clock: FrozenClock
) -> None:
    reg, partner = tokens(Role.regulator), tokens(Role.partner, subject="bank-a")
    verify = readme_verify()
    with Receiver(fail_first=1).running() as receiver:
        created = await registry.post(
            "/v1/subscriptions",
            headers=partner,
            json={"url": receiver.url, "kinds": ["grade_changed", "enterprise_created"]},
        )
        assert created.status_code == 201, created.text
        sub = created.json()
        secret = sub["secret"]
        for n in (1, 2):
            await register(registry, reg, code(n))
        for ref, n in (("W-1", 1), ("W-2", 2), ("W-3", 1)):
            await registry.post(
                f"/v1/enterprises/{code(n)}/credit-events",
                json=event_body(ref, severity="minor"),
                headers=reg,
            )
        worker = dispatcher(registry_app)
        assert await worker.run_once() == 0  # the receiver answers 503 once
        state = (await registry.get("/v1/subscriptions", headers=partner)).json()[0]
        assert state["attempts"] == 1 and state["last_error"] == webhooks.DELIVERY_FAILED
        assert await worker.run_once() == 0  # backing off: nothing is due yet
        clock.advance(timedelta(seconds=5))
        assert await worker.run_once() == 5
        bodies = [json.loads(r.body) for r in receiver.received]
        assert [(b["kind"], b["uscc"]) for b in bodies] == [
            ("enterprise_created", code(1)),
            ("enterprise_created", code(2)),
            ("grade_changed", code(1)),
            ("grade_changed", code(2)),
            ("grade_changed", code(1)),
        ]
        assert [b["seq"] for b in bodies] == sorted(b["seq"] for b in bodies)
        for r in receiver.received:
            assert verify(secret, r.headers["qcr-signature"], r.body)
            assert not verify(secret, r.headers["qcr-signature"], r.body + b" ")  # tampered
            assert not verify("not-the-secret", r.headers["qcr-signature"], r.body)
        assert await worker.run_once() == 0  # nothing new, nothing sent twice

        first_grade = bodies[2]["seq"]
        replay = await registry.post(
            f"/v1/subscriptions/{sub['id']}/replay", json={"after": first_grade - 1}, headers=partner
        )
        assert replay.status_code == 200
        assert await worker.run_once() == 3
        assert [json.loads(r.body)["seq"] for r in receiver.received[5:]] == [b["seq"] for b in bodies[2:]]

        other = tokens(Role.partner, subject="bank-b")
        stolen = await registry.post(
            f"/v1/subscriptions/{sub['id']}/replay", json={"after": 0}, headers=other
        )
        assert stolen.status_code == 403
        assert (await registry.get("/v1/subscriptions", headers=other)).json() == []
        cancelled = await registry.delete(f"/v1/subscriptions/{sub['id']}", headers=partner)
        assert cancelled.json()["active"] is False
        await register(registry, reg, code(3))
        assert await worker.run_once() == 0


async def test_subscription_input_and_access(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    partner = tokens(Role.partner)
    bad_kind = await registry.post(
        "/v1/subscriptions", headers=partner, json={"url": "http://127.0.0.1:9/x", "kinds": ["gossip"]}
    )
    assert bad_kind.status_code == 422 and "gossip" in bad_kind.json()["detail"]
    bad_url = await registry.post(
        "/v1/subscriptions", headers=partner, json={"url": "ftp://x/y", "kinds": ["listed"]}
    )
    assert bad_url.status_code == 422
    for role in (Role.regulator, Role.enterprise):
        denied = await registry.post(
            "/v1/subscriptions",
            headers=tokens(role, uscc=code(1)),
            json={"url": "http://127.0.0.1:9/x", "kinds": ["listed"]},
        )
        assert denied.status_code == 403
    assert (await registry.get("/v1/subscriptions")).status_code == 401
