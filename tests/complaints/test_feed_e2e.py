"""The feed to the registry with both services as real processes on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.common.db import create_engine
from services.common.roles import Role
from services.complaints.database import load_models as complaints_models
from services.registry.database import load_models as registry_models
from tests.flaky_proxy import FlakyProxy
from tests.processes import ROOT, free_port, qcr_process, wait_ready
from tests.support import Backend, Tokens, code, complaint_body, wipe

REPORTER_SECRETS = ("王小明", "13800138000", "wxm@example.cn")


@pytest.fixture
def service_env(backend: Backend, keys_dir: Path) -> Iterator[dict[str, str]]:
    env = {
        "REGISTRY_ENVIRONMENT": "test",
        "COMPLAINTS_ENVIRONMENT": "test",
        "REGISTRY_DATABASE_URL": backend.registry_url,
        "COMPLAINTS_DATABASE_URL": backend.complaints_url,
        "REGISTRY_DATA_DIR": str(keys_dir),
        "COMPLAINTS_DATA_DIR": str(keys_dir),
        "COMPLAINTS_DISPATCH_INTERVAL_SECONDS": "0.2",
        "COMPLAINTS_BACKOFF_BASE_SECONDS": "0.2",
        "COMPLAINTS_BACKOFF_MAX_SECONDS": "1",
        # Short, so a killed worker's lease lapses quickly; it must stay at least two timeouts.
        "COMPLAINTS_LEASE_SECONDS": "3",
        "COMPLAINTS_REGISTRY_TIMEOUT_SECONDS": "1.5",
    }
    yield env

    async def clean() -> None:
        for url, models in (
            (backend.registry_url, registry_models),
            (backend.complaints_url, complaints_models),
        ):
            engine = create_engine(url)
            await wipe(engine, models())
            await engine.dispose()

    asyncio.run(clean())


class Services:
    def __init__(self, tmp: Path, env: dict[str, str], keys_dir: Path):
        self.tmp, self.env, self.keys_dir = tmp, env, keys_dir
        self.registry_port, self.complaints_port = free_port(), free_port()
        self.registry = f"http://127.0.0.1:{self.registry_port}"
        self.complaints = f"http://127.0.0.1:{self.complaints_port}"
        self.logs: list[Path] = []

    def _log(self, name: str) -> Path:
        path = self.tmp / f"{name}-{len(self.logs)}.log"
        self.logs.append(path)
        return path

    def start_registry(self):  # type: ignore[no-untyped-def]
        return qcr_process(
            "serve",
            "registry",
            "--port",
            str(self.registry_port),
            "--data-dir",
            str(self.keys_dir),
            env=self.env,
            log=self._log("registry"),
        )

    def start_complaints(self, registry_url: str | None = None, **extra_env: str):  # type: ignore[no-untyped-def]
        return qcr_process(
            "serve",
            "complaints",
            "--port",
            str(self.complaints_port),
            "--data-dir",
            str(self.keys_dir),
            "--registry-url",
            registry_url or self.registry,
            env={**self.env, **extra_env},
            log=self._log("complaints"),
        )

    def all_logs(self) -> str:
        return "".join(p.read_text() for p in self.logs if p.exists())


@pytest.fixture
def services(tmp_path: Path, service_env: dict[str, str], keys_dir: Path) -> Services:
    return Services(tmp_path, service_env, keys_dir)


def _register(services: Services, tokens: Tokens, uscc: str) -> None:
    response = httpx.post(
        f"{services.registry}/v1/enterprises",
        headers=tokens(Role.regulator),
        json={"uscc": uscc, "name": "南宁市示例乳业有限公司"},
    )
    assert response.status_code == 201, response.text


def _substantiated_case(services: Services, tokens: Tokens, severity: str = "severe") -> str:
    filed = httpx.post(f"{services.complaints}/v1/complaints", json=complaint_body())
    assert filed.status_code == 201, filed.text
    case_id = filed.json()["id"]
    for action in ("accept", "investigate", "substantiate"):
        body: dict[str, object] = {"action": action}
        if action == "substantiate":
            body["finding"] = {"severity": severity}
        moved = httpx.post(
            f"{services.complaints}/v1/complaints/{case_id}/transitions",
            json=body,
            headers=tokens(Role.handler),
        )
        assert moved.status_code == 200, moved.text
    return str(case_id)


def _events(services: Services, tokens: Tokens, uscc: str) -> list[dict[str, object]]:
    response = httpx.get(
        f"{services.registry}/v1/enterprises/{uscc}/credit-events", headers=tokens(Role.regulator)
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def _wait_for_events(services: Services, tokens: Tokens, uscc: str, n: int, timeout: float = 20) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if len(_events(services, tokens, uscc)) >= n:
            return time.monotonic() - started
        time.sleep(0.1)
    raise TimeoutError(f"fewer than {n} events after {timeout}s:\n{services.all_logs()[-3000:]}")


async def _database_text(url: str) -> str:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            dump = []
            for table in registry_models().sorted_tables:
                rows = (await conn.execute(text(f'SELECT * FROM "{table.name}"'))).all()
                dump.append(repr(rows))
            return "\n".join(dump)
    finally:
        await engine.dispose()


def test_substantiated_complaint_downgrades_the_registry(
    services: Services, tokens: Tokens, backend: Backend
) -> None:
    uscc = code(1)
    with services.start_registry() as registry, services.start_complaints() as complaints:
        wait_ready(services.registry, registry)
        wait_ready(services.complaints, complaints)
        _register(services, tokens, uscc)
        case_id = _substantiated_case(services, tokens)
        latency = _wait_for_events(services, tokens, uscc, 1)
        credit = httpx.get(f"{services.registry}/v1/enterprises/{uscc}/credit").json()
        assert credit["grade"] == "B" and credit["score"] == 85
        [item] = credit["explanation"]
        assert item["kind"] == "complaint_substantiated" and item["source_ref"] == case_id
        detail = httpx.get(f"{services.complaints}/v1/complaints/{case_id}", headers=tokens(Role.handler))
        assert detail.json()["feed_status"] == "sent"
        assert latency < 10
    stored = asyncio.run(_database_text(backend.registry_url))
    logs = services.all_logs()
    assert "request" in logs
    for secret in REPORTER_SECRETS:
        assert secret not in stored
        assert secret not in logs


def test_registry_down_and_complaints_killed_then_exactly_one_event(
    services: Services, tokens: Tokens
) -> None:
    uscc = code(1)
    with services.start_complaints() as complaints:
        wait_ready(services.complaints, complaints)
        case_id = _substantiated_case(services, tokens)
        time.sleep(0.5)  # let the dispatcher fail against the absent registry at least once
        complaints.send_signal(signal.SIGKILL)
        complaints.wait(10)
    with services.start_registry() as registry:
        wait_ready(services.registry, registry)
        _register(services, tokens, uscc)
        with services.start_complaints() as complaints:
            wait_ready(services.complaints, complaints)
            _wait_for_events(services, tokens, uscc, 1)
            time.sleep(1.5)  # a second delivery, if there were one, would land by now
            events = _events(services, tokens, uscc)
            assert [e["source_ref"] for e in events] == [case_id]
            detail = httpx.get(
                f"{services.complaints}/v1/complaints/{case_id}", headers=tokens(Role.handler)
            ).json()
            assert detail["feed_status"] == "sent"


def test_registry_answering_500_twice_still_one_event(services: Services, tokens: Tokens) -> None:
    uscc = code(1)
    with services.start_registry() as registry:
        wait_ready(services.registry, registry)
        _register(services, tokens, uscc)
        with (
            FlakyProxy(services.registry, fail_first=2).running() as proxy,
            services.start_complaints(registry_url=proxy.url) as complaints,
        ):
            wait_ready(services.complaints, complaints)
            case_id = _substantiated_case(services, tokens)
            _wait_for_events(services, tokens, uscc, 1)
            time.sleep(0.5)
            assert len(proxy.posts) == 3
            assert proxy.forwarded == {case_id: 1}
            assert len(_events(services, tokens, uscc)) == 1


def test_unknown_enterprise_parks_the_message_for_an_operator(
    services: Services, tokens: Tokens, keys_dir: Path
) -> None:
    with services.start_registry() as registry, services.start_complaints() as complaints:
        wait_ready(services.registry, registry)
        wait_ready(services.complaints, complaints)
        cases = [_substantiated_case(services, tokens) for _ in range(3)]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            statuses = [
                httpx.get(f"{services.complaints}/v1/complaints/{c}", headers=tokens(Role.handler)).json()[
                    "feed_status"
                ]
                for c in cases
            ]
            if statuses == ["failed"] * 3:
                break
            time.sleep(0.1)
        assert statuses == ["failed"] * 3
        listed = _cli(services, "outbox", "list", "--status", "failed")
        assert "404" in listed and all(c in listed for c in cases)
        _register(services, tokens, code(1))
        message_id = listed.strip().splitlines()[1].split()[0]
        _cli(services, "outbox", "retry", message_id)
        _wait_for_events(services, tokens, code(1), 1)
        # The cause is fixed for all of them: one command queues the whole parked backlog.
        assert "2 failed messages queued again" in _cli(services, "outbox", "retry", "--all-failed")
        _wait_for_events(services, tokens, code(1), 3)
        assert {e["source_ref"] for e in _events(services, tokens, code(1))} == set(cases)


def _cli(services: Services, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args, "--data-dir", str(services.keys_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **services.env},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_two_dispatchers_deliver_each_row_once(services: Services, tokens: Tokens) -> None:
    uscc = code(1)
    with services.start_registry() as registry:
        wait_ready(services.registry, registry)
        _register(services, tokens, uscc)
        with services.start_complaints(COMPLAINTS_DISPATCH_ENABLED="false") as complaints:
            wait_ready(services.complaints, complaints)
            cases = {_substantiated_case(services, tokens, severity="minor") for _ in range(12)}
        with FlakyProxy(services.registry).running() as proxy:
            # The production lease and timeout: the dispatcher renews its lease per row, so a slow
            # machine cannot make a live dispatcher look dead.
            env = {**os.environ, **services.env, "COMPLAINTS_DISPATCH_BATCH": "3"}
            for production_default in ("COMPLAINTS_LEASE_SECONDS", "COMPLAINTS_REGISTRY_TIMEOUT_SECONDS"):
                env.pop(production_default)
            command = [
                sys.executable,
                "-m",
                "services.cli.main",
                "outbox",
                "run",
                "--once",
                "--data-dir",
                str(services.keys_dir),
                "--registry-url",
                proxy.url,
            ]
            workers = [
                subprocess.Popen(
                    command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
                )
                for _ in range(2)
            ]
            outputs = [w.communicate(timeout=120)[0] for w in workers]
            assert all(w.returncode == 0 for w in workers), outputs
            assert proxy.forwarded == dict.fromkeys(cases, 1)
            assert len(proxy.posts) == 12
        assert {e["source_ref"] for e in _events(services, tokens, uscc)} == cases
