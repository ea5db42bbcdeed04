"""The README quick start, as a new user runs it: `qcr dev`, then the tour with printed tokens."""

import re
import time
from pathlib import Path

import httpx

from services.common.uscc import with_check_characters
from tests.processes import dev_services


def _printed_tokens(log: Path, deadline: float) -> dict[str, str]:
    while time.monotonic() < deadline:
        tokens = dict(
            re.findall(
                r"^  (regulator|enterprise|partner|handler|service)\s+(\S+)$",
                log.read_text(),
                flags=re.M,
            )
        )
        if len(tokens) == 5:
            return tokens
        time.sleep(0.2)
    raise TimeoutError(log.read_text())


def test_dev_starts_both_services_and_the_tour_works(tmp_path: Path) -> None:
    log = tmp_path / "dev.log"
    with dev_services(tmp_path / "data", log) as dev:
        process, registry = dev.process, dev.registry
        tokens = _printed_tokens(log, time.monotonic() + 30)
        assert (tmp_path / "data" / "registry.db").exists()
        assert (tmp_path / "data" / "keys" / "dev-issuer.pem").exists()

        demo = httpx.get(f"{registry}/v1/enterprises", params={"q": "防城港"}).json()["items"]
        assert len(demo) >= 2

        regulator = {"Authorization": f"Bearer {tokens['regulator']}"}
        uscc = with_check_characters("9145010012345678")
        created = httpx.post(
            f"{registry}/v1/enterprises",
            headers=regulator,
            json={"uscc": uscc, "name": "南宁市示例食品有限公司"},
        )
        assert created.status_code == 201, created.text
        event = httpx.post(
            f"{registry}/v1/enterprises/{uscc}/credit-events",
            headers=regulator,
            json={
                "kind": "spot_check_failed",
                "severity": "severe",
                "authority": "南宁市市场监督管理局",
                "source_ref": "南市监抽〔2026〕1号",
                "occurred_at": "2026-11-01T00:00:00Z",
            },
        )
        assert event.status_code == 201, event.text
        credit = httpx.get(f"{registry}/v1/enterprises/{uscc}/credit").json()
        assert credit["grade"] == "C" and credit["score"] == 70
        assert credit["explanation"][0]["event_id"] == event.json()["id"]
    assert process.returncode is not None
