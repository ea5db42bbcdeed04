"""Security suite fixtures: both services seeded with one of everything a route can point at."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest

from services.common.clock import FrozenClock
from services.common.gtin import check_digit
from services.common.roles import Role
from services.complaints.settings import ComplaintsSettings
from services.registry.settings import RegistrySettings
from tests.complaints.rewards_support import concluded_report, record
from tests.console_support import console_settings
from tests.oidc_provider import Provider
from tests.registry.test_lists import act, blacklist, entry_body, propose, repair_body
from tests.registry.test_standards import standard_body
from tests.support import Tokens, code, complaint_body, event_body, register

# The roles of the access matrix: who calls, and with what token (always one made for the service
# under test, so a refusal is about the role, never about a token meant for somewhere else).
ROLES = ("none", "regulator", "own", "other", "partner", "handler", "service")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def role_headers(tokens: Tokens, role: str, *, audience: str, owner: str | None) -> dict[str, str]:
    """Headers for `role` calling a service with `audience`; `own` and `other` are enterprises."""
    if role == "none":
        return {}
    if role == "own":
        return tokens(Role.enterprise, uscc=owner or code(900), audience=audience)
    if role == "other":
        return tokens(Role.enterprise, uscc=code(901), audience=audience)
    return tokens(Role(role), audience=audience)


@dataclass
class RegistryWorld:
    """Codes and ids the registry routes of the matrix and the fuzzing point at."""

    own: str  # registered, one credit event, a listed black entry with a pending repair application
    event_id: str
    listed_entry: str
    application_id: str
    served: str  # a black entry with notice served and a statement awaiting a reply
    served_entry: str
    statement_id: str
    proposed: str  # a proposed black entry
    proposed_entry: str
    repairable: str  # listed for over a year, no application yet
    repairable_entry: str
    fresh: str  # registered, nothing else (list proposals land here)
    subscription_id: str  # the partner's webhook (to a port nothing listens on)
    standard_id: str  # a declaration of `own`, with a document
    withdrawable: list[str]  # more declarations of `own`: one per caller, so each may withdraw one
    sample_id: str  # a spot-check draw, committed and not yet drawn
    drawn_sample_id: str  # another, drawn: its candidates are public
    inspectors: list[str]  # six inspectors in region 45
    draft_plan: str  # an inspection plan awaiting approval
    approved_plan: str  # approved (seed committed), not drawn
    drawn_plan: str  # drawn, with tasks
    task_id: str  # a task of the drawn plan, assigned
    open_warning: str  # a warning (repeated substantiated complaints), open
    assessed_warning: str  # another, assessed, with a published notice
    notice_id: str
    prefix: str = "6907777"  # a company prefix of `own`
    gtin: str = ""  # an item of `own` under `prefix`
    report_number: str = ""  # a credit report on `own`, issued by a regulator


def gtin_of(body: str) -> str:
    return body + str(check_digit(body))


@dataclass
class ComplaintsWorld:
    complaint_id: str
    tracking_code: str
    attachment_id: str
    report_id: str  # a concluded real-name report whose reward another handler recorded
    reward_id: str


async def seed_registry(client: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock) -> RegistryWorld:
    reg = tokens(Role.regulator)
    own, served, proposed, repairable, fresh = (code(n) for n in (1, 2, 3, 4, 5))
    for n, uscc in enumerate((own, served, proposed, repairable, fresh)):
        await register(client, reg, uscc, f"安全测试企业{n}有限公司")
    event = await client.post(
        f"/v1/enterprises/{own}/credit-events", json=event_body("安全测试〔2026〕1号"), headers=reg
    )
    assert event.status_code == 201, event.text
    listed_entry = (await blacklist(client, reg, clock, own))["id"]
    repairable_entry = (await blacklist(client, reg, clock, repairable))["id"]
    clock.advance(timedelta(days=400))
    filed = await client.post(
        f"/v1/list-entries/{listed_entry}/repair-applications",
        json=repair_body(),
        headers=tokens(Role.enterprise, uscc=own),
    )
    assert filed.status_code == 201, filed.text
    served_entry = (await propose(client, reg, entry_body(served)))["id"]
    assert (await act(client, reg, served_entry, "serve_notice")).status_code == 200
    statement = await client.post(
        f"/v1/list-entries/{served_entry}/statements",
        json={"text": "我司已整改完毕。", "hearing_requested": False},
        headers=tokens(Role.enterprise, uscc=served),
    )
    assert statement.status_code == 201, statement.text
    proposed_entry = (await propose(client, reg, entry_body(proposed)))["id"]
    subscription = await client.post(
        "/v1/subscriptions",
        json={"url": "http://127.0.0.1:9/hook", "kinds": ["grade_changed"]},
        headers=tokens(Role.partner),
    )
    assert subscription.status_code == 201, subscription.text
    declarant = tokens(Role.enterprise, uscc=own)
    declarations = []
    for n in range(len(ROLES) + 1):
        declared = await client.post(
            f"/v1/enterprises/{own}/standards",
            json=standard_body(f"Q/AQCS {n + 1:04d}S-2026"),
            headers=declarant,
        )
        assert declared.status_code == 201, declared.text
        declarations.append(declared.json()["id"])
    sample = await client.post("/v1/standards/samples", json={"n": 2}, headers=reg)
    assert sample.status_code == 201, sample.text
    drawn_sample = await client.post("/v1/standards/samples", json={"n": 1}, headers=reg)
    assert drawn_sample.status_code == 201, drawn_sample.text
    drawn = await client.post(f"/v1/standards/samples/{drawn_sample.json()['id']}/draw", headers=reg)
    assert drawn.status_code == 200, drawn.text
    prefix = await client.post(
        "/v1/company-prefixes",
        json={"prefix": "6907777", "uscc": own, "registered_on": "2026-01-01"},
        headers=reg,
    )
    assert prefix.status_code == 201, prefix.text
    item = await client.post(
        f"/v1/enterprises/{own}/products",
        json={"gtin": gtin_of("690777700000"), "name": "安全测试纯牛奶"},
        headers=reg,
    )
    assert item.status_code == 201, item.text
    supervision = await seed_supervision(client, tokens, (served, proposed))
    report = await client.post(f"/v1/enterprises/{own}/credit-reports", json={}, headers=reg)
    assert report.status_code == 201, report.text
    return RegistryWorld(
        report_number=report.json()["number"],
        own=own,
        event_id=event.json()["id"],
        listed_entry=listed_entry,
        application_id=filed.json()["id"],
        served=served,
        served_entry=served_entry,
        statement_id=statement.json()["id"],
        proposed=proposed,
        proposed_entry=proposed_entry,
        repairable=repairable,
        repairable_entry=repairable_entry,
        fresh=fresh,
        subscription_id=subscription.json()["id"],
        standard_id=declarations[0],
        withdrawable=declarations[1:],
        sample_id=sample.json()["id"],
        drawn_sample_id=drawn_sample.json()["id"],
        gtin=item.json()["gtin"],
        **supervision,
    )


async def seed_supervision(client: httpx.AsyncClient, tokens: Tokens, complained: tuple[str, str]) -> dict:
    """Inspectors, plans in each state, a task, and two warnings raised by a real signal run."""
    reg = tokens(Role.regulator)
    inspectors = []
    for n in range(6):
        made = await client.post(
            "/v1/inspectors",
            json={"name": f"安全检查员{n}", "badge_no": f"SEC-{n}", "region": "45", "specialties": []},
            headers=reg,
        )
        assert made.status_code == 201, made.text
        inspectors.append(made.json()["id"])

    async def plan(pool: list[str], *steps: str) -> str:
        body = {
            "title": "安全测试抽查",
            "authority": "南宁市市场监督管理局",
            "region": "4501",
            "period_start": "2026-11-20",
            "period_end": "2026-12-31",
            "inspector_pool": pool,
            "ratios": {"A": "1", "B": "1", "C": "1", "D": "1"},
        }
        created = await client.post("/v1/inspection-plans", json=body, headers=reg)
        assert created.status_code == 201, created.text
        for action in steps:
            done = await client.post(f"/v1/inspection-plans/{created.json()['id']}/{action}", headers=reg)
            assert done.status_code == 200, done.text
        return str(created.json()["id"])

    drawn = await plan(inspectors[:2], "approval", "draw")
    tasks = (await client.get("/v1/inspection-tasks", params={"plan_id": drawn}, headers=reg)).json()["items"]
    for n, uscc in enumerate(complained):  # three substantiated complaints each: a warning each
        for k in range(3):
            fed = await client.post(
                f"/v1/enterprises/{uscc}/credit-events",
                json=event_body(f"complaint-sec-{n}-{k}", kind="complaint_substantiated", severity="minor"),
                headers=tokens(Role.service),
            )
            assert fed.status_code == 201, fed.text
    run = await client.post("/v1/signal-runs", headers=reg)
    assert run.status_code == 200 and run.json()["raised"] == 2, run.text
    warnings = (await client.get("/v1/warnings", headers=reg)).json()["items"]
    by_uscc = {w["uscc"]: w["id"] for w in warnings}
    assessed = by_uscc[complained[1]]
    step = await client.post(f"/v1/warnings/{assessed}/transitions", json={"action": "assess"}, headers=reg)
    assert step.status_code == 200, step.text
    notice = await client.post(
        f"/v1/warnings/{assessed}/notices",
        json={
            "authority": "南宁市市场监督管理局",
            "title_zh": "消费提示",
            "body_zh": "注意。",
            "title_en": "Notice",
            "body_en": "Take care.",
        },
        headers=reg,
    )
    assert notice.status_code == 201, notice.text
    return {
        "inspectors": inspectors,
        "draft_plan": await plan(inspectors[2:4]),
        "approved_plan": await plan(inspectors[2:4], "approval"),
        "drawn_plan": drawn,
        "task_id": tasks[0]["id"],
        "open_warning": by_uscc[complained[0]],
        "assessed_warning": assessed,
        "notice_id": notice.json()["id"],
    }


async def seed_complaints(client: httpx.AsyncClient, tokens: Tokens) -> ComplaintsWorld:
    attachment = {"filename": "发票.png", "content_base64": base64.b64encode(PNG).decode()}
    created = await client.post("/v1/complaints", json=complaint_body(attachments=[attachment]))
    assert created.status_code == 201, created.text
    detail = await client.get(f"/v1/complaints/{created.json()['id']}", headers=tokens(Role.handler))
    assert detail.status_code == 200, detail.text
    report = await concluded_report(client, tokens)
    reward = await record(client, tokens, report["id"])
    assert reward.status_code == 201, reward.text
    return ComplaintsWorld(
        complaint_id=created.json()["id"],
        tracking_code=created.json()["tracking_code"],
        attachment_id=detail.json()["attachments"][0]["id"],
        report_id=report["id"],
        reward_id=reward.json()["id"],
    )


@pytest.fixture
def complaints_settings(complaints_settings: ComplaintsSettings, provider: Provider) -> ComplaintsSettings:
    """The suite's settings, signing in to the console at the test identity provider."""
    return console_settings(complaints_settings, provider)  # type: ignore[no-any-return]


@pytest.fixture
def registry_settings(registry_settings: RegistrySettings, provider: Provider) -> RegistrySettings:
    return console_settings(registry_settings, provider)  # type: ignore[no-any-return]


@pytest.fixture
async def registry_world(registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock) -> RegistryWorld:
    return await seed_registry(registry, tokens, clock)


@pytest.fixture
async def complaints_world(complaints: httpx.AsyncClient, tokens: Tokens) -> ComplaintsWorld:
    return await seed_complaints(complaints, tokens)
