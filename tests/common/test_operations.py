import json
import logging

import httpx
import pytest

from services.common.roles import Role
from tests.support import Tokens, code, register


async def test_health_ready_and_metrics(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    assert (await registry.get("/healthz")).json() == {"status": "ok"}
    ready = (await registry.get("/readyz")).json()
    # On 2026-11-20 the calendar (to 2026-12-31) covers 41 more days: ready, with no warning.
    assert ready["status"] == "ready" and ready["calendar"]["days_covered"] == 41
    assert ready["calendar"]["warning"] is None
    await register(registry, tokens(Role.regulator), code(1))
    metrics = (await registry.get("/metrics")).text
    assert (
        'http_requests_total{method="POST",route="/v1/enterprises",service="registry",status="201"} 1.0'
        in metrics
    )
    assert "http_request_duration_seconds_bucket" in metrics


async def test_readyz_reports_an_unreachable_database(registry: httpx.AsyncClient) -> None:
    app = registry._transport.app  # type: ignore[attr-defined]
    await app.state.engine.dispose()
    good = app.state.engine
    from services.common.db import create_engine

    app.state.engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        response = await registry.get("/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
    finally:
        await app.state.engine.dispose()
        app.state.engine = good


async def test_every_error_is_problem_json(registry: httpx.AsyncClient) -> None:
    for response in [
        await registry.get("/no/such/route"),
        await registry.put("/v1/enterprises"),
        await registry.post(
            "/v1/enterprises", content=b"{not json", headers={"content-type": "application/json"}
        ),
        await registry.get("/v1/enterprises/91350100M000100Y43"),
        await registry.post("/v1/credit-status:batch", json={"usccs": []}),
    ]:
        assert response.headers["content-type"] == "application/problem+json", response.request.url
        problem = response.json()
        assert {"type", "title", "status", "detail"} <= problem.keys()
        assert problem["status"] == response.status_code


async def test_body_size_is_bounded(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    huge = b'{"usccs": ["' + b"9" * 2_000_000 + b'"]}'
    response = await registry.post(
        "/v1/credit-status:batch",
        content=huge,
        headers={**tokens(Role.partner), "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_one_json_log_line_per_request_with_request_id(
    registry: httpx.AsyncClient, tokens: Tokens, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.getLogger().handlers[0].flush()
    capsys.readouterr()
    headers = {**tokens(Role.regulator), "x-request-id": "trace-abc-123"}
    response = await registry.get(f"/v1/enterprises/{code(9)}", headers=headers)
    assert response.headers["x-request-id"] == "trace-abc-123"
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("logger") == "qcr.request"]
    assert len(requests) == 1
    entry = requests[0]
    assert entry["request_id"] == "trace-abc-123" and entry["status"] == 404
    assert entry["route"] == "/v1/enterprises/{uscc}" and entry["duration_ms"] >= 0
    assert headers["Authorization"].split()[1] not in json.dumps(lines)
    bad_id = await registry.get("/healthz", headers={"x-request-id": "bad id\nwith newline"})
    assert bad_id.headers["x-request-id"] != "bad id\nwith newline"
