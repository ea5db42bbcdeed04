"""The README reward tour, run as it stands against `qcr dev`; none of it reaches the registry or logs."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx

from tests.processes import ROOT, dev_services

ENTERPRISE = "91450600MA5L000132"


def tour_script(data_dir: Path, complaints_port: int) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- reward-tour -->\n```sh\n(.*?)\n```", readme, flags=re.S)
    assert block, "README lost its reward tour"
    return (
        block.group(1)
        .replace("localhost:8002", f"127.0.0.1:{complaints_port}")
        .replace("./qcr token", f"./qcr token --data-dir {data_dir}")
        .replace(".qcr/notifications.jsonl", f"{data_dir}/notifications.jsonl")
    )


def test_reward_tour_claims_and_leaves_nothing_outside_the_complaints_service(tmp_path: Path) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "dev.log"
    with dev_services(data_dir, log) as dev:
        registry, complaints_port = dev.registry, dev.complaints_port
        run = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", tour_script(data_dir, complaints_port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert run.returncode == 0, run.stderr
        lines = run.stdout.strip().splitlines()
        assert lines[0] == "403" and lines[1] == "approved", run.stdout
        sms = json.loads(lines[2])
        assert sms["to"] == "13900139000" and "12500.00" in sms["body"]
        claim = json.loads(lines[3])
        assert claim["status"] == "claimed" and claim["amount"] == "12500.00"
        assert "'status': 'claimed'" in lines[4] and "'amount': '12500.00'" in lines[4]
        assert "李举报" not in lines[3] + lines[4] and "13900139000" not in lines[3] + lines[4]

        # The substantiated report did reach the registry, as a credit event and nothing more.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            credit = httpx.get(f"{registry}/v1/enterprises/{ENTERPRISE}/credit").json()
            kinds = [e.get("kind") for e in credit["explanation"]]
            if "complaint_substantiated" in kinds:
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"no credit event at the registry: {credit}")
        public = httpx.get(f"{registry}/v1/enterprises/{ENTERPRISE}/credit").text
    secret = re.search(r'"claim_secret"\s*:\s*"([^"]+)"', run.stdout + run.stderr)
    assert secret is None  # the script never prints it
    registry_dump = "\n".join(sqlite3.connect(data_dir / "registry.db").iterdump())
    output = log.read_text(encoding="utf-8")
    for datum in ("李举报", "13900139000", "防市监罚〔2026〕31号", "12500"):
        assert datum not in registry_dump, datum
        assert datum not in output, datum
        assert datum not in public, datum
