"""Every route of both services, every caller: the status in access_matrix.toml, nothing else.

The routes come from the apps themselves, so a route added without a matrix entry (or an entry left
behind by a removed route) fails here. Each call carries a valid request, so what differs between
callers is the authorisation decision alone.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from services.common.console.auth import COOKIE
from tests.complaints.rewards_support import outcome_body
from tests.console_support import console_session
from tests.registry.test_lists import entry_body, repair_body
from tests.registry.test_standards import standard_body
from tests.security.conftest import ROLES, ComplaintsWorld, RegistryWorld, gtin_of, role_headers
from tests.support import Tokens, code, complaint_body, event_body

MATRIX: dict[str, dict[str, dict[str, int]]] = tomllib.loads(
    (Path(__file__).with_name("access_matrix.toml")).read_text(encoding="utf-8")
)
PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Call:
    path: str
    owner: str | None = None  # the enterprise the call is about: the `own` caller's uscc claim
    json: Any = None
    data: dict[str, str] | None = None
    params: dict[str, str] = field(default_factory=dict)
    # partners say why they look something up; everyone else may, and it changes nothing for them
    headers: dict[str, str] = field(default_factory=lambda: {"X-Purpose": "access-matrix test"})


def app_routes(app: FastAPI) -> set[str]:
    """'METHOD /path' for every route the app serves (HEAD goes with GET)."""
    found = set()
    for route in iter_route_contexts(app.routes):
        for method in route.methods or ():
            if method != "HEAD":
                found.add(f"{method} {route.path_format}")
    return found


def registry_calls(w: RegistryWorld, role: str, n: int) -> dict[str, Call]:
    """What each caller sends; `n` numbers the caller, so no two create the same thing."""
    own = w.own
    return {
        "GET /openapi.json": Call("/openapi.json"),
        "GET /docs": Call("/docs"),
        "GET /docs/oauth2-redirect": Call("/docs/oauth2-redirect"),
        "GET /redoc": Call("/redoc"),
        "GET /healthz": Call("/healthz"),
        "GET /readyz": Call("/readyz"),
        "GET /metrics": Call("/metrics"),
        "POST /v1/enterprises": Call(
            "/v1/enterprises", owner=code(100 + n), json={"uscc": code(100 + n), "name": f"矩阵企业{n}"}
        ),
        "GET /v1/enterprises": Call("/v1/enterprises", params={"q": "安全测试"}),
        "GET /v1/enterprises/{uscc}": Call(f"/v1/enterprises/{own}", owner=own),
        "PATCH /v1/enterprises/{uscc}": Call(
            f"/v1/enterprises/{own}", owner=own, json={"address": f"南宁市青秀区民族大道{n}号"}
        ),
        "POST /v1/enterprises/{uscc}/credit-events": Call(
            f"/v1/enterprises/{own}/credit-events",
            owner=own,
            json=event_body(f"矩阵〔2026〕{n}号", kind="complaint_substantiated", severity="minor"),
        ),
        "GET /v1/enterprises/{uscc}/credit-events": Call(f"/v1/enterprises/{own}/credit-events", owner=own),
        "POST /v1/credit-events/{event_id}/revocation": Call(
            f"/v1/credit-events/{w.event_id}/revocation", owner=own, json={"reason": "复议撤销"}
        ),
        "GET /v1/enterprises/{uscc}/credit": Call(f"/v1/enterprises/{own}/credit", owner=own),
        "GET /v1/enterprises/{uscc}/credit/history": Call(f"/v1/enterprises/{own}/credit/history", owner=own),
        "POST /v1/list-entries": Call(
            "/v1/list-entries", owner=w.fresh, json=entry_body(w.fresh, decision_no=f"矩阵罚〔2026〕{n}号")
        ),
        "GET /v1/list-entries/overdue": Call("/v1/list-entries/overdue"),
        "GET /v1/list-entries/{entry_id}": Call(f"/v1/list-entries/{w.listed_entry}", owner=own),
        "POST /v1/list-entries/{entry_id}/transitions": Call(
            f"/v1/list-entries/{w.proposed_entry}/transitions",
            owner=w.proposed,
            json={"action": "serve_notice"},
        ),
        "POST /v1/list-entries/{entry_id}/statements": Call(
            f"/v1/list-entries/{w.served_entry}/statements",
            owner=w.served,
            json={"text": f"补充陈述{n}", "hearing_requested": False},
        ),
        "POST /v1/list-entries/{entry_id}/statements/{statement_id}/reply": Call(
            f"/v1/list-entries/{w.served_entry}/statements/{w.statement_id}/reply",
            owner=w.served,
            json={"reply": "已阅，维持"},
        ),
        "POST /v1/list-entries/{entry_id}/repair-applications": Call(
            f"/v1/list-entries/{w.repairable_entry}/repair-applications",
            owner=w.repairable,
            json=repair_body(),
        ),
        "GET /v1/repair-applications": Call("/v1/repair-applications"),
        "GET /v1/repair-applications/{application_id}": Call(
            f"/v1/repair-applications/{w.application_id}", owner=own
        ),
        "POST /v1/repair-applications/{application_id}/acceptance": Call(
            f"/v1/repair-applications/{w.application_id}/acceptance", owner=own, json={"decision": "accept"}
        ),
        "POST /v1/repair-applications/{application_id}/decision": Call(
            f"/v1/repair-applications/{w.application_id}/decision",
            owner=own,
            json={"decision": "reject", "reasons": "整改证明不足"},
        ),
        "GET /v1/enterprises/{uscc}/list-entries": Call(f"/v1/enterprises/{own}/list-entries", owner=own),
        "GET /v1/lists/{list_name}": Call("/v1/lists/black"),
        "GET /v1/list-rules": Call("/v1/list-rules"),
        "POST /v1/credit-status:batch": Call("/v1/credit-status:batch", json={"usccs": [own, code(999)]}),
        "GET /v1/changes": Call("/v1/changes"),
        "GET /v1/access-log": Call("/v1/access-log"),
        "GET /v1/enterprises/{uscc}/access-log": Call(f"/v1/enterprises/{own}/access-log", owner=own),
        "POST /v1/subscriptions": Call(
            "/v1/subscriptions", json={"url": f"http://127.0.0.1:9/hook{n}", "kinds": ["listed"]}
        ),
        "GET /v1/subscriptions": Call("/v1/subscriptions"),
        "POST /v1/subscriptions/{subscription_id}/replay": Call(
            f"/v1/subscriptions/{w.subscription_id}/replay", json={"after": 0}
        ),
        "DELETE /v1/subscriptions/{subscription_id}": Call(f"/v1/subscriptions/{w.subscription_id}"),
        "POST /v1/enterprises/{uscc}/standards": Call(
            f"/v1/enterprises/{own}/standards", owner=own, json=standard_body(f"Q/AQCS {100 + n:04d}S-2026")
        ),
        "GET /v1/standards": Call("/v1/standards", params={"q": "纯牛奶"}),
        "GET /v1/standards/mandatory-values": Call("/v1/standards/mandatory-values"),
        "GET /v1/standards/uncorrected": Call("/v1/standards/uncorrected"),
        "GET /v1/standards/{standard_id}": Call(f"/v1/standards/{w.standard_id}"),
        "GET /v1/standards/{standard_id}/document": Call(f"/v1/standards/{w.standard_id}/document"),
        "GET /v1/standards/{standard_id}/versions/{version}": Call(
            f"/v1/standards/{w.standard_id}/versions/1"
        ),
        "GET /v1/standards/{standard_id}/versions/{version}/document": Call(
            f"/v1/standards/{w.standard_id}/versions/1/document"
        ),
        "POST /v1/standards/{standard_id}/revisions": Call(
            f"/v1/standards/{w.standard_id}/revisions",
            owner=own,
            json=standard_body("Q/AQCS 0001S-2026", revision_note=f"矩阵修订{n}"),
        ),
        "POST /v1/standards/{standard_id}/withdrawal": Call(
            f"/v1/standards/{w.withdrawable[n]}/withdrawal", owner=own, json={"reason": f"矩阵撤销{n}"}
        ),
        "POST /v1/standards/{standard_id}/flags": Call(
            f"/v1/standards/{w.standard_id}/flags",
            owner=own,
            json={"finding": "under_review", "reason": f"矩阵核查{n}"},
        ),
        "POST /v1/standards/samples": Call("/v1/standards/samples", json={"n": 1}),
        "GET /v1/standards/samples/{sample_id}": Call(f"/v1/standards/samples/{w.sample_id}"),
        "GET /v1/standards/samples/{sample_id}/candidates": Call(
            f"/v1/standards/samples/{w.drawn_sample_id}/candidates"
        ),
        "POST /v1/standards/samples/{sample_id}/draw": Call(f"/v1/standards/samples/{w.sample_id}/draw"),
        "GET /v1/risk-classes": Call("/v1/risk-classes", params={"class": "A"}),
        "GET /v1/risk-classes/{uscc}": Call(f"/v1/risk-classes/{own}", owner=own),
        "GET /v1/supervision/catalogue": Call("/v1/supervision/catalogue"),
        "POST /v1/inspectors": Call(
            "/v1/inspectors", json={"name": f"矩阵检查员{n}", "badge_no": f"MX-{n}", "region": "45"}
        ),
        "GET /v1/inspectors": Call("/v1/inspectors"),
        "POST /v1/inspection-plans": Call(
            "/v1/inspection-plans",
            json={
                "title": f"矩阵抽查{n}",
                "authority": "南宁市市场监督管理局",
                "period_start": "2026-11-20",
                "period_end": "2026-12-31",
                "inspector_pool": w.inspectors[:2],
            },
        ),
        "GET /v1/inspection-plans": Call("/v1/inspection-plans"),
        "GET /v1/inspection-plans/{plan_id}": Call(f"/v1/inspection-plans/{w.drawn_plan}"),
        "POST /v1/inspection-plans/{plan_id}/approval": Call(f"/v1/inspection-plans/{w.draft_plan}/approval"),
        "POST /v1/inspection-plans/{plan_id}/draw": Call(f"/v1/inspection-plans/{w.approved_plan}/draw"),
        "GET /v1/inspection-plans/{plan_id}/candidates": Call(
            f"/v1/inspection-plans/{w.drawn_plan}/candidates"
        ),
        "GET /v1/inspection-plans/{plan_id}/results": Call(f"/v1/inspection-plans/{w.drawn_plan}/results"),
        "GET /v1/inspection-tasks": Call("/v1/inspection-tasks", params={"plan_id": w.drawn_plan}),
        "GET /v1/inspection-tasks/{task_id}": Call(f"/v1/inspection-tasks/{w.task_id}"),
        "POST /v1/inspection-tasks/{task_id}/results": Call(
            f"/v1/inspection-tasks/{w.task_id}/results", json={"step": "sampled", "sample_ref": f"MX-{n}"}
        ),
        "GET /v1/warnings": Call("/v1/warnings"),
        "GET /v1/warnings/{warning_id}": Call(f"/v1/warnings/{w.open_warning}"),
        "POST /v1/warnings/{warning_id}/transitions": Call(
            f"/v1/warnings/{w.open_warning}/transitions", json={"action": "assess", "note": "研判"}
        ),
        "POST /v1/warnings/{warning_id}/notices": Call(
            f"/v1/warnings/{w.assessed_warning}/notices",
            json={
                "authority": "南宁市市场监督管理局",
                "title_zh": f"提示{n}",
                "body_zh": "注意。",
                "title_en": f"Notice {n}",
                "body_en": "Take care.",
            },
        ),
        "POST /v1/warnings/{warning_id}/directed-plan": Call(
            f"/v1/warnings/{w.assessed_warning}/directed-plan",
            json={"authority": "南宁市市场监督管理局", "inspector_pool": w.inspectors[4:]},
        ),
        "GET /v1/risk-notices": Call("/v1/risk-notices"),
        "GET /v1/risk-notices/{notice_id}": Call(f"/v1/risk-notices/{w.notice_id}"),
        "POST /v1/signal-runs": Call("/v1/signal-runs"),
        "GET /risk-notices": Call("/risk-notices"),
        "GET /inspections/{plan_id}": Call(f"/inspections/{w.drawn_plan}"),
        "POST /v1/company-prefixes": Call(
            "/v1/company-prefixes",
            json={"prefix": f"69088{n:02d}", "uscc": own, "registered_on": "2026-01-01"},
        ),
        "GET /v1/company-prefixes": Call("/v1/company-prefixes"),
        "GET /v1/company-prefixes/{prefix}": Call(f"/v1/company-prefixes/{w.prefix}"),
        "POST /v1/company-prefixes/{prefix}/transitions": Call(
            f"/v1/company-prefixes/{w.prefix}/transitions",
            json={"action": "renew", "valid_until": "2030-01-01"},
        ),
        "POST /v1/enterprises/{uscc}/products": Call(
            f"/v1/enterprises/{own}/products",
            owner=own,
            json={"gtin": gtin_of(f"6907777{n + 1:05d}"), "name": f"矩阵产品{n}"},
        ),
        "GET /v1/enterprises/{uscc}/products": Call(f"/v1/enterprises/{own}/products", owner=own),
        "GET /v1/products/{gtin}": Call(f"/v1/products/{w.gtin}"),
        "GET /v1/products/{gtin}/trace": Call(f"/v1/products/{w.gtin}/trace"),
        "POST /v1/products:batch": Call("/v1/products:batch", json={"gtins": [w.gtin, "123"]}),
        "GET /v1/failed-products": Call("/v1/failed-products"),
        "GET /v1/recalls": Call("/v1/recalls"),
        "GET /v1/audit": Call("/v1/audit"),
        "GET /v1/audit/head": Call("/v1/audit/head"),
        "GET /": Call("/"),
        "GET /search": Call("/search", params={"q": "安全测试"}),
        "GET /enterprises/{code}": Call(f"/enterprises/{own}", owner=own),
        "GET /lists/{name}": Call("/lists/black"),
        "GET /complaints/new": Call("/complaints/new", params={"uscc": own}),
        "POST /complaints": Call("/complaints", data={"kind": "complaint"}),
        "GET /track": Call("/track"),
        "GET /products": Call("/products", params={"gtin": w.gtin}),
        "GET /products/{gtin}": Call(f"/products/{w.gtin}"),
        "GET /failed-products": Call("/failed-products"),
        "GET /recalls": Call("/recalls"),
        "GET /static/portal.css": Call("/static/portal.css"),
        "POST /v1/enterprises/{uscc}/credit-reports": Call(
            f"/v1/enterprises/{own}/credit-reports", owner=own, json={}
        ),
        "GET /v1/credit-reports/{number}": Call(f"/v1/credit-reports/{w.report_number}"),
        "GET /v1/credit-reports/{number}/pdf": Call(f"/v1/credit-reports/{w.report_number}/pdf", owner=own),
        "GET /v1/credit-report-keys": Call("/v1/credit-report-keys"),
        "GET /v1/enterprises/{uscc}/measures": Call(
            f"/v1/enterprises/{own}/measures", owner=own, params={"use": "government_procurement"}
        ),
        "GET /v1/measures-catalogue": Call("/v1/measures-catalogue"),
        "GET /reports": Call("/reports", params={"number": w.report_number}),
        "GET /reports/{number}": Call(f"/reports/{w.report_number}"),
        "POST /reports/verify": Call("/reports/verify", data={"file": ""}),
        **CONSOLE_AUTH_CALLS,
        **registry_console_calls(w, n),
    }


def registry_console_calls(w: RegistryWorld, n: int) -> dict[str, Call]:
    """The enterprise's and the regulator's console pages (a session cookie per caller)."""
    own = w.own
    declaration = {
        "number": f"Q/AQCS {200 + n:04d}S-2026",
        "title": "矩阵纯牛奶",
        "type": "product",
        "products": "纯牛奶",
        "indicators": "蛋白质 | >= | 3.1 | g/100g | GB 5009.5\n非脂乳固体 | >= | 8.1 | g/100g | GB 5413.39",
        "implemented_on": "2026-12-01",
    }
    return {
        "GET /console/": Call("/console/", owner=own),
        "GET /console/notices": Call("/console/notices", owner=own),
        "GET /console/notices/{entry_id}": Call(f"/console/notices/{w.listed_entry}", owner=own),
        "POST /console/notices/{entry_id}/statements": Call(
            f"/console/notices/{w.served_entry}/statements", owner=w.served, data={"text": f"控制台陈述{n}"}
        ),
        "POST /console/notices/{entry_id}/repair": Call(
            f"/console/notices/{w.repairable_entry}/repair",
            owner=w.repairable,
            data={"evidence": "整改报告附后", "penalty_fulfilled": "1", "harm_removed": "1"},
        ),
        "GET /console/access-log": Call("/console/access-log", owner=own),
        "GET /console/declarations": Call("/console/declarations", owner=own),
        "GET /console/declarations/new": Call("/console/declarations/new", owner=own),
        "POST /console/declarations": Call("/console/declarations", owner=own, data=declaration),
        "GET /console/declarations/{standard_id}": Call(f"/console/declarations/{w.standard_id}", owner=own),
        "POST /console/declarations/{standard_id}/revisions": Call(
            f"/console/declarations/{w.standard_id}/revisions",
            owner=own,
            data={**declaration, "number": "Q/AQCS 0001S-2026", "revision_note": f"控制台修订{n}"},
        ),
        "POST /console/declarations/{standard_id}/withdrawal": Call(
            f"/console/declarations/{w.withdrawable[n]}/withdrawal",
            owner=own,
            data={"reason": f"控制台撤销{n}"},
        ),
        "GET /console/enterprises": Call("/console/enterprises", params={"q": "安全测试"}),
        "GET /console/enterprises/{uscc}": Call(f"/console/enterprises/{own}", owner=own),
        "POST /console/enterprises/{uscc}/credit-events": Call(
            f"/console/enterprises/{own}/credit-events",
            owner=own,
            data={
                "kind": "spot_check_failed",
                "severity": "minor",
                "authority": "南宁市市场监督管理局",
                "source_ref": f"控制台〔2026〕{n}号",
                "occurred_on": "2026-11-10",
            },
        ),
        "POST /console/credit-events/{event_id}/revocation": Call(
            f"/console/credit-events/{w.event_id}/revocation", owner=own, data={"reason": "控制台撤销"}
        ),
        "POST /console/list-entries/{entry_id}/transitions": Call(
            f"/console/list-entries/{w.proposed_entry}/transitions",
            owner=w.proposed,
            data={"action": "cancel", "note": "控制台撤销拟列入"},
        ),
        "POST /console/enterprises/{uscc}/list-entries": Call(
            f"/console/enterprises/{w.fresh}/list-entries",
            owner=w.fresh,
            data={
                "list": "black",
                "reason": "控制台拟列入",
                "legal_basis": "《市场监督管理严重违法失信名单管理办法》第二条",
                "decision_no": f"控制台罚〔2026〕{n}号",
                "authority": "南宁市市场监督管理局",
                "authority_division": "450100",
            },
        ),
        "POST /console/list-entries/{entry_id}/statements/{statement_id}/reply": Call(
            f"/console/list-entries/{w.served_entry}/statements/{w.statement_id}/reply",
            owner=w.served,
            data={"reply": "控制台答复"},
        ),
        "GET /console/repairs": Call("/console/repairs"),
        "POST /console/repairs/{application_id}/acceptance": Call(
            f"/console/repairs/{w.application_id}/acceptance", owner=own, data={"decision": "accept"}
        ),
        "POST /console/repairs/{application_id}/decision": Call(
            f"/console/repairs/{w.application_id}/decision",
            owner=own,
            data={"decision": "reject", "reasons": "整改证明不足"},
        ),
        "GET /console/audit": Call("/console/audit"),
        "POST /console/enterprises": Call(
            "/console/enterprises", data={"uscc": code(160 + n), "name": f"控制台登记企业{n}"}
        ),
        "POST /console/enterprises/{uscc}/details": Call(
            f"/console/enterprises/{own}/details", owner=own, data={"name": "安全测试企业有限公司"}
        ),
        "GET /console/standards": Call("/console/standards", params={"q": "纯牛奶"}),
        "GET /console/standards/{standard_id}": Call(f"/console/standards/{w.standard_id}"),
        "POST /console/standards/{standard_id}/findings": Call(
            f"/console/standards/{w.standard_id}/findings",
            data={"finding": "under_review", "reason": f"控制台核查{n}"},
        ),
        "GET /console/warnings": Call("/console/warnings", params={"status": "open"}),
        "GET /console/warnings/{warning_id}": Call(f"/console/warnings/{w.open_warning}"),
        "POST /console/warnings/{warning_id}/transitions": Call(
            f"/console/warnings/{w.assessed_warning}/transitions",
            data={"action": "dispose", "note": "控制台处置", "measures": "约谈企业"},
        ),
        "POST /console/warnings/{warning_id}/notices": Call(
            f"/console/warnings/{w.open_warning}/notices",
            data={
                "authority": "南宁市市场监督管理局",
                "title_zh": f"控制台提示{n}",
                "body_zh": "注意。",
                "title_en": f"Console notice {n}",
                "body_en": "Take care.",
            },
        ),
        "POST /console/warnings/{warning_id}/directed-plan": Call(
            f"/console/warnings/{w.open_warning}/directed-plan",
            data={"authority": "南宁市市场监督管理局", "inspector_pool": w.inspectors[4:]},
        ),
        "GET /console/plans": Call("/console/plans"),
        "GET /console/plans/{plan_id}": Call(f"/console/plans/{w.drawn_plan}"),
        "POST /console/plans/{plan_id}/approval": Call(f"/console/plans/{w.draft_plan}/approval", data={}),
        "POST /console/plans/{plan_id}/draw": Call(f"/console/plans/{w.approved_plan}/draw", data={}),
        "GET /console/plans/new": Call("/console/plans/new"),
        "POST /console/plans": Call(
            "/console/plans",
            data={
                "title": f"控制台抽查计划{n}",
                "authority": "南宁市市场监督管理局",
                "period_start": "2026-12-01",
                "period_end": "2026-12-31",
                "inspector_pool": w.inspectors[4:],
            },
        ),
        "GET /console/tasks/{task_id}": Call(f"/console/tasks/{w.task_id}"),
        "POST /console/tasks/{task_id}/results": Call(
            f"/console/tasks/{w.task_id}/results", data={"step": "tested", "result": "pass"}
        ),
        "GET /console/samples": Call("/console/samples"),
        "POST /console/samples": Call("/console/samples", data={"n": "1", "note": f"控制台抽查{n}"}),
        "GET /console/samples/{sample_id}": Call(f"/console/samples/{w.drawn_sample_id}"),
        "POST /console/samples/{sample_id}/draw": Call(f"/console/samples/{w.sample_id}/draw", data={}),
        "GET /console/reports": Call("/console/reports", owner=own),
        "POST /console/reports": Call("/console/reports", owner=own, data={"language": "zh"}),
        "GET /console/reports/{number}": Call(f"/console/reports/{w.report_number}", owner=own),
        "GET /console/reports/{number}/pdf": Call(f"/console/reports/{w.report_number}/pdf", owner=own),
    }


def complaints_calls(w: ComplaintsWorld, role: str, n: int) -> dict[str, Call]:
    case = f"/v1/complaints/{w.complaint_id}"
    return {
        "GET /openapi.json": Call("/openapi.json"),
        "GET /docs": Call("/docs"),
        "GET /docs/oauth2-redirect": Call("/docs/oauth2-redirect"),
        "GET /redoc": Call("/redoc"),
        "GET /healthz": Call("/healthz"),
        "GET /readyz": Call("/readyz"),
        "GET /metrics": Call("/metrics"),
        "POST /v1/complaints": Call(
            "/v1/complaints", json=complaint_body(description=f"矩阵测试第{n}号：牛奶变质，商家拒绝退换。")
        ),
        "GET /v1/complaints/track/{tracking_code}": Call(f"/v1/complaints/track/{w.tracking_code}"),
        "GET /v1/complaints": Call("/v1/complaints"),
        "GET /v1/complaints/{complaint_id}": Call(case),
        "GET /v1/complaints/{complaint_id}/attachments/{attachment_id}": Call(
            f"{case}/attachments/{w.attachment_id}"
        ),
        "POST /v1/complaints/{complaint_id}/transitions": Call(
            f"{case}/transitions", json={"action": "accept"}
        ),
        "POST /v1/complaints/intake": Call(
            "/v1/complaints/intake",
            json=complaint_body(
                description=f"矩阵测试第{n}号：12315平台转来的投诉。", received_at="2026-11-19T10:00:00+08:00"
            ),
        ),
        "PUT /v1/complaints/{complaint_id}/target": Call(f"{case}/target", json={"target_uscc": code(1)}),
        "GET /v1/stats": Call("/v1/stats"),
        "POST /v1/complaints/{complaint_id}/reward": Call(f"{case}/reward", json=outcome_body()),
        "GET /v1/complaints/{complaint_id}/reward": Call(f"/v1/complaints/{w.report_id}/reward"),
        "GET /v1/rewards": Call("/v1/rewards"),
        "POST /v1/rewards/{reward_id}/decision": Call(
            f"/v1/rewards/{w.reward_id}/decision", json={"decision": "approve"}
        ),
        "POST /v1/rewards/{reward_id}/finance": Call(
            f"/v1/rewards/{w.reward_id}/finance", json={"finance_ref": "财〔2026〕1号"}
        ),
        "POST /v1/rewards/{reward_id}/payment": Call(
            f"/v1/rewards/{w.reward_id}/payment", json={"payment_ref": "支付1号"}
        ),
        "POST /v1/rewards/claims": Call(
            "/v1/rewards/claims",
            json={"tracking_code": w.tracking_code, "claim_secret": "AAAA-BBBB-CCCC-DDDD-EEEE"},
        ),
        "GET /v1/reward-rules": Call("/v1/reward-rules"),
        "GET /v1/notifications": Call("/v1/notifications"),
        "POST /v1/notifications/{notification_id}/retry": Call("/v1/notifications/999999/retry"),
        "PUT /v1/complaints/{complaint_id}/respondent-contact": Call(
            f"{case}/respondent-contact", json={"phone": "13700137000"}
        ),
        "GET /v1/aggregates/complaints": Call(
            "/v1/aggregates/complaints", params={"from": "2026-11-01", "to": "2026-11-30"}
        ),
        **CONSOLE_AUTH_CALLS,
        "GET /console/": Call("/console/", params={"status": "received"}),
        "GET /console/cases/{complaint_id}": Call(f"/console/cases/{w.complaint_id}"),
        "POST /console/cases/{complaint_id}/transitions": Call(
            f"/console/cases/{w.complaint_id}/transitions", data={"action": "pause", "note": "矩阵送检"}
        ),
        "GET /console/stats": Call("/console/stats"),
    }


# Sign-in and sign-out: the same routes on both services.
CONSOLE_AUTH_CALLS = {
    "GET /console/login": Call("/console/login"),
    "GET /console/login/start": Call("/console/login/start"),
    "GET /console/callback": Call("/console/callback", params={"code": "x", "state": "y"}),
    "POST /console/logout": Call("/console/logout", data={}),
    "GET /console/signed-out": Call("/console/signed-out"),
    "GET /console/dev-login": Call("/console/dev-login"),
    "POST /console/dev-login": Call("/console/dev-login", data={"role": "regulator"}),
    "GET /console/static/console.css": Call("/console/static/console.css"),
}


async def console_headers(
    app: FastAPI, role: str, call: Call
) -> tuple[dict[str, str], dict[str, str] | None]:
    """A console caller's cookie, and the form with the session's CSRF token added."""
    found = await console_session(app, role, call.owner)
    if found is None:
        return {}, call.data
    token, record = found
    data = {**call.data, "csrf": record.csrf} if call.data is not None else None
    return {"Cookie": f"{COOKIE}={token}"}, data


async def check_matrix(
    client: httpx.AsyncClient,
    app: FastAPI,
    tokens: Tokens,
    *,
    service: str,
    calls: Callable[[str, int], dict[str, Call]],
) -> None:
    expected = MATRIX[service]
    routes = app_routes(app)
    assert routes - expected.keys() == set(), f"routes without an entry in access_matrix.toml [{service}]"
    assert expected.keys() - routes == set(), f"entries in access_matrix.toml [{service}] for no route"
    wrong = []
    for n, role in enumerate(ROLES):
        plan = calls(role, n)
        assert plan.keys() == routes, "a route without a request in this test"
        for route, want in expected.items():
            assert want.keys() == set(ROLES), f"{service} {route}: one status per caller"
            call = plan[route]
            data = call.data
            if call.path.startswith("/console/"):
                headers, data = await console_headers(app, role, call)
            else:
                headers = {**call.headers, **role_headers(tokens, role, audience=service, owner=call.owner)}
            client.cookies.clear()
            response = await client.request(
                route.split()[0],
                call.path,
                headers=headers,
                json=call.json,
                data=data,
                params=call.params,
            )
            if response.status_code != want[role]:
                wrong.append(
                    f"{route} as {role}: {response.status_code} (want {want[role]}) {response.text[:200]}"
                )
            if call.path.startswith("/console/"):
                if response.status_code == 403:  # a page for people, never a token challenge
                    assert response.headers["content-type"].startswith("text/html"), f"{route} as {role}"
            elif response.status_code in (401, 403):
                assert response.headers["content-type"] == PROBLEM, f"{route} as {role}"
            if response.status_code == 401:
                assert response.headers["www-authenticate"] == "Bearer", f"{route} as {role}"
    assert not wrong, "\n".join(wrong)


async def test_registry_access_matrix(
    registry: httpx.AsyncClient, registry_app: FastAPI, registry_world: RegistryWorld, tokens: Tokens
) -> None:
    await check_matrix(
        registry,
        registry_app,
        tokens,
        service="registry",
        calls=lambda role, n: registry_calls(registry_world, role, n),
    )


async def test_complaints_access_matrix(
    complaints: httpx.AsyncClient, complaints_app: FastAPI, complaints_world: ComplaintsWorld, tokens: Tokens
) -> None:
    await check_matrix(
        complaints,
        complaints_app,
        tokens,
        service="complaints",
        calls=lambda role, n: complaints_calls(complaints_world, role, n),
    )


async def test_an_enterprise_sees_its_own_full_record_and_only_the_public_view_of_others(
    registry: httpx.AsyncClient, registry_world: RegistryWorld, tokens: Tokens
) -> None:
    url = f"/v1/enterprises/{registry_world.own}"
    full = {"score", "address", "created_by", "check_override_reason"}
    for role, sees_full in [
        ("none", False),
        ("regulator", True),
        ("own", True),
        ("other", False),
        ("partner", False),
        ("service", False),
    ]:
        headers = role_headers(tokens, role, audience="registry", owner=registry_world.own)
        body = (await registry.get(url, headers=headers)).json()
        assert (full <= body.keys()) is sees_full, role
        assert sees_full or not (full & body.keys()), role
