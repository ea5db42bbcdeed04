"""Joint measures: the catalogue cites its articles; answers name the facts, basis and end of each."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from services.common.clock import FrozenClock
from services.registry.measures.catalogue import USES, load_catalogue, parse
from tests.registry.test_lists import blacklist
from tests.support import Tokens, code, event_body, register

LEGAL = Path(__file__).resolve().parents[3] / "shared" / "legal"


def _legal_text() -> str:
    return "".join(p.read_text(encoding="utf-8") for p in LEGAL.glob("*.md"))


def test_every_law_measure_quotes_its_article_as_it_stands_in_the_legal_texts() -> None:
    catalogue = load_catalogue()
    text = re.sub(r"\s+", "", _legal_text())
    assert "第十五条" in text  # the texts are there (Order 44 among them)
    assert {m.use for m in catalogue.measures} == set(USES)
    for measure in catalogue.measures:
        if measure.status == "law":
            assert re.sub(r"\s+", "", measure.source.quote) in text, measure.id
        if measure.source.missing:
            # a text not held is named, not quoted, and its measure is policy
            assert measure.source.quote == "" and measure.status == "policy", measure.id


def test_a_law_measure_without_a_quote_is_refused() -> None:
    raw = {
        "version": "x",
        "sources": {"gpl": {"title": "政府采购法第二十二条", "quote": "", "missing": True}},
        "measure": [
            {
                "id": "m",
                "use": "bidding",
                "when": {"list": "black"},
                "effect": "restriction",
                "zh": "",
                "en": "",
                "source": "gpl",
                "status": "law",
            }
        ],
    }
    with pytest.raises(ValueError, match="quoted source"):
        parse(raw)


async def test_measures_for_procurement_name_the_entry_the_event_and_until_when(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg, listed, clean = tokens("regulator"), code(911), code(912)
    for uscc in (listed, clean):
        await register(registry, reg, uscc)
    event = await registry.post(f"/v1/enterprises/{listed}/credit-events", json=event_body(), headers=reg)
    entry = await blacklist(registry, reg, clock, listed)
    partner = tokens("partner")
    answer = await registry.get(
        f"/v1/enterprises/{listed}/measures", params={"use": "government_procurement"}, headers=partner
    )
    assert answer.status_code == 200, answer.text
    by_id = {m["id"]: m for m in answer.json()["measures"]}
    factor = by_id["procurement.black_list_factor"]
    assert factor["facts"][0]["id"] == entry["id"] and factor["until"] is not None
    assert (
        factor["legal_basis"]["status"] == "law" and "委托承担政府采购项目" in factor["legal_basis"]["quote"]
    )
    major = by_id["procurement.major_violation_3y"]
    assert major["facts"][0]["id"] == event.json()["id"]
    assert (major["legal_basis"]["status"], major["legal_basis"]["text_available"]) == ("policy", False)
    # the batch answers the same, per code, and is logged as one lookup
    batch = await registry.post(
        "/v1/credit-status:batch",
        json={"usccs": [listed, clean, code(913)], "use": "government_procurement"},
        headers=partner,
    )
    assert batch.status_code == 200, batch.text
    items = {i["uscc"]: i for i in batch.json()["items"]}
    assert [m["id"] for m in items[listed]["measures"]] == [m["id"] for m in answer.json()["measures"]]
    assert items[clean]["measures"] == [] and items[code(913)]["measures"] is None
    without = await registry.post("/v1/credit-status:batch", json={"usccs": [listed]}, headers=partner)
    assert without.json()["items"][0]["measures"] is None
    log = (await registry.get(f"/v1/access-log?uscc={listed}", headers=reg)).json()["items"]
    assert [i["lookup"] for i in log][:3] == ["batch", "batch", "measures"]


async def test_other_uses_follow_order_44_article_15(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg, listed = tokens("regulator"), code(914)
    await register(registry, reg, listed)
    await blacklist(registry, reg, clock, listed)
    own = tokens("enterprise", uscc=listed)
    for use, expected, item in (
        ("notification_commitment", "notification_commitment.black_list_excluded", "（三）"),
        ("honours", "honours.black_list_excluded", "（四）"),
        ("licensing", "licensing.black_list_factor", "审查行政许可"),
        ("bidding", "bidding.black_list_factor", "工程招投标"),
    ):
        answer = (
            await registry.get(f"/v1/enterprises/{listed}/measures", params={"use": use}, headers=own)
        ).json()
        found = {m["id"]: m for m in answer["measures"]}
        assert item in found[expected]["legal_basis"]["quote"], use
    refused = await registry.get(f"/v1/enterprises/{listed}/measures", params={"use": "loans"}, headers=own)
    assert refused.status_code == 422
