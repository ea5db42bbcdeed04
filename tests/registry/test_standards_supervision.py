"""Supervision of declared standards: mandatory values, findings with credit effect, spot-check draws."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.cli.main import main as cli
from services.common.clock import FrozenClock
from services.common.roles import Role
from services.registry.draws import commit_reveal
from services.registry.standards.recheck import recheck_all
from services.registry.standards.reference import REFERENCE_FILE, load_reference
from tests.registry.test_standards import enterprise, publish, rice_body, standard_body
from tests.support import Tokens, code, register

RAW_MILK: dict[str, Any] = {"products": ["生牛乳"], "title": "生牛乳收购标准"}


def flag_body(**over: Any) -> dict[str, Any]:
    return {
        "finding": "non_compliant",
        "reason": "抽检蛋白质实测 2.6 g/100g，低于声明值",
        "indicators": ["蛋白质"],
        "reference": "桂市监检〔2026〕18号",
        **over,
    }


def credit_event(source_ref: str = "桂市监罚〔2026〕31号", severity: str = "major") -> dict[str, Any]:
    return {
        "severity": severity,
        "authority": "南宁市市场监督管理局",
        "source_ref": source_ref,
        "occurred_at": "2026-11-18T00:00:00Z",
    }


async def test_a_declaration_weaker_than_a_mandatory_value_is_refused_naming_the_indicator(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    reg, own = tokens(Role.regulator), enterprise(tokens, 1)
    await register(registry, reg, code(1))
    url = f"/v1/enterprises/{code(1)}/standards"
    weak = [
        {"name": "蛋白质", "comparator": ">=", "value": "2.7", "unit": "g/100g", "test_method": "GB 5009.5"}
    ]

    refused = await registry.post(url, json=standard_body(**RAW_MILK, indicators=weak), headers=own)
    assert refused.status_code == 422
    problem = refused.json()
    assert "蛋白质" in problem["detail"]
    assert problem["errors"][0] | {"message": ""} == {
        "field": "indicators.0",
        "in": "body",
        "indicator": "蛋白质",
        "declared": "≥ 2.7 g/100g",
        "mandatory": "≥ 2.8 g/100g",
        "category": "生乳",
        "source": "GB 19301-2010 食品安全国家标准 生乳，表2 理化指标",
        "problem": "weaker",
        "message": "",
    }

    # 纯牛奶 is sterilised milk: its products name the category, so its lead limit applies
    lead = [{"name": "铅（以Pb计）", "comparator": "<=", "value": "0.05", "unit": "mg/kg"}]
    refused = await registry.post(url, json=standard_body(indicators=lead), headers=own)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["indicator"] == "铅（以Pb计）"
    assert refused.json()["errors"][0]["mandatory"] == "≤ 0.02 mg/kg"

    # the same limit in another unit of mass fraction is compared as what it is
    same = [{"name": "铅", "comparator": "<=", "value": "20", "unit": "μg/kg", "test_method": "GB 5009.12"}]
    await publish(registry, own, code(1), standard_body(indicators=same))
    # a unit that cannot be compared is refused rather than waved through
    percent = [{"name": "蛋白质", "comparator": ">=", "value": "3", "unit": "%"}]
    refused = await registry.post(
        url, json=standard_body("Q/NNSP 0007S-2026", indicators=percent), headers=own
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["problem"] == "unit"

    # a range: both ends count
    infant = {"products": ["婴儿配方奶粉"], "title": "婴儿配方奶粉"}
    narrow = [
        {
            "name": "蛋白质",
            "comparator": "range",
            "value": "0.45",
            "value_max": "0.70",
            "unit": "g/100kJ",
            "test_method": "GB 5009.5",
        }
    ]
    await publish(registry, own, code(1), standard_body("Q/NNSP 0008S-2026", **infant, indicators=narrow))
    wide = [
        {"name": "蛋白质", "comparator": "range", "value": "0.40", "value_max": "0.70", "unit": "g/100kJ"}
    ]
    refused = await registry.post(
        url, json=standard_body("Q/NNSP 0009S-2026", **infant, indicators=wide), headers=own
    )
    assert refused.status_code == 422

    # a revision is held to the same values, and a refused one changes nothing
    declaration = await publish(registry, own, code(1), standard_body("Q/NNSP 0010S-2026", **RAW_MILK))
    revision = standard_body("Q/NNSP 0010S-2026", **RAW_MILK, indicators=weak, revision_note="降低指标")
    refused = await registry.post(f"/v1/standards/{declaration['id']}/revisions", json=revision, headers=own)
    assert refused.status_code == 422
    assert (await registry.get(f"/v1/standards/{declaration['id']}")).json()["version"] == 1

    unknown = await registry.post(
        url, json=standard_body("Q/NNSP 0011S-2026", category="火星乳"), headers=own
    )
    assert unknown.status_code == 422
    assert "生乳" in unknown.json()["detail"]  # the known categories are listed


async def test_the_mandatory_values_are_public_with_their_sources(registry: httpx.AsyncClient) -> None:
    table = (await registry.get("/v1/standards/mandatory-values")).json()
    assert table["version"] == load_reference().version
    raw_milk = next(c for c in table["categories"] if c["name"] == "生乳")
    protein = next(lim for lim in raw_milk["limits"] if lim["indicator"] == "蛋白质")
    assert (protein["text"], protein["source"]) == (
        "≥ 2.8 g/100g",
        "GB 19301-2010 食品安全国家标准 生乳，表2 理化指标",
    )
    assert all(lim["source"] and lim["status"] for c in table["categories"] for lim in c["limits"])


async def test_a_stricter_reference_flags_declarations_that_became_weaker(
    registry: httpx.AsyncClient,
    registry_app: FastAPI,
    tokens: Tokens,
    clock: FrozenClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    reg, own = tokens(Role.regulator), enterprise(tokens, 1)
    await register(registry, reg, code(1))
    milk = await publish(registry, own, code(1), standard_body())  # 铅 ≤ 0.02 mg/kg: fine today
    rice = await publish(registry, own, code(1), rice_body())
    cursor = (await registry.get("/v1/changes", headers=tokens(Role.partner))).json()["next_cursor"]

    stricter = tmp_path / "mandatory_values.toml"
    text = REFERENCE_FILE.read_text(encoding="utf-8").replace('version = "2026.1"', 'version = "2027.1"')
    stricter.write_text(text.replace('value = "0.02"', 'value = "0.01"'), encoding="utf-8")
    reference = load_reference(stricter)

    # what an operator runs after editing the file
    monkeypatch.setenv("REGISTRY_DATABASE_URL", str(registry_app.state.settings.database_url))
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path))
    assert await asyncio.to_thread(cli, ["standards", "recheck", "--reference", str(stricter)]) == 0
    assert "mandatory values 2027.1: flagged 1 declarations" in capsys.readouterr().out
    flagged = (await registry.get(f"/v1/standards/{milk['id']}")).json()
    assert flagged["supervision"] == "under_review"
    [flag] = flagged["flags"]
    assert (flag["source"], flag["finding"], flag["reference_version"]) == (
        "comparison",
        "under_review",
        "2027.1",
    )
    assert flag["indicators"][0]["indicator"] == "铅"
    assert flag["indicators"][0]["mandatory"] == "≤ 0.01 mg/kg"
    assert (await registry.get(f"/v1/standards/{rice['id']}")).json()["supervision"] == "none"
    found = await registry.get("/v1/standards", params={"supervision": "under_review"})
    assert [item["id"] for item in found.json()["items"]] == [milk["id"]]

    # partners following the feed hear of it
    feed = (await registry.get("/v1/changes", params={"after": cursor}, headers=tokens(Role.partner))).json()
    assert [(c["kind"], c["uscc"]) for c in feed["items"]] == [("declaration_flagged", code(1))]

    # running it again flags nothing new
    sessions = registry_app.state.sessions
    assert await recheck_all(sessions, reference=reference, clock=clock, batch=1) == 0
    assert len((await registry.get(f"/v1/standards/{milk['id']}")).json()["flags"]) == 1

    # a reader sees the comparison against the values in force at once, before any recheck
    assert flagged["comparison"] == {"reference_version": "2026.1", "weaker": [], "missing": []}
    registry_app.state.standards_reference = reference
    live = (await registry.get(f"/v1/standards/{rice['id']}")).json()["comparison"]
    assert live == {"reference_version": "2027.1", "weaker": [], "missing": []}
    live = (await registry.get(f"/v1/standards/{milk['id']}")).json()["comparison"]
    assert [w["indicator"] for w in live["weaker"]] == ["铅"]


async def test_a_regulator_finds_a_declaration_non_compliant_and_the_grade_reflects_it(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    reg, own = tokens(Role.regulator), enterprise(tokens, 1)
    await register(registry, reg, code(1))
    declaration = await publish(registry, own, code(1), standard_body())
    url = f"/v1/standards/{declaration['id']}/flags"
    before = (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()

    assert (await registry.post(url, json=flag_body(), headers=own)).status_code == 403
    assert (await registry.post(url, json=flag_body())).status_code == 401
    mismatched = await registry.post(
        url, json=flag_body(finding="under_review", credit_event=credit_event()), headers=reg
    )
    assert mismatched.status_code == 422

    review = await registry.post(
        url, json=flag_body(finding="under_review", reason="接到举报，待核查"), headers=reg
    )
    assert review.status_code == 201, review.text
    assert (await registry.get(f"/v1/standards/{declaration['id']}")).json()["supervision"] == "under_review"

    flagged = await registry.post(url, json=flag_body(credit_event=credit_event()), headers=reg)
    assert flagged.status_code == 201, flagged.text
    event_id = flagged.json()["credit_event_id"]
    public = (await registry.get(f"/v1/standards/{declaration['id']}")).json()  # no token: public
    assert public["supervision"] == "non_compliant"
    assert [f["finding"] for f in public["flags"]] == ["under_review", "non_compliant"]
    assert public["flags"][1]["reason"] == "抽检蛋白质实测 2.6 g/100g，低于声明值"

    credit = (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()
    assert credit["score"] == before["score"] - 8  # standard_noncompliant, major: −8 in rules 2026.1
    [item] = credit["explanation"]
    assert (item["kind"], item["event_id"], item["source_ref"]) == (
        "standard_noncompliant",
        event_id,
        "桂市监罚〔2026〕31号",
    )
    # the same decision again is the same event, never a second downgrade
    again = await registry.post(url, json=flag_body(credit_event=credit_event()), headers=reg)
    assert again.json()["credit_event_id"] == event_id
    assert (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()["score"] == credit["score"]

    cleared = await registry.post(
        url, json=flag_body(finding="compliant", reason="整改后复检合格"), headers=reg
    )
    assert cleared.status_code == 201
    assert (await registry.get(f"/v1/standards/{declaration['id']}")).json()["supervision"] == "compliant"
    assert (
        await registry.post(
            "/v1/standards/00000000-0000-0000-0000-000000000000/flags", json=flag_body(), headers=reg
        )
    ).status_code == 404


async def test_a_spot_check_draw_is_reproducible_and_skips_recently_drawn_declarations(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg = tokens(Role.regulator)
    nanning, fuzhou = [], []
    for n in range(1, 7):
        await register(registry, reg, code(n))
        nanning.append((await publish(registry, enterprise(tokens, n), code(n), standard_body()))["id"])
        await register(registry, reg, code(n, "350100"))
        fuzhou.append(
            (await publish(registry, enterprise(tokens, n, "350100"), code(n, "350100"), rice_body()))["id"]
        )
    withdrawn = nanning.pop()
    await registry.post(f"/v1/standards/{withdrawn}/withdrawal", json={"reason": "停产"}, headers=reg)

    body = {"n": 2, "region": "4501", "product": "牛奶"}
    assert (
        await registry.post("/v1/standards/samples", json=body, headers=enterprise(tokens, 1))
    ).status_code == 403
    # the caller cannot bring a seed: it could search for one that spares a friend
    assert (
        await registry.post("/v1/standards/samples", json={**body, "seed": "chosen"}, headers=reg)
    ).status_code == 422
    first = await registry.post("/v1/standards/samples", json=body, headers=reg)
    assert first.status_code == 201, first.text
    committed = first.json()
    assert first.headers["location"] == f"/v1/standards/samples/{committed['id']}"
    assert committed["status"] == "committed" and committed["seed"] is None and committed["chosen"] == []
    assert (
        committed["candidate_count"] == 5
    )  # published, in the region, covering 牛奶: the withdrawn one is out
    before = (await registry.get(f"/v1/standards/samples/{committed['id']}/candidates", headers=reg)).json()
    assert before["seed"] is None and sorted(before["candidates"]) == sorted(nanning)
    # while the seed is secret the candidates are the regulators' only
    assert (await registry.get(f"/v1/standards/samples/{committed['id']}/candidates")).status_code == 401

    drawn = await registry.post(f"/v1/standards/samples/{committed['id']}/draw", headers=reg)
    assert drawn.status_code == 200, drawn.text
    draw = drawn.json()
    chosen = [item["id"] for item in draw["chosen"]]
    assert len(chosen) == 2 and set(chosen) <= set(nanning)
    seed = draw["seed"]
    assert hashlib.sha256(seed.encode()).hexdigest() == committed["seed_sha256"]  # the seed committed to
    assert (
        await registry.post(f"/v1/standards/samples/{committed['id']}/draw", headers=reg)
    ).status_code == 409

    # the record gives the same list, and anyone — without a token — re-runs it from its seed and candidates
    assert [
        item["id"]
        for item in (await registry.get(f"/v1/standards/samples/{draw['id']}", headers=reg)).json()["chosen"]
    ] == chosen
    record = (await registry.get(f"/v1/standards/samples/{draw['id']}/candidates")).json()
    assert sorted(record["candidates"]) == sorted(nanning)
    rerun = sorted(record["candidates"], key=lambda c: hashlib.sha256(f"{seed}:{c}".encode()).hexdigest())[:2]
    assert rerun == chosen == record["chosen"]
    assert draw["candidates_sha256"] == commit_reveal.candidates_digest(record["candidates"])
    assert (await registry.get(f"/v1/standards/samples/{draw['id']}")).status_code == 401

    async def commit_and_draw(request: dict[str, object]) -> dict[str, object]:
        made = (await registry.post("/v1/standards/samples", json=request, headers=reg)).json()
        return (await registry.post(f"/v1/standards/samples/{made['id']}/draw", headers=reg)).json()

    # declarations drawn within the cooldown (a year by default) are left out of the next draws
    second = await commit_and_draw(body)
    assert second["candidate_count"] == 3
    assert second["seed"] != seed  # every draw commits to a fresh server seed
    assert not {item["id"] for item in second["chosen"]} & set(chosen)
    everything = await commit_and_draw({"n": 50})
    assert everything["candidate_count"] == 11 - 4
    assert all(item["status"] == "published" for item in everything["chosen"])
    assert {item["id"] for item in everything["chosen"]} == (set(nanning) | set(fuzhou)) - set(chosen) - {
        i["id"] for i in second["chosen"]
    }

    # after the cooldown the candidates are back
    clock.advance(timedelta(days=366))
    later = await commit_and_draw(body)
    assert later["candidate_count"] == 5

    generated = await commit_and_draw({"n": 1, "region": "35"})
    assert len(generated["seed"]) == 32  # a 128-bit server seed
    assert {item["id"] for item in generated["chosen"]} <= set(fuzhou)
