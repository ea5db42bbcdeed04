"""`qcr import prefixes FILE` as a user runs it: progress, bad rows by line, all or nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from services.common.gtin import check_digit
from services.common.roles import Role
from tests.processes import ROOT
from tests.support import Backend, Tokens, code, register

HEADER = "prefix,uscc,registered_on,valid_until,status,cancelled_on\n"


def run_import(
    path: Path, backend: Backend, keys_dir: Path, what: str = "prefixes"
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "REGISTRY_ENVIRONMENT": "test",
        "REGISTRY_DATABASE_URL": backend.registry_url,
        "REGISTRY_DATA_DIR": str(keys_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", "import", what, str(path)],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
    )


async def test_import_prefixes_all_or_nothing(
    registry: httpx.AsyncClient, tokens: Tokens, backend: Backend, keys_dir: Path, tmp_path: Path
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(811), "甲乳业有限公司")
    await register(registry, reg, code(812), "乙食品有限公司")
    bad = tmp_path / "members-bad.csv"
    bad.write_text(
        HEADER
        + f"6911111,{code(811)},2025-03-01,,,\n"
        + f"69A2222,{code(812)},2025-03-01,,,\n"  # line 3: not digits
        + f"6911111,{code(812)},2025-03-01,,,\n"  # line 4: repeats line 2
        + f"6913333,{code(812)},2025-03-01,2024-01-01,,\n"  # line 5: ends before it starts
        + f"6914444,{code(813)},2025-03-01,,,\n",  # line 6: not a registered enterprise
        encoding="utf-8",
    )
    refused = run_import(bad, backend, keys_dir)
    assert refused.returncode == 1, refused.stderr
    assert "members-bad.csv:3: prefix '69A2222': a company prefix is 4 to 12 digits" in refused.stderr
    assert "members-bad.csv:4: prefix 6911111 repeats line 2" in refused.stderr
    assert "members-bad.csv:5: valid_until must be after registered_on" in refused.stderr
    assert "nothing imported" in refused.stderr
    assert (await registry.get("/v1/company-prefixes")).json()["items"] == []

    unknown = tmp_path / "members-unknown.csv"
    unknown.write_text(HEADER + f"6911111,{code(811)},2025-03-01,,,\n6914444,{code(813)},2025-03-01,,,\n")
    refused = run_import(unknown, backend, keys_dir)
    assert refused.returncode == 1
    assert f"members-unknown.csv:3: uscc {code(813)} is not a registered enterprise" in refused.stderr
    # the good row of that file was not written either
    assert (await registry.get("/v1/company-prefixes")).json()["items"] == []

    good = tmp_path / "members.csv"
    good.write_text(
        HEADER
        + f"6911111,{code(811)},2025-03-01,,,\n"
        + f"6912222,{code(812)},2023-01-01,2025-01-01,cancelled,2025-02-01\n"
        + f"6913333,{code(812)},2022-01-01,,expired,\n",
        encoding="utf-8",
    )
    done = run_import(good, backend, keys_dir)
    assert done.returncode == 0, done.stderr
    assert "imported 3 company prefixes" in done.stdout
    assert "company_prefix" in done.stderr and "3/3" in done.stderr  # the progress bar
    listed = {p["prefix"]: p for p in (await registry.get("/v1/company-prefixes")).json()["items"]}
    assert {k: v["status"] for k, v in listed.items()} == {
        "6911111": "valid",
        "6912222": "cancelled",
        "6913333": "expired",
    }
    assert listed["6911111"]["valid_until"] == "2027-03-01"  # two years (Art. 24)
    assert listed["6911111"]["enterprise_name"] == "甲乳业有限公司"
    again = run_import(good, backend, keys_dir)
    assert again.returncode == 0 and "3 already registered, skipped" in again.stdout


def gtin_of(body: str) -> str:
    return body + str(check_digit(body))


async def test_import_items_applies_the_publishing_rules(
    registry: httpx.AsyncClient, tokens: Tokens, backend: Backend, keys_dir: Path, tmp_path: Path
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(811), "甲乳业有限公司")
    await register(registry, reg, code(812), "乙食品有限公司")
    for prefix, holder in (("6911111", code(811)), ("6912222", code(812))):
        body = {"prefix": prefix, "uscc": holder, "registered_on": "2026-01-01"}
        assert (await registry.post("/v1/company-prefixes", json=body, headers=reg)).status_code == 201
    milk, bread = gtin_of("691111100001"), gtin_of("691222200001")
    header = "gtin,uscc,name,brand,category,standards\n"
    bad = tmp_path / "items-bad.csv"
    bad.write_text(
        header
        + f"{milk},{code(811)},纯牛奶,示例,乳制品,Q/JRY 0001S-2026;GB 25190\n"
        + f"{bread},{code(811)},吐司,,,\n"  # line 3: under the other enterprise's prefix
        + f"{milk[:-1]}{(int(milk[-1]) + 1) % 10},{code(811)},酸奶,,,\n",  # line 4: check digit
        encoding="utf-8",
    )
    refused = run_import(bad, backend, keys_dir, "products")
    assert refused.returncode == 1
    assert (
        f"items-bad.csv:4: gtin '{milk[:-1]}{(int(milk[-1]) + 1) % 10}': check digit should be {milk[-1]}"
        in (refused.stderr)
    )
    good_rows = header + f"{milk},{code(811)},纯牛奶,示例,乳制品,Q/JRY 0001S-2026;GB 25190\n"
    fixed = tmp_path / "items-foreign.csv"
    fixed.write_text(good_rows + f"{bread},{code(811)},吐司,,,\n", encoding="utf-8")
    refused = run_import(fixed, backend, keys_dir, "products")
    assert refused.returncode == 1
    assert (
        f"items-foreign.csv:3: gtin {bread} falls under prefix 6912222, held by {code(812)}" in refused.stderr
    )
    assert (await registry.get(f"/v1/products/{milk}")).json()["result"] == "prefix_holder"  # nothing written

    good = tmp_path / "items.csv"
    good.write_text(good_rows + f"{bread},{code(812)},吐司,,,\n", encoding="utf-8")
    done = run_import(good, backend, keys_dir, "products")
    assert done.returncode == 0, done.stderr
    assert "imported 2 items" in done.stdout
    item = (await registry.get(f"/v1/products/{milk}")).json()["item"]
    assert (item["name"], item["source"], item["standards"]) == (
        "纯牛奶",
        "import",
        ["Q/JRY 0001S-2026", "GB 25190"],
    )
