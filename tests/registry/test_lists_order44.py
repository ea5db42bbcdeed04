"""The serious-dishonesty list against the full text of Order 44, each test a dated scenario.

Dates are Beijing time; the working days are those of services/common/data/workdays_cn.toml (2026:
Mid-Autumn 09-25..27, National Day 10-01..07, make-up working day Saturday 10-10).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from datetime import datetime
from pathlib import Path

import httpx
from fastapi import FastAPI

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.registry.lists.rules import LIST_RULES_FILE
from tests.registry.test_lists import (
    SECOND,
    act,
    at,
    blacklist,
    consent,
    entry,
    entry_body,
    propose,
    public_ids,
    repair_body,
)
from tests.support import Tokens, code, event_body, register

LEGAL = Path(__file__).resolve().parents[2].parent / "shared" / "legal"
SEPTEMBER = "2026-09-18T00:00:00Z"
COUNTY = {"authority": "南宁市青秀区市场监督管理局", "authority_division": "450103"}


def cst(value: str) -> datetime:
    return datetime.fromisoformat(value + "+08:00")


def end_of(day: str) -> datetime:
    return cst(f"{day}T23:59:59")


async def served(client: httpx.AsyncClient, reg: dict[str, str], clock: FrozenClock, body: dict) -> dict:
    proposed = await propose(client, reg, body)
    answer = await act(client, reg, proposed["id"], "serve_notice")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_every_quoted_article_in_the_list_rules_is_in_the_full_text() -> None:
    """Each "…" quoted in a comment of list_rules.toml is a passage of Order 44 or the procedure rule."""
    texts = "".join(
        re.sub(r"\s+", "", (LEGAL / name).read_text(encoding="utf-8"))
        for name in (
            "市场监督管理严重违法失信名单管理办法(2021-07-30).md",
            "市场监督管理行政处罚程序规定(2022-09-29).md",
        )
    )
    comments = "\n".join(
        line for line in LIST_RULES_FILE.read_text(encoding="utf-8").splitlines() if line.startswith("#")
    )
    quotes = re.findall(r'"([^"\n]*[\u4e00-\u9fff][^"\n]*)"', comments)
    assert len(quotes) >= 12
    for quote in quotes:
        for passage in quote.split("……"):
            assert re.sub(r"\s+", "", passage) in texts, passage
    rules = tomllib.loads(LIST_RULES_FILE.read_text(encoding="utf-8"))["black"]
    assert rules["reapply_bar"]["status"] == "policy" and rules["reapply_bar"]["enabled"] is False
    assert "第二十五条" not in rules["reapply_bar"]["basis"]


def test_every_quoted_article_in_the_credit_rules_is_in_a_stored_text() -> None:
    """The sources of the grade classes and event kinds quote only what ../shared/legal/ holds."""
    texts = "".join(re.sub(r"\s+", "", p.read_text(encoding="utf-8")) for p in LEGAL.glob("*.md"))
    rules_dir = Path(__file__).resolve().parents[2] / "services" / "registry" / "credit" / "rules"
    quotes = [
        quote
        for path in rules_dir.glob("*.toml")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
        for quote in re.findall(r'"([^"\n]*[\u4e00-\u9fff][^"\n]*)"', line)
    ]
    assert len(quotes) >= 4
    for quote in quotes:
        assert re.sub(r"\s+", "", quote) in texts, quote


async def test_defence_period_served_2026_09_28_runs_over_national_day_to_the_make_up_saturday(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    """Procedure rule 第五十七条第二款: five working days from service; 10-10 is a make-up working day."""
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    clock.set(cst("2026-09-28T10:00:00"))
    entry_ = await served(registry, reg, clock, entry_body(code(1), decided_at=SEPTEMBER))
    assert at(entry_["defence_due_at"]) == end_of("2026-10-10")


async def test_a_county_bureau_decision_of_2026_10_09_needs_the_city_consent_and_publication_by_11_05(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    """Order 44 第二十二条 (consent) and 第十四条第一款 (20 working days to publish, then overdue)."""
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    clock.set(cst("2026-09-21T10:00:00"))
    notice = await served(registry, reg, clock, entry_body(code(1), decided_at=SEPTEMBER, **COUNTY))
    assert at(notice["defence_due_at"]) == end_of("2026-09-29")
    assert notice["authority_level"] is None and notice["consent_required"]

    clock.set(cst("2026-10-09T10:00:00"))
    refused = await act(registry, reg, notice["id"], "decide")
    assert refused.status_code == 409, refused.text
    assert "consent" in refused.json()["detail"] and "第二十二条" in refused.json()["detail"]
    assert "record_consent" in refused.json()["allowed_actions"]
    assert (await act(registry, reg, notice["id"], "list")).status_code == 409
    nameless = await act(registry, reg, notice["id"], "record_consent")
    assert nameless.status_code == 422 and nameless.json()["errors"][0]["field"] == "approving_authority"

    consented = await act(
        registry,
        reg,
        notice["id"],
        "record_consent",
        approving_authority="南宁市市场监督管理局",
        reference="南市监信函〔2026〕7号",
    )
    assert consented.status_code == 200, consented.text
    body = consented.json()
    assert (body["consent_by"], body["consent_ref"]) == ("南宁市市场监督管理局", "南市监信函〔2026〕7号")
    assert at(body["consent_at"]) == clock.now() and body["consent_recorded_by"] == "regulator:dev-regulator"
    assert "record_consent" not in body["allowed_actions"]

    decided = (await act(registry, reg, notice["id"], "decide")).json()
    assert decided["status"] == "decided" and at(decided["listing_decided_at"]) == clock.now()
    assert at(decided["publication_due_at"]) == end_of("2026-11-05")
    assert decided["push_due_at"] is None
    assert decided["allowed_actions"] == ["list", "revoke"]
    assert await public_ids(registry, "black") == []  # decided is not yet published

    overdue_url = "/v1/list-entries/overdue"
    clock.set(end_of("2026-11-05"))
    assert (await registry.get(overdue_url, headers=reg)).json()["items"] == []
    clock.set(end_of("2026-11-05") + SECOND)
    late = (await registry.get(overdue_url, headers=reg)).json()["items"]
    assert [(e["id"], e["publication_overdue"]) for e in late] == [(notice["id"], True)]
    assert (await registry.get(overdue_url, headers=tokens(Role.enterprise, uscc=code(1)))).status_code == 403

    listed = (await act(registry, reg, notice["id"], "list")).json()
    assert listed["status"] == "listed" and not listed["publication_overdue"]
    assert at(listed["listing_decided_at"]) == cst("2026-10-09T10:00:00")
    assert (await registry.get(overdue_url, headers=reg)).json()["items"] == []
    assert await public_ids(registry, "black") == [notice["id"]]


async def test_a_provincial_bureau_lists_without_consent(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    body = entry_body(code(1), authority="广西壮族自治区市场监督管理局", authority_division="450000")
    notice = await served(registry, reg, clock, body)
    assert not notice["consent_required"] and "record_consent" in notice["allowed_actions"]
    clock.set(at(notice["defence_due_at"]) + SECOND)
    assert (await act(registry, reg, notice["id"], "list")).status_code == 200
    stated = entry_body(code(1), "另案", authority_level="provincial", authority_division="450100")
    clash = await registry.post("/v1/list-entries", json=stated, headers=reg)
    assert clash.status_code == 422 and clash.json()["errors"][0]["field"] == "authority_division"
    unknown = {k: v for k, v in entry_body(code(1), "无级别").items() if k != "authority_division"}
    assert (await propose(registry, reg, unknown))["consent_required"]


async def test_a_fuzhou_decision_of_2026_10_09_on_a_guangxi_enterprise_is_pushed_then_published(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    """Order 44 第十四条第二款: push within 10 working days, published within 10 of receipt."""
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))  # registered in Nanning (450100)
    clock.set(cst("2026-09-21T10:00:00"))
    body = entry_body(
        code(1), authority="福州市市场监督管理局", authority_division="350100", decided_at=SEPTEMBER
    )
    notice = await served(registry, reg, clock, body)
    await act(registry, reg, notice["id"], "record_consent", approving_authority="福建省市场监督管理局")
    clock.set(cst("2026-10-09T10:00:00"))
    decided = (await act(registry, reg, notice["id"], "decide")).json()
    assert at(decided["push_due_at"]) == end_of("2026-10-22")
    assert at(decided["publication_due_at"]) == end_of("2026-11-05")  # if pushed on the last day
    assert decided["allowed_actions"] == ["list", "push", "revoke"]

    clock.set(end_of("2026-10-22") + SECOND)
    unpushed = (await registry.get("/v1/list-entries/overdue", headers=reg)).json()["items"]
    assert [e["id"] for e in unpushed] == [notice["id"]]

    clock.set(cst("2026-10-23T09:00:00"))
    pushed = (await act(registry, reg, notice["id"], "push")).json()
    assert at(pushed["pushed_at"]) == clock.now()
    assert at(pushed["publication_due_at"]) == end_of("2026-11-06")
    assert pushed["allowed_actions"] == ["list", "revoke"] and not pushed["publication_overdue"]
    assert (await act(registry, reg, notice["id"], "push")).status_code == 409
    assert (await act(registry, reg, notice["id"], "list")).json()["status"] == "listed"


async def test_a_restriction_until_2030_outlasts_the_term_and_bars_early_removal(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    """Order 44 第二十一条 (a longer restriction sets the term) and 第十六条第二款 (no early removal)."""
    reg, own = tokens(Role.regulator), tokens(Role.enterprise, uscc=code(1))
    await register(registry, reg, code(1))
    clock.set(cst("2026-11-02T10:00:00"))
    restricted = "2030-06-30T16:00:00Z"
    listed = await blacklist(registry, reg, clock, code(1), restriction_ends_at=restricted)
    assert at(listed["expires_at"]) == at(restricted)
    clock.set(at(listed["repair_possible_from"]))
    barred = await registry.post(
        f"/v1/list-entries/{listed['id']}/repair-applications", json=repair_body(), headers=own
    )
    assert barred.status_code == 409 and "第十六条第二款" in barred.json()["detail"]
    assert at(barred.json()["possible_from"]) == at(restricted)


async def repaired_entry(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock, **extra: object
) -> tuple[dict, dict]:
    """Listed 2025-10-28; repair filed 2026-11-02, accepted 11-04, approved 11-20."""
    reg, own = tokens(Role.regulator), tokens(Role.enterprise, uscc=code(1))
    clock.set(cst("2025-10-20T10:00:00"))
    listed = await blacklist(registry, reg, clock, code(1), decided_at="2025-10-20T00:00:00Z", **extra)
    clock.set(cst("2026-11-02T10:00:00"))
    filed = await registry.post(
        f"/v1/list-entries/{listed['id']}/repair-applications", json=repair_body(), headers=own
    )
    assert filed.status_code == 201, filed.text
    application = filed.json()
    base = f"/v1/repair-applications/{application['id']}"
    clock.set(cst("2026-11-04T15:00:00"))
    assert (
        await registry.post(f"{base}/acceptance", json={"decision": "accept"}, headers=reg)
    ).status_code == 200
    clock.set(cst("2026-11-20T10:00:00"))
    approved = await registry.post(
        f"{base}/decision", json={"decision": "approve", "reasons": "符合提前移出条件"}, headers=reg
    )
    assert approved.status_code == 200, approved.text
    return await entry(registry, reg, listed["id"]), approved.json()


async def test_a_repair_application_filed_2026_11_02_is_accepted_by_11_04_and_decided_by_11_25(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    """Order 44 第十七条第二款 (2 working days to accept) and 第三款 (15 from acceptance to decide)."""
    reg, own = tokens(Role.regulator), tokens(Role.enterprise, uscc=code(1))
    await register(registry, reg, code(1))
    clock.set(cst("2025-10-20T10:00:00"))
    listed = await blacklist(registry, reg, clock, code(1), decided_at="2025-10-20T00:00:00Z")
    clock.set(cst("2026-11-02T10:00:00"))
    application = (
        await registry.post(
            f"/v1/list-entries/{listed['id']}/repair-applications", json=repair_body(), headers=own
        )
    ).json()
    assert application["status"] == "received"
    assert at(application["acceptance_due_at"]) == end_of("2026-11-04")
    assert application["decision_due_at"] is None and not application["overdue"]
    base = f"/v1/repair-applications/{application['id']}"
    early = await registry.post(f"{base}/decision", json={"decision": "approve", "reasons": "x"}, headers=reg)
    assert early.status_code == 409 and early.json()["current_state"] == "received"

    clock.set(end_of("2026-11-04") + SECOND)
    late = (await registry.get(base, headers=reg)).json()
    assert late["overdue"]
    assert [
        a["id"] for a in (await registry.get("/v1/repair-applications", headers=reg)).json()["items"]
    ] == [application["id"]]
    assert (
        await registry.post(f"{base}/acceptance", json={"decision": "accept"}, headers=own)
    ).status_code == 403
    accepted = (await registry.post(f"{base}/acceptance", json={"decision": "accept"}, headers=reg)).json()
    assert accepted["status"] == "accepted" and not accepted["overdue"]
    assert at(accepted["accepted_at"]) == clock.now()
    # Accepted on 11-05 (late): fifteen working days from then.
    assert at(accepted["decision_due_at"]) == end_of("2026-11-26")
    again = await registry.post(f"{base}/acceptance", json={"decision": "accept"}, headers=reg)
    assert again.status_code == 409

    clock.set(end_of("2026-11-26") + SECOND)
    assert (await registry.get(base, headers=reg)).json()["overdue"]
    rejected = await registry.post(
        f"{base}/decision", json={"decision": "reject", "reasons": "危害后果未消除"}, headers=reg
    )
    assert rejected.json()["status"] == "rejected" and not rejected.json()["overdue"]


async def test_a_repair_application_with_missing_materials_is_refused_with_reasons(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg, own = tokens(Role.regulator), tokens(Role.enterprise, uscc=code(1))
    await register(registry, reg, code(1))
    listed = await blacklist(registry, reg, clock, code(1))
    clock.set(at(listed["repair_possible_from"]))
    url = f"/v1/list-entries/{listed['id']}/repair-applications"
    application = (await registry.post(url, json=repair_body(), headers=own)).json()
    base = f"/v1/repair-applications/{application['id']}"
    bare = await registry.post(f"{base}/acceptance", json={"decision": "refuse"}, headers=reg)
    assert bare.status_code == 422 and bare.json()["errors"][0]["field"] == "reasons"
    refused = await registry.post(
        f"{base}/acceptance", json={"decision": "refuse", "reasons": "缺守信承诺书"}, headers=reg
    )
    assert (refused.json()["status"], refused.json()["reasons"]) == ("refused", "缺守信承诺书")
    assert (await entry(registry, reg, listed["id"]))["status"] == "listed"
    assert (await registry.post(url, json=repair_body(), headers=own)).status_code == 201


async def test_removal_on_2026_11_20_stops_publication_elsewhere_by_11_25_and_fraud_restores_the_term(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    """Order 44 第十八条 (3 working days to stop publication) and 第二十条 (restored, term restarts)."""
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    removed, application = await repaired_entry(registry, tokens, clock)
    assert (removed["status"], removed["exit_kind"], removed["exit_ref"]) == (
        "removed",
        "repaired",
        application["id"],
    )
    assert at(removed["stop_publication_due_at"]) == end_of("2026-11-25")
    assert removed["allowed_actions"] == ["restore"]
    assert await public_ids(registry, "black") == []

    clock.set(cst("2026-12-01T10:00:00"))
    assert (await act(registry, reg, removed["id"], "restore")).status_code == 422  # reasons required
    restored = await act(registry, reg, removed["id"], "restore", note="申请人提供虚假整改材料，情节严重")
    assert restored.status_code == 200, restored.text
    body = restored.json()
    assert body["status"] == "listed" and at(body["listed_at"]) == clock.now()
    assert at(body["expires_at"]) == cst("2029-12-01T10:00:00")  # the term counts again
    assert body["exit_kind"] is None and body["stop_publication_due_at"] is None
    assert [r["status"] for r in body["repair_applications"]] == ["revoked"]
    assert body["history"][-1]["action"] == "restore"
    assert await public_ids(registry, "black") == [removed["id"]]


async def test_a_revoked_penalty_revokes_the_listing_and_an_expired_entry_cannot_be_restored(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    """Order 44 第十九条: the listing is revoked and publication stops within 3 working days."""
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    listed = await blacklist(registry, reg, clock, code(1))
    clock.set(cst("2026-11-20T10:00:00"))
    revoked = (await act(registry, reg, listed["id"], "revoke", note="原处罚决定被行政复议撤销")).json()
    assert at(revoked["stop_publication_due_at"]) == end_of("2026-11-25")
    assert revoked["allowed_actions"] == []
    assert (await act(registry, reg, listed["id"], "restore", note="x")).status_code == 409


async def test_the_reapplication_bar_is_off_unless_a_regulator_turns_the_policy_on(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, clock: FrozenClock
) -> None:
    """Not in Order 44: by default an enterprise listed again may apply for early removal again."""
    reg, own = tokens(Role.regulator), tokens(Role.enterprise, uscc=code(1))
    await register(registry, reg, code(1))
    first, _ = await repaired_entry(registry, tokens, clock, decision_no="罚〔2025〕1号")
    clock.set(cst("2026-12-01T10:00:00"))
    second = await blacklist(registry, reg, clock, code(1), decision_no="罚〔2026〕2号")
    clock.set(at(second["repair_possible_from"]))
    url = f"/v1/list-entries/{second['id']}/repair-applications"
    rules = registry_app.state.list_rules
    registry_app.state.list_rules = dataclasses.replace(rules, reapply_bar_enabled=True)
    barred = await registry.post(url, json=repair_body(), headers=own)
    assert barred.status_code == 409 and barred.json()["earlier_entry_id"] == first["id"]
    assert "policy" in barred.json()["detail"]
    registry_app.state.list_rules = rules
    assert (await registry.post(url, json=repair_body(), headers=own)).status_code == 201
    published = (await registry.get("/v1/list-rules")).json()
    assert published["reapply_bar_enabled"] is False and published["reapply_bar_years"]["status"] == "policy"


async def test_consent_can_be_recorded_before_notice_and_only_once(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    proposed = await propose(registry, reg, entry_body(code(1), **COUNTY))
    assert (await consent(registry, reg, proposed["id"])).status_code == 200
    twice = await consent(registry, reg, proposed["id"])
    assert twice.status_code == 409
    notice = (await act(registry, reg, proposed["id"], "serve_notice")).json()
    assert notice["consent_by"] == "广西壮族自治区市场监督管理局"
    clock.set(at(notice["defence_due_at"]) + SECOND)
    assert (await act(registry, reg, proposed["id"], "list")).status_code == 200


async def test_grade_d_is_labelled_a_risk_class_not_the_serious_dishonesty_list(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    """Score 30 (two severe events) is grade D, yet the enterprise is on no list until a decision lists it."""
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    events = f"/v1/enterprises/{code(1)}/credit-events"
    await registry.post(events, json=event_body("抽〔2026〕9号"), headers=reg)
    await registry.post(events, json=event_body("罚〔2026〕9号", kind="administrative_penalty"), headers=reg)
    credit = (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()
    assert (credit["grade"], credit["lists"]) == ("D", [])
    assert credit["grade_label"]["zh"] == "D类（信用风险高；不是严重违法失信名单）"
    assert "not the serious-dishonesty list" in credit["grade_label"]["en"]
    assert "失信" not in credit["grade_label"]["zh"].split("；")[0]  # a class name, not a judgement
