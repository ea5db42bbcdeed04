"""The README quick start, as a new user runs it: `qcr dev`, then the tour with printed tokens."""

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from services.cli.tokens import mint
from services.common.roles import Role
from services.common.uscc import with_check_characters
from tests.processes import ROOT, dev_services


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


def test_the_barcode_tour_works(tmp_path: Path) -> None:
    """README "Products and barcodes": import prefixes, publish, look up, trace a complaint, disclose."""
    data = tmp_path / "data"
    log = tmp_path / "dev.log"
    dairy, drinks, milk = "91350100666666669L", "913501007777777754", "6908888000010"
    with dev_services(data, log) as dev:
        registry, complaints = dev.registry, dev.complaints
        tokens = _printed_tokens(log, time.monotonic() + 30)
        reg = {"Authorization": f"Bearer {tokens['regulator']}"}
        handler = {"Authorization": f"Bearer {tokens['handler']}"}
        for uscc, name in ((dairy, "福州示例乳业有限公司"), (drinks, "福州示例饮料有限公司")):
            created = httpx.post(f"{registry}/v1/enterprises", headers=reg, json={"uscc": uscc, "name": name})
            assert created.status_code == 201, created.text

        members = tmp_path / "members.csv"
        members.write_text(
            "prefix,uscc,registered_on,valid_until,status,cancelled_on\n"
            f"6908888,{dairy},2026-01-01,,,\n6909999,{drinks},2023-01-01,2025-01-01,cancelled,2025-02-01\n"
        )
        imported = subprocess.run(
            [
                sys.executable,
                "-m",
                "services.cli.main",
                "import",
                "prefixes",
                str(members),
                "--data-dir",
                str(data),
            ],
            cwd=ROOT,
            text=True,
            capture_output=True,
            timeout=120,
        )
        assert imported.returncode == 0, imported.stderr
        assert "imported 2 company prefixes" in imported.stdout

        own = {"Authorization": f"Bearer {mint(data, Role.enterprise, uscc=dairy)}"}
        other = {"Authorization": f"Bearer {mint(data, Role.enterprise, uscc=drinks)}"}
        item = {"gtin": milk, "name": "纯牛奶 250mL", "brand": "示例"}
        refused = httpx.post(f"{registry}/v1/enterprises/{dairy}/products", headers=other, json=item)
        assert refused.status_code == 403
        published = httpx.post(f"{registry}/v1/enterprises/{dairy}/products", headers=own, json=item)
        assert published.status_code == 201, published.text

        found = httpx.get(f"{registry}/v1/products/{milk}").json()
        assert (found["result"], found["uscc"], found["item"]["name"]) == ("item", dairy, "纯牛奶 250mL")
        bad = httpx.get(f"{registry}/v1/products/6908888000013")
        assert bad.status_code == 422 and bad.json()["detail"] == "gtin: check digit should be 0, got 3"
        cancelled = httpx.get(f"{registry}/v1/products/6909999000012").json()
        assert cancelled["uscc"] == drinks and "prefix_cancelled" in [
            w["code"] for w in cancelled["warnings"]
        ]

        filed = httpx.post(
            f"{complaints}/v1/complaints",
            json={
                "kind": "complaint",
                "channel": "12315",
                "gtin": milk,
                "batch": "20261015A",
                "category": "food_safety",
                "description": "鲜牛奶在保质期内变质",
                "reporter": {"name": "王小明", "phone": "13800138000"},
            },
        )
        assert filed.status_code == 201, filed.text
        case = httpx.get(f"{complaints}/v1/complaints/{filed.json()['id']}", headers=handler).json()
        assert case["target_uscc"] == dairy and case["tracing"]["status"] == "traced"

        event = httpx.post(
            f"{registry}/v1/enterprises/{dairy}/credit-events",
            headers=reg,
            json={
                "kind": "spot_check_failed",
                "severity": "major",
                "authority": "福州市市场监督管理局",
                "source_ref": "榕市监抽〔2026〕2号",
                "occurred_at": "2026-11-01T00:00:00Z",
                "gtin": milk,
                "batch": "20261015A",
                "test_report_no": "FZQT-2026-0815",
                "summary": "蛋白质含量不合格",
            },
        )
        assert event.status_code == 201, event.text
        [row] = httpx.get(f"{registry}/v1/failed-products").json()["items"]
        assert (row["gtin"], row["product"], row["batch"], row["uscc"]) == (
            milk,
            "纯牛奶 250mL",
            "20261015A",
            dairy,
        )
        assert row["test_report_no"] == "FZQT-2026-0815"
