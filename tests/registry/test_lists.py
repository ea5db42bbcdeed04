"""Red and black lists: lifecycle, exits, red-list withdrawal, the public disclosure.

The helpers at the top (used by test_lists_*.py too) drive entries through the API and the test clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from services.common.clock import FrozenClock
from services.common.roles import Role
from services.common.workdays import load_calendar
from services.registry.lists import service as lists_service
from services.registry.lists.rules import add_years, load_list_rules
from services.registry.lists.sweeper import sweep_all
from tests.support import Tokens, code, event_body, register

SECOND = timedelta(seconds=1)


def entry_body(uscc: str, decision_no: str = "南市监罚〔2026〕1号", **extra: object) -> dict[str, object]:
    return {
        "uscc": uscc,
        "list": "black",
        "reason": "生产销售不合格产品，性质恶劣、情节严重",
        "legal_basis": "《市场监督管理严重违法失信名单管理办法》第二条",
        "decision_no": decision_no,
        "authority": "南宁市市场监督管理局",
        "authority_division": "450100",
        "decided_at": "2026-11-02T00:00:00Z",
        **extra,
    }


def red_body(uscc: str, decision_no: str = "桂质奖〔2026〕1号", **extra: object) -> dict[str, object]:
    return entry_body(
        uscc,
        decision_no,
        list="red",
        reason="获省政府质量奖，信用良好",
        legal_basis="守信激励措施清单",
        authority="广西壮族自治区市场监督管理局",
        authority_division="450000",
        **extra,
    )


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def propose(client: httpx.AsyncClient, reg: dict[str, str], body: dict[str, object]) -> dict:
    response = await client.post("/v1/list-entries", json=body, headers=reg)
    assert response.status_code == 201, response.text
    return response.json()


async def act(
    client: httpx.AsyncClient, reg: dict[str, str], entry_id: str, action: str, **extra: object
) -> httpx.Response:
    return await client.post(
        f"/v1/list-entries/{entry_id}/transitions", json={"action": action, **extra}, headers=reg
    )


async def consent(client: httpx.AsyncClient, reg: dict[str, str], entry_id: str) -> httpx.Response:
    """The next level's consent to a city bureau's listing (Order 44 第二十二条)."""
    return await act(
        client,
        reg,
        entry_id,
        "record_consent",
        approving_authority="广西壮族自治区市场监督管理局",
        reference="桂市监信函〔2026〕1号",
    )


async def blacklist(
    client: httpx.AsyncClient, reg: dict[str, str], clock: FrozenClock, uscc: str, **extra: Any
) -> dict:
    """Propose, serve notice, record consent, let the defence time pass, list; the clock ends just after."""
    entry = await propose(client, reg, entry_body(uscc, **extra))
    served = await act(client, reg, entry["id"], "serve_notice")
    assert served.status_code == 200, served.text
    assert (await consent(client, reg, entry["id"])).status_code == 200
    clock.set(at(served.json()["defence_due_at"]) + SECOND)
    listed = await act(client, reg, entry["id"], "list")
    assert listed.status_code == 200, listed.text
    return listed.json()


async def public_ids(client: httpx.AsyncClient, name: str, **params: str | int) -> list[str]:
    """Every id on a public list, following the cursor to the end."""
    ids: list[str] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = await client.get(f"/v1/lists/{name}", params=query)
        assert page.status_code == 200, page.text
        ids += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return ids


async def entry(client: httpx.AsyncClient, reg: dict[str, str], entry_id: str) -> dict:
    response = await client.get(f"/v1/list-entries/{entry_id}", headers=reg)
    assert response.status_code == 200, response.text
    return response.json()


async def sweep(app: FastAPI, clock: FrozenClock) -> int:
    return await sweep_all(app.state.sessions, list_rules=app.state.list_rules, clock=clock)


async def sweep_once(app: FastAPI, clock: FrozenClock) -> int:
    async with app.state.sessions() as session, session.begin():
        return await lists_service.sweep(session, list_rules=app.state.list_rules, now=clock.now())


def repair_body(**declarations: bool) -> dict[str, object]:
    return {
        "evidence": "罚款已缴清（缴款书附后）；不合格产品已召回并销毁；整改报告附后。",
        "declarations": {
            "penalty_fulfilled": True,
            "harm_removed": True,
            "no_further_heavy_penalty": True,
            **declarations,
        },
    }


async def accept(client: httpx.AsyncClient, reg: dict[str, str], application_id: str) -> dict:
    """Accept a received repair application (Order 44 第十七条第二款)."""
    answer = await client.post(
        f"/v1/repair-applications/{application_id}/acceptance", json={"decision": "accept"}, headers=reg
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def years_later(moment: datetime, years: int) -> datetime:
    return moment.replace(year=moment.year + years)


def test_a_term_from_29_february_ends_on_the_last_day_of_february() -> None:
    leap = datetime(2028, 2, 29, 1, 0, tzinfo=UTC)  # 09:00 in China
    assert add_years(leap, 3) == datetime(2031, 2, 28, 1, 0, tzinfo=UTC)
    assert add_years(datetime(2026, 11, 20, 8, 0, tzinfo=UTC), 3) == datetime(2029, 11, 20, 8, 0, tzinfo=UTC)


async def test_black_list_lifecycle_shows_exactly_the_active_entries(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1), name="南宁市某食品有限公司")
    proposed = await propose(registry, reg, entry_body(code(1)))
    assert (proposed["status"], proposed["list"]) == ("proposed", "black")
    assert proposed["allowed_actions"] == ["cancel", "record_consent", "serve_notice"]
    assert await public_ids(registry, "black") == []

    served = (await act(registry, reg, proposed["id"], "serve_notice")).json()
    due = at(served["defence_due_at"])
    assert served["status"] == "notice_served" and due > clock.now()
    working_days = int(load_list_rules().defence_working_days.value)
    assert due == load_calendar().deadline(at(served["notice_served_at"]), working_days)
    assert await public_ids(registry, "black") == []

    early = await act(registry, reg, proposed["id"], "list")
    assert early.status_code == 409
    assert early.json()["current_state"] == "notice_served"
    assert "state its case" in early.json()["detail"]
    clock.set(due)
    assert (await act(registry, reg, proposed["id"], "list")).status_code == 409
    clock.set(due + SECOND)
    assert (await consent(registry, reg, proposed["id"])).status_code == 200
    listed = await act(registry, reg, proposed["id"], "list")
    assert listed.status_code == 200, listed.text
    listed_entry = listed.json()
    assert listed_entry["status"] == "listed" and at(listed_entry["listed_at"]) == clock.now()
    # Decided and published at once: the publication deadline (Order 44 第十四条) is met.
    assert at(listed_entry["listing_decided_at"]) == clock.now() and not listed_entry["publication_overdue"]
    assert [h["action"] for h in listed_entry["history"]] == [
        "propose",
        "serve_notice",
        "record_consent",
        "list",
    ]
    assert await public_ids(registry, "black") == [proposed["id"]]

    [shown] = (await registry.get("/v1/lists/black")).json()["items"]
    assert shown["name"] == "南宁市某食品有限公司" and shown["region"]["division"] == "450100"
    assert shown["decision_no"] == "南市监罚〔2026〕1号"
    assert "proposed_by" not in shown

    credit = (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()
    assert [(s["list"], s["entry_id"], s["status"]) for s in credit["lists"]] == [
        ("black", proposed["id"], "listed")
    ]
    assert at(credit["lists"][0]["until"]) == at(listed_entry["expires_at"])

    revoke = await act(registry, reg, proposed["id"], "revoke", note="行政复议撤销原处罚决定")
    assert revoke.status_code == 200
    assert await public_ids(registry, "black") == []
    assert (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()["lists"] == []


async def test_statement_must_be_answered_before_listing(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg, own = tokens(Role.regulator), tokens(Role.enterprise, uscc=code(1))
    await register(registry, reg, code(1))
    proposed = await propose(registry, reg, entry_body(code(1)))
    url = f"/v1/list-entries/{proposed['id']}/statements"
    too_soon = await registry.post(url, json={"text": "我方已整改"}, headers=own)
    assert too_soon.status_code == 409 and too_soon.json()["current_state"] == "proposed"

    served = (await act(registry, reg, proposed["id"], "serve_notice")).json()
    await consent(registry, reg, proposed["id"])
    stated = await registry.post(
        url, json={"text": "我方已整改，申请听证", "hearing_requested": True}, headers=own
    )
    assert stated.status_code == 201, stated.text
    assert stated.json()["hearing_requested"] and stated.json()["submitted_by"].startswith("enterprise:")

    clock.set(at(served["defence_due_at"]) + SECOND)
    late = await registry.post(url, json={"text": "补充意见"}, headers=own)
    assert late.status_code == 409 and "ended" in late.json()["detail"]
    blocked = await act(registry, reg, proposed["id"], "list")
    assert blocked.status_code == 409 and "not answered" in blocked.json()["detail"]

    reply_url = f"{url}/{stated.json()['id']}/reply"
    assert (await registry.post(reply_url, json={"reply": "x"}, headers=own)).status_code == 403
    replied = await registry.post(reply_url, json={"reply": "经听证，维持列入意见"}, headers=reg)
    assert replied.status_code == 200 and replied.json()["replied_at"]
    assert (await registry.post(reply_url, json={"reply": "again"}, headers=reg)).status_code == 409
    listed = await act(registry, reg, proposed["id"], "list")
    assert listed.status_code == 200, listed.text
    assert [s["reply"] for s in listed.json()["statements"]] == ["经听证，维持列入意见"]


async def test_an_answered_statement_allows_listing_before_the_deadline(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg, own = tokens(Role.regulator), tokens(Role.enterprise, uscc=code(1))
    await register(registry, reg, code(1))
    proposed = await propose(registry, reg, entry_body(code(1)))
    served = (await act(registry, reg, proposed["id"], "serve_notice")).json()
    await consent(registry, reg, proposed["id"])
    url = f"/v1/list-entries/{proposed['id']}/statements"
    stated = (await registry.post(url, json={"text": "无异议"}, headers=own)).json()
    await registry.post(f"{url}/{stated['id']}/reply", json={"reply": "已收悉"}, headers=reg)
    assert clock.now() < at(served["defence_due_at"])
    assert (await act(registry, reg, proposed["id"], "list")).status_code == 200
    assert await public_ids(registry, "black") == [proposed["id"]]


async def test_expiry_at_exactly_three_years_not_a_second_before(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, clock: FrozenClock
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    listed = await blacklist(registry, reg, clock, code(1))
    listed_at, expires_at = at(listed["listed_at"]), at(listed["expires_at"])
    assert expires_at == years_later(listed_at, 3)

    clock.set(expires_at - SECOND)
    assert await public_ids(registry, "black") == [listed["id"]]
    assert (await entry(registry, reg, listed["id"]))["status"] == "listed"
    assert await sweep(registry_app, clock) == 0

    clock.set(expires_at)
    # Off the public list at the instant the term ends, before any sweep has run.
    assert await public_ids(registry, "black") == []
    assert (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()["lists"] == []
    shown = await entry(registry, reg, listed["id"])
    assert (shown["status"], shown["exit_kind"], shown["allowed_actions"]) == ("removed", "expired", [])

    assert await sweep(registry_app, clock) == 1
    assert await sweep(registry_app, clock) == 0
    removed = await entry(registry, reg, listed["id"])
    assert (removed["status"], removed["exit_kind"]) == ("removed", "expired")
    assert at(removed["removed_at"]) == expires_at and removed["removed_by"] == "system:lists-sweep"
    assert [h["action"] for h in removed["history"]][-1] == "expire"
    late = await act(registry, reg, listed["id"], "revoke", note="x")
    assert late.status_code == 409 and late.json()["current_state"] == "removed"


async def test_repair_refused_at_eleven_months_and_accepted_after_twelve(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg, own = tokens(Role.regulator), tokens(Role.enterprise, uscc=code(1))
    await register(registry, reg, code(1))
    listed = await blacklist(registry, reg, clock, code(1))
    listed_at, possible_from = at(listed["listed_at"]), at(listed["repair_possible_from"])
    assert possible_from == years_later(listed_at, 1)
    url = f"/v1/list-entries/{listed['id']}/repair-applications"

    clock.set(listed_at + timedelta(days=335))  # eleven months on the list
    refused = await registry.post(url, json=repair_body(), headers=own)
    assert refused.status_code == 409
    assert at(refused.json()["possible_from"]) == possible_from
    clock.set(possible_from - SECOND)
    assert (await registry.post(url, json=repair_body(), headers=own)).status_code == 409

    clock.set(possible_from)
    unmet = await registry.post(url, json=repair_body(harm_removed=False), headers=own)
    assert unmet.status_code == 422 and unmet.json()["errors"][0]["field"] == "declarations.harm_removed"
    assert (await registry.post(url, json=repair_body(), headers=reg)).status_code == 403
    other = tokens(Role.enterprise, uscc=code(2))
    assert (await registry.post(url, json=repair_body(), headers=other)).status_code == 403
    filed = await registry.post(url, json=repair_body(), headers=own)
    assert filed.status_code == 201, filed.text
    application = filed.json()
    assert application["status"] == "received" and not application["overdue"]
    due = at(application["acceptance_due_at"])
    working_days = int(load_list_rules().repair_acceptance_working_days.value)
    assert due == load_calendar().deadline(at(application["filed_at"]), working_days)
    # Past the published holiday notices the due date is flagged: it can only move later.
    assert application["acceptance_due_provisional"] == (not load_calendar().covers(due.date()))
    again = await registry.post(url, json=repair_body(), headers=own)
    assert again.status_code == 409 and again.json()["application_id"] == application["id"]
    pending = (await registry.get("/v1/repair-applications", headers=reg)).json()["items"]
    assert [p["id"] for p in pending] == [application["id"]]
    assert await public_ids(registry, "black") == [listed["id"]]

    await accept(registry, reg, application["id"])
    clock.advance(timedelta(days=3))
    decision_url = f"/v1/repair-applications/{application['id']}/decision"
    body = {"decision": "approve", "reasons": "已履行处罚义务，危害后果已消除"}
    assert (await registry.post(decision_url, json=body, headers=own)).status_code == 403
    decided = await registry.post(decision_url, json=body, headers=reg)
    assert decided.status_code == 200, decided.text
    assert (decided.json()["status"], decided.json()["reasons"]) == ("approved", body["reasons"])
    assert (await registry.post(decision_url, json=body, headers=reg)).status_code == 409

    removed = await entry(registry, own, listed["id"])
    assert (removed["status"], removed["exit_kind"], removed["exit_ref"]) == (
        "removed",
        "repaired",
        application["id"],
    )
    assert at(removed["removed_at"]) == clock.now() and removed["removed_by"] == "regulator:dev-regulator"
    assert await public_ids(registry, "black") == []
    assert (await registry.get("/v1/repair-applications", headers=reg)).json()["items"] == []
    seen = await registry.get(f"/v1/repair-applications/{application['id']}", headers=own)
    assert seen.status_code == 200 and seen.json()["status"] == "approved"


async def test_rejected_repair_leaves_the_entry_listed(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg, own = tokens(Role.regulator), tokens(Role.enterprise, uscc=code(1))
    await register(registry, reg, code(1))
    listed = await blacklist(registry, reg, clock, code(1))
    clock.set(at(listed["repair_possible_from"]))
    url = f"/v1/list-entries/{listed['id']}/repair-applications"
    application = await accept(
        registry, reg, (await registry.post(url, json=repair_body(), headers=own)).json()["id"]
    )
    clock.set(at(application["decision_due_at"]) + SECOND)
    late = (await registry.get(f"/v1/repair-applications/{application['id']}", headers=reg)).json()
    assert late["overdue"]
    decided = await registry.post(
        f"/v1/repair-applications/{application['id']}/decision",
        json={"decision": "reject", "reasons": "整改证明不足"},
        headers=reg,
    )
    assert decided.status_code == 200 and decided.json()["status"] == "rejected"
    assert not decided.json()["overdue"]
    assert await public_ids(registry, "black") == [listed["id"]]
    assert (await registry.post(url, json=repair_body(), headers=own)).status_code == 201


async def test_revocation_removes_at_once_and_closes_pending_repair(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg, own = tokens(Role.regulator), tokens(Role.enterprise, uscc=code(1))
    await register(registry, reg, code(1))
    listed = await blacklist(registry, reg, clock, code(1))
    clock.set(at(listed["repair_possible_from"]))
    application = (
        await registry.post(
            f"/v1/list-entries/{listed['id']}/repair-applications", json=repair_body(), headers=own
        )
    ).json()
    no_reason = await act(registry, reg, listed["id"], "revoke")
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "note"
    revoked = await act(
        registry, reg, listed["id"], "revoke", note="法院判决撤销原处罚决定", reference="(2027)桂01行终12号"
    )
    assert revoked.status_code == 200
    body = revoked.json()
    assert (body["status"], body["exit_kind"], body["exit_ref"]) == (
        "removed",
        "revoked",
        "(2027)桂01行终12号",
    )
    assert body["exit_reason"] == "法院判决撤销原处罚决定"
    assert [r["status"] for r in body["repair_applications"]] == ["closed"]
    assert application["id"] == body["repair_applications"][0]["id"]
    assert await public_ids(registry, "black") == []


async def test_red_list_needs_good_standing_and_ends_on_blacklisting(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    await register(registry, reg, code(2))
    red = await propose(registry, reg, red_body(code(1)))
    assert (red["status"], red["list"], red["allowed_actions"]) == ("listed", "red", ["remove"])
    assert await public_ids(registry, "red") == [red["id"]]
    credit = (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()
    assert [(s["list"], s["entry_id"]) for s in credit["lists"]] == [("red", red["id"])]

    await registry.post(f"/v1/enterprises/{code(2)}/credit-events", json=event_body(), headers=reg)
    refused = await registry.post("/v1/list-entries", json=red_body(code(2)), headers=reg)
    assert refused.status_code == 409 and "below the red-list floor" in refused.json()["detail"]

    black = await propose(registry, reg, entry_body(code(1)))
    pending_black = await registry.post("/v1/list-entries", json=red_body(code(1), "另一奖励"), headers=reg)
    assert pending_black.status_code == 409 and black["id"] in pending_black.json()["detail"]
    await act(registry, reg, black["id"], "serve_notice")
    await consent(registry, reg, black["id"])
    assert await public_ids(registry, "red") == [red["id"]]
    clock.set(at((await entry(registry, reg, black["id"]))["defence_due_at"]) + SECOND)
    listed = await act(registry, reg, black["id"], "list")
    assert listed.status_code == 200

    assert await public_ids(registry, "red") == []
    assert await public_ids(registry, "black") == [black["id"]]
    withdrawn = await entry(registry, reg, red["id"])
    assert (withdrawn["status"], withdrawn["exit_kind"], withdrawn["exit_ref"]) == (
        "removed",
        "blacklisted",
        black["id"],
    )
    assert at(withdrawn["removed_at"]) == at(listed.json()["listed_at"])
    assert withdrawn["history"][-1]["action"] == "disqualify"
    credit = (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()
    assert [s["list"] for s in credit["lists"]] == ["black"]


async def test_red_list_ends_when_a_new_event_grades_below_the_floor(
    registry: httpx.AsyncClient, tokens: Tokens
) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    red = await propose(registry, reg, red_body(code(1)))
    events = f"/v1/enterprises/{code(1)}/credit-events"
    minor = await registry.post(events, json=event_body("抽〔2026〕1号", severity="minor"), headers=reg)
    assert minor.status_code == 201
    floor = load_list_rules().red_grade_floor.value
    still = (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()
    if still["grade"] == floor:
        assert await public_ids(registry, "red") == [red["id"]]

    severe = await registry.post(events, json=event_body("抽〔2026〕2号"), headers=reg)
    assert severe.status_code == 201
    graded = (await registry.get(f"/v1/enterprises/{code(1)}/credit")).json()
    assert graded["grade"] != floor and graded["lists"] == []
    assert await public_ids(registry, "red") == []
    withdrawn = await entry(registry, reg, red["id"])
    assert (withdrawn["status"], withdrawn["exit_kind"], withdrawn["exit_ref"]) == (
        "removed",
        "downgraded",
        severe.json()["id"],
    )
    assert f"below the red-list floor {floor}" in withdrawn["exit_reason"]
    assert withdrawn["removed_by"] == "regulator:dev-regulator"

    # Revoking the event restores the grade, not the listing: a new decision is needed.
    await registry.post(
        f"/v1/credit-events/{severe.json()['id']}/revocation", json={"reason": "复议撤销"}, headers=reg
    )
    assert await public_ids(registry, "red") == []
    again = await registry.post("/v1/list-entries", json=red_body(code(1), "桂质奖〔2027〕2号"), headers=reg)
    assert again.status_code == 201


async def test_public_lists_filter_by_region_and_authority_and_page(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg = tokens(Role.regulator)
    nanning = [code(1), code(2)]
    fuzhou = code(3, division="350100")
    ids = {}
    for n, uscc in enumerate([*nanning, fuzhou]):
        await register(registry, reg, uscc)
        authority = "福州市市场监督管理局" if uscc == fuzhou else "南宁市市场监督管理局"
        ids[uscc] = (await blacklist(registry, reg, clock, uscc, decision_no=f"罚{n}", authority=authority))[
            "id"
        ]
    await propose(registry, reg, entry_body(code(1), decision_no="仍在拟列入"))

    assert sorted(await public_ids(registry, "black")) == sorted(ids.values())
    assert sorted(await public_ids(registry, "black", region="4501")) == sorted(ids[c] for c in nanning)
    assert await public_ids(registry, "black", region="35") == [ids[fuzhou]]
    assert await public_ids(registry, "black", authority="福州市") == [ids[fuzhou]]
    assert await public_ids(registry, "black", region="35", authority="南宁") == []
    paged = await public_ids(registry, "black", limit=1)
    assert len(paged) == 3 and set(paged) == set(ids.values())
    assert paged[0] == ids[fuzhou]  # most recently listed first
    assert await public_ids(registry, "red") == []
    assert (await registry.get("/v1/lists/black", params={"region": "45x"})).status_code == 422
    assert (await registry.get("/v1/lists/grey")).status_code == 422


async def test_proposal_validation(registry: httpx.AsyncClient, tokens: Tokens) -> None:
    reg = tokens(Role.regulator)
    await register(registry, reg, code(1))
    first = await propose(registry, reg, entry_body(code(1)))
    duplicate = await registry.post("/v1/list-entries", json=entry_body(code(1)), headers=reg)
    assert duplicate.status_code == 409 and duplicate.json()["entry_id"] == first["id"]
    unknown = await registry.post("/v1/list-entries", json=entry_body(code(9)), headers=reg)
    assert unknown.status_code == 404 and "no enterprise" in unknown.json()["detail"]
    future = await registry.post(
        "/v1/list-entries", json=entry_body(code(1), "x", decided_at="2027-06-01T00:00:00Z"), headers=reg
    )
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "decided_at"
    blank = await registry.post("/v1/list-entries", json=entry_body(code(1), "y", reason="  "), headers=reg)
    assert blank.status_code == 422
    minimal = {k: v for k, v in entry_body(code(1), "z").items() if k not in ("authority", "decided_at")}
    assert (await registry.post("/v1/list-entries", json=minimal, headers=reg)).status_code == 201
    await registry.patch(f"/v1/enterprises/{code(1)}", json={"status": "deregistered"}, headers=reg)
    gone = await registry.post("/v1/list-entries", json=entry_body(code(1), "w"), headers=reg)
    assert gone.status_code == 409


async def test_list_rules_are_published_with_their_basis(registry: httpx.AsyncClient) -> None:
    rules = (await registry.get("/v1/list-rules")).json()
    assert rules["publication_term_years"]["value"] == load_list_rules().publication_term_years.value
    assert all(rules[k]["basis"] and rules[k]["status"] for k in rules if isinstance(rules[k], dict))
