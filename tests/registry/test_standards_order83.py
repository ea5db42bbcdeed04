"""Self-declared standards against the full text of Order 83, each test a dated scenario (Beijing time)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import httpx
from fastapi import FastAPI

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.registry.standards.provisions import PROVISIONS_FILE
from services.registry.standards.recheck import recheck_all
from services.registry.standards.reference import REFERENCE_FILE, load_reference
from tests.registry.test_standards import enterprise, publish, standard_body
from tests.registry.test_standards_supervision import flag_body
from tests.support import Tokens, code, register

LEGAL = Path(__file__).resolve().parents[2].parent / "shared" / "legal"
PROTEIN = {
    "name": "蛋白质",
    "comparator": ">=",
    "value": "3.1",
    "unit": "g/100g",
    "test_method": "GB 5009.5",
}
LEAD = {"name": "铅", "comparator": "<=", "value": "0.02", "unit": "mg/kg", "test_method": "GB 5009.12"}


def cst(value: str) -> datetime:
    return datetime.fromisoformat(value + "+08:00")


def test_every_quoted_article_in_order83_toml_is_in_the_full_text() -> None:
    texts = "".join(
        re.sub(r"\s+", "", (LEGAL / name).read_text(encoding="utf-8"))
        for name in ("企业标准化促进办法(2023-08-31).md", "标准化法(2017-11-04).md")
    )
    comments = "\n".join(
        line for line in PROVISIONS_FILE.read_text(encoding="utf-8").splitlines() if line.startswith("#")
    )
    quotes = re.findall(r'"([^"\n]*[\u4e00-\u9fff][^"\n]*)"', comments)
    assert len(quotes) >= 10
    for quote in quotes:
        assert re.sub(r"\s+", "", quote) in texts, quote


async def test_an_enterprise_standard_of_2026_11_20_must_give_each_indicator_its_test_method(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    """Order 83 第十四条第二款: indicators "及对应的试验方法、检验方法或者评价方法"."""
    reg, own = tokens(Role.regulator), enterprise(tokens, 1)
    await register(registry, reg, code(1))
    body = standard_body()
    del body["indicators"][1]["test_method"]
    refused = await registry.post(f"/v1/enterprises/{code(1)}/standards", json=body, headers=own)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "indicators.1.test_method"
    assert "第十四条第二款" in refused.json()["detail"]
    # A national standard declared by its number discloses no indicators of its own.
    assert (await publish(registry, own, code(1), standard_body("GB 25190-2010", indicators=[])))[
        "supervision"
    ] == "none"


async def test_a_milk_standard_that_omits_a_mandatory_indicator_goes_under_review_on_publication(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    """纯牛奶 must meet 非脂乳固体 ≥ 8.1 g/100g (GB 25190); a Q/ standard leaving it out is a finding."""
    reg, own = tokens(Role.regulator), enterprise(tokens, 1)
    await register(registry, reg, code(1))
    declared = await publish(registry, own, code(1), standard_body(indicators=[PROTEIN, LEAD]))
    assert declared["supervision"] == "under_review"
    assert declared["comparison"]["weaker"] == []
    assert [(m["indicator"], m["problem"], m["mandatory"]) for m in declared["comparison"]["missing"]] == [
        ("非脂乳固体", "missing", "≥ 8.1 g/100g")
    ]
    [flag] = declared["flags"]
    assert (flag["source"], flag["finding"]) == ("comparison", "under_review")
    assert "非脂乳固体" in flag["reason"] and "标准化法 第二十一条" in flag["reason"]
    complete = await publish(registry, own, code(1), standard_body("Q/NNSP 0003S-2026"))
    assert complete["supervision"] == "none" and complete["comparison"]["missing"] == []


async def test_indicators_below_the_recommended_standard_are_said_so_publicly(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    """Order 83 第十四条第三款: fewer or lower than recommended, "应当在自我声明公开时进行明示"."""
    reg, own = tokens(Role.regulator), enterprise(tokens, 1)
    await register(registry, reg, code(1))
    url = f"/v1/enterprises/{code(1)}/standards"
    silent = await registry.post(url, json=standard_body(below_recommended=True), headers=own)
    assert silent.status_code == 422 and silent.json()["errors"][0]["field"] == "below_recommended_note"
    body = standard_body(
        below_recommended=True,
        below_recommended_note="未规定杂质度指标（GB/T 19645 有此项）",
        recommended_standard="GB/T 19645-2010",
    )
    declared = await publish(registry, own, code(1), body)
    public = (await registry.get(f"/v1/standards/{declared['id']}")).json()
    assert public["below_recommended"] is True
    assert public["disclosure"]["below_recommended_note"] == "未规定杂质度指标（GB/T 19645 有此项）"
    assert public["disclosure"]["recommended_standard"] == "GB/T 19645-2010"
    assert "第十四条第三款" in public["disclosure"]["basis"]
    [found] = (await registry.get("/v1/standards", params={"uscc": code(1)})).json()["items"]
    assert found["below_recommended"] is True


async def test_a_declaration_published_2026_11_20_for_supply_from_11_01_shows_as_late(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    """Order 83 第十五条: disclosed "在提供产品或者服务前"."""
    reg, own = tokens(Role.regulator), enterprise(tokens, 1)
    await register(registry, reg, code(1))
    clock.set(cst("2026-11-20T10:00:00"))
    late = await publish(registry, own, code(1), standard_body(supply_starts_on="2026-11-01"))
    assert (
        late["disclosure"]["disclosed_late"] is True
        and late["disclosure"]["supply_starts_on"] == "2026-11-01"
    )
    same_day = await publish(
        registry, own, code(1), standard_body("Q/NNSP 0004S-2026", supply_starts_on="2026-11-20")
    )
    assert same_day["disclosure"]["disclosed_late"] is False
    version = (await registry.get(f"/v1/standards/{late['id']}/versions/1")).json()
    assert version["disclosure"]["disclosed_late"] is True


async def test_an_order_to_correct_by_2026_11_30_is_published_on_12_01_and_closed_by_a_compliant_finding(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    """Order 83 第三十三条: "责令限期改正；逾期不改正的，在企业标准信息公共服务平台上公示"."""
    reg, own = tokens(Role.regulator), enterprise(tokens, 1)
    await register(registry, reg, code(1))
    clock.set(cst("2026-11-20T10:00:00"))
    declared = await publish(registry, own, code(1), standard_body())
    flags = f"/v1/standards/{declared['id']}/flags"
    order = {"correction_due_on": "2026-11-30", "correction_basis": "art33"}
    wrong = await registry.post(flags, json=flag_body(finding="under_review", **order), headers=reg)
    assert wrong.status_code == 422
    past = await registry.post(
        flags, json=flag_body(correction_due_on="2026-11-19", correction_basis="art33"), headers=reg
    )
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "correction_due_on"
    assert (
        await registry.post(flags, json=flag_body(correction_due_on="2026-11-30"), headers=reg)
    ).status_code == 422

    ordered = await registry.post(flags, json=flag_body(**order), headers=reg)
    assert ordered.status_code == 201, ordered.text
    flag = ordered.json()
    assert (
        flag["correction_due_on"] == "2026-11-30"
        and flag["correction_basis"] == "企业标准化促进办法 第三十三条"
    )
    assert not flag["correction_overdue"]

    clock.set(cst("2026-11-30T23:59:59"))
    assert (await registry.get("/v1/standards/uncorrected")).json()["items"] == []
    clock.set(cst("2026-12-01T00:00:00"))
    [published] = (await registry.get("/v1/standards/uncorrected")).json()["items"]
    assert published["declaration"]["id"] == declared["id"] and published["flag"]["id"] == flag["id"]
    assert published["flag"]["correction_overdue"] is True
    assert published["consequence"] == "逾期不改正的，在企业标准信息公共服务平台上公示"
    public = (await registry.get(f"/v1/standards/{declared['id']}")).json()
    assert [f["correction_overdue"] for f in public["flags"]] == [True]

    clock.set(cst("2026-12-02T09:00:00"))
    corrected = flag_body(finding="compliant", reason="复查：已更新自我声明公开内容")
    assert (await registry.post(flags, json=corrected, headers=reg)).status_code == 201
    assert (await registry.get("/v1/standards/uncorrected")).json()["items"] == []
    public = (await registry.get(f"/v1/standards/{declared['id']}")).json()
    first = public["flags"][0]
    assert first["corrected_at"] is not None and not first["correction_overdue"]


async def test_a_new_mandatory_indicator_flags_enterprise_standards_that_omit_it_on_recheck(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, clock: FrozenClock, tmp_path: Path
) -> None:
    """The mandatory values add 脂肪 ≥ 3.1 g/100g for 纯牛奶: Q/ declarations without it go under review."""
    reg, own = tokens(Role.regulator), enterprise(tokens, 1)
    await register(registry, reg, code(1))
    milk = await publish(registry, own, code(1), standard_body())
    national = await publish(registry, own, code(1), standard_body("GB 25190-2010", indicators=[]))
    text = REFERENCE_FILE.read_text(encoding="utf-8").replace('version = "2026.1"', 'version = "2027.1"')
    fat = """
[[categories.limits]]
indicator = "脂肪"
comparator = ">="
value = "3.1"
unit = "g/100g"
source = "测试用：新增强制性指标"
status = "unconfirmed"
"""
    anchor = 'name = "灭菌乳（牛乳）"'
    head, tail = text.split(anchor)
    aliases, rest = tail.split("\n", 2)[1], tail.split("\n", 2)[2]
    edited = tmp_path / "mandatory_values.toml"
    edited.write_text(head + anchor + "\n" + aliases + "\n" + fat + rest, encoding="utf-8")
    reference = load_reference(edited)
    assert await recheck_all(registry_app.state.sessions, reference=reference, clock=clock) == 1
    flagged = (await registry.get(f"/v1/standards/{milk['id']}")).json()
    assert flagged["supervision"] == "under_review"
    assert [(i["indicator"], i["problem"]) for i in flagged["flags"][-1]["indicators"]] == [
        ("脂肪", "missing")
    ]
    assert (await registry.get(f"/v1/standards/{national['id']}")).json()["supervision"] == "none"
