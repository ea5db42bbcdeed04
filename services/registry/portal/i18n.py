"""Labels in Chinese (first) and English, and which of the two a request gets.

`?lang=zh|en` wins; otherwise the best of Accept-Language; otherwise Chinese.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from fastapi import Request

from services.common.workdays import CHINA
from services.registry.portal.product_messages import PRODUCT_MESSAGES
from services.registry.portal.report_messages import REPORT_MESSAGES

LANGUAGES = ("zh", "en")
DEFAULT = "zh"
HTML_LANG = {"zh": "zh-CN", "en": "en"}
DIVISIONS_FILE = Path(__file__).parents[1] / "enterprises" / "divisions.toml"

MESSAGES: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    **PRODUCT_MESSAGES,
    **REPORT_MESSAGES,
    "site_name": ("质量信用信息公示", "Quality-credit disclosure"),
    "site_tagline": (
        "企业质量信用等级、严重违法失信名单与守信激励名单公示",
        "Enterprise quality-credit grades, the black list and the red list, open to everyone",
    ),
    "skip_to_content": ("跳到正文", "Skip to content"),
    "nav_home": ("首页", "Home"),
    "nav_black": ("严重违法失信名单", "Black list"),
    "nav_red": ("守信激励名单", "Red list"),
    "nav_complain": ("投诉举报", "Complain or report"),
    "nav_track": ("办理进度查询", "Track a case"),
    "nav_label": ("主导航", "Main navigation"),
    "language": ("语言", "Language"),
    "footer_time": ("页面时间均为北京时间（UTC+8）。", "Times are Beijing time (UTC+8)."),
    "footer_hotline": (
        "市场监管投诉举报热线：12315",
        "Market regulation complaints hotline: 12315",
    ),
    "footer_api": ("开放接口文档", "Open API documentation"),
    # home and search
    "home_title": ("查询企业质量信用", "Look up an enterprise's quality credit"),
    "search_label": ("统一社会信用代码或企业名称", "Unified social credit code or enterprise name"),
    "search_hint": (
        "输入 18 位统一社会信用代码，或企业名称中的几个字。",
        "Enter the 18-character unified social credit code, or part of the enterprise's name.",
    ),
    "search_button": ("查询", "Search"),
    "search_results": ("查询结果", "Search results"),
    "search_results_for": ("“{q}”的查询结果", "Results for “{q}”"),
    "search_none": ("没有找到名称包含“{q}”的企业。", "No enterprise's name contains “{q}”."),
    "search_code_none": (
        "没有找到统一社会信用代码为 {q} 的企业。",
        "No enterprise is registered under the code {q}.",
    ),
    "search_empty": ("请输入代码或名称。", "Please enter a code or a name."),
    "next_page": ("下一页", "Next page"),
    "first_page": ("第一页", "First page"),
    "home_lists": ("名单公示", "Public lists"),
    "home_black_text": (
        "因严重违法失信被列入名单、仍在公示期内的企业。",
        "Enterprises listed for serious dishonesty, within their publication term.",
    ),
    "home_red_text": (
        "信用良好、受到守信激励的企业。",
        "Enterprises in good standing, listed as trustworthy.",
    ),
    "home_complain": ("投诉与举报", "Complaints and reports"),
    "home_complain_text": (
        "对企业的产品或服务提出投诉，或举报违法行为；提交后凭查询码查看办理进度。",
        "Complain about a product or service, or report a violation; "
        "a tracking code lets you follow the case.",
    ),
    # enterprise page
    "uscc": ("统一社会信用代码", "Unified social credit code"),
    "name": ("企业名称", "Name"),
    "region": ("所在地区", "Region"),
    "entity_type": ("登记管理部门与机构类别", "Registration authority and entity type"),
    "status": ("登记状态", "Status"),
    "status_active": ("存续", "active"),
    "status_deregistered": ("注销", "deregistered"),
    "grade_section": ("信用等级", "Credit grade"),
    "grade": ("等级", "Grade"),
    "score": ("信用分", "Score"),
    "rule_version": ("评分规则版本", "Rules version"),
    "as_of": ("评定时间", "As of"),
    "explanation": ("等级说明", "Why this grade"),
    "explain_clean": (
        "依据评分规则 {version}，起始分为 {base} 分。该企业没有计入评分的信用记录，得分 {score} 分，"
        "信用等级 {grade}（{label}）。",
        "Under rules {version} every enterprise starts at {base}. This enterprise has no credit events "
        "that count, so it scores {score}: grade {grade} ({label}).",
    ),
    "explain_events": (
        "依据评分规则 {version}，起始分为 {base} 分；下列 {n} 条有效信用记录合计 {total} 分，"
        "得分 {score} 分，信用等级 {grade}（{label}）。",
        "Under rules {version} every enterprise starts at {base}; the {n} credit event(s) below add up to "
        "{total}, so it scores {score}: grade {grade} ({label}).",
    ),
    "explain_clamped": (
        "得分限定在 {min} 至 {max} 分之间。",
        "Scores are kept between {min} and {max}.",
    ),
    "grade_scale": ("等级划分", "Grade scale"),
    "grade_floor": ("{floor} 分及以上", "{floor} and above"),
    "event_kind": ("记录类型", "Kind"),
    "event_severity": ("程度", "Severity"),
    "event_authority": ("作出机关", "Authority"),
    "event_ref": ("文书编号", "Reference"),
    "event_date": ("发生日期", "Date"),
    "event_expires": ("有效至", "Counts until"),
    "event_effect": ("分值", "Points"),
    "event_ref_complaint": ("投诉举报案件", "complaint case"),
    "no_expiry": ("长期", "no end date"),
    "lists_section": ("名单状态", "List status"),
    "lists_none": (
        "该企业目前不在严重违法失信名单或守信激励名单上。",
        "This enterprise is on neither the black list nor the red list.",
    ),
    "list_reason": ("列入事由", "Reason"),
    "list_basis": ("依据", "Legal basis"),
    "list_decision": ("决定文书号", "Decision number"),
    "list_authority": ("作出决定机关", "Authority"),
    "list_decided": ("决定日期", "Decided"),
    "list_listed": ("列入日期", "Listed"),
    "list_until": ("公示截止", "Published until"),
    "list_until_none": ("无固定期限", "no fixed term"),
    "standards_section": ("企业标准自我声明公开", "Self-declared standards"),
    "standards_none": ("该企业尚未公开自我声明的标准。", "This enterprise has declared no standards."),
    "standard_number": ("标准编号", "Number"),
    "standard_title": ("标准名称", "Title"),
    "standard_products": ("产品或服务", "Products or services"),
    "standard_implemented": ("实施日期", "In force from"),
    "standard_status": ("状态", "Status"),
    "standard_text": ("标准文本", "Text"),
    "standard_published": ("公开中", "published"),
    "standard_withdrawn": ("已废止", "withdrawn"),
    "standard_under_review": ("核查中", "under review"),
    "standard_non_compliant": ("经核查不符合", "found non-compliant"),
    "standard_no_text": ("未公开文本", "text not published"),
    "standards_more": ("更多声明见开放接口。", "More declarations through the open API."),
    "history_section": ("信用等级变化", "Grade history"),
    "history_chart_title": ("{name}信用分变化", "Score history of {name}"),
    "history_chart_desc": (
        "自 {start} 至 {end}，信用分从 {first} 变为 {last}，共 {n} 次变化。",
        "From {start} to {end} the score went from {first} to {last} in {n} change(s).",
    ),
    "history_table": ("变化明细", "Changes in detail"),
    "history_when": ("时间", "When"),
    "history_change": ("变化", "Change"),
    "history_cause": ("原因", "Cause"),
    "file_about": ("投诉或举报该企业", "Complain about or report this enterprise"),
    "not_found_title": ("未找到", "Not found"),
    "enterprise_not_found": (
        "没有找到统一社会信用代码为 {code} 的企业。",
        "No enterprise is registered under the code {code}.",
    ),
    "code_invalid": (
        "“{code}”不是有效的统一社会信用代码：{reason}",
        "“{code}” is not a valid unified social credit code: {reason}",
    ),
    "back_home": ("返回首页", "Back to the home page"),
    # lists
    "list_black_title": ("严重违法失信名单", "Black list (serious dishonesty)"),
    "list_red_title": ("守信激励名单", "Red list (trustworthy enterprises)"),
    "list_black_intro": (
        "以下企业因严重违法失信行为被市场监督管理部门列入名单，在公示期内向社会公示。",
        "These enterprises were listed by market regulators for serious dishonesty "
        "and are published for the term of the listing.",
    ),
    "list_red_intro": (
        "以下企业信用良好，被列入守信激励名单。",
        "These enterprises are in good standing and listed as trustworthy.",
    ),
    "filter": ("筛选", "Filter"),
    "filter_region": ("地区", "Region"),
    "filter_region_all": ("全部地区", "All regions"),
    "filter_authority": ("作出决定机关（包含）", "Authority (contains)"),
    "filter_button": ("筛选", "Apply"),
    "list_empty": ("没有符合条件的名单记录。", "No entries match."),
    "list_count": ("本页 {n} 条", "{n} on this page"),
    # complaints
    "complain_title": ("投诉举报", "File a complaint or a report"),
    "complain_intro": (
        "投诉：您本人与经营者之间的消费纠纷，需留下姓名和联系方式。举报：反映企业的违法行为，可以匿名。"
        "您的个人信息仅供办理机构使用，不会公开。",
        "A complaint is your own dispute with a business and needs your name and a phone number or email. "
        "A report tells us about a violation and may be anonymous. Your personal details are seen only "
        "by the officers handling the case and are never published.",
    ),
    "kind": ("类型", "Type"),
    "kind_complaint": ("投诉（本人消费纠纷）", "Complaint (your own dispute)"),
    "kind_report": ("举报（违法行为线索）", "Report (a violation)"),
    "target_legend": ("被投诉举报的企业", "The enterprise concerned"),
    "target_uscc": ("被投诉举报企业的统一社会信用代码", "Code of the enterprise concerned"),
    "target_name": ("被投诉举报企业名称", "Name of the enterprise concerned"),
    "target_hint": ("代码和名称至少填写一项。", "Give the code, the name, or both."),
    "category": ("问题类别", "Category"),
    "product": ("涉及的产品或服务（选填）", "Product or service (optional)"),
    "description": ("情况描述", "What happened"),
    "description_hint": (
        "请写明时间、地点、经过和诉求，至少 5 个字。",
        "Say when, where, what happened and what you ask for (at least 5 characters).",
    ),
    "reporter": ("您的信息", "About you"),
    "reporter_hint": (
        "投诉必须填写姓名，并至少填写电话或电子邮箱之一；举报可以不填。",
        "A complaint needs your name and a phone number or an email; a report may leave these empty.",
    ),
    "reporter_name": ("姓名", "Name"),
    "reporter_phone": ("电话", "Phone"),
    "reporter_email": ("电子邮箱", "Email"),
    "submit": ("提交", "Submit"),
    "form_errors": ("请修改以下问题后重新提交：", "Please correct the following and submit again:"),
    "err_required": ("必填。", "Required."),
    "err_target": ("请填写企业代码或企业名称。", "Give the enterprise's code or its name."),
    "err_description": ("请至少写 5 个字。", "Please write at least 5 characters."),
    "err_reporter": (
        "投诉需要填写姓名，以及电话或电子邮箱。",
        "A complaint needs your name, and a phone number or an email.",
    ),
    "err_too_long": ("内容过长（最多 {n} 个字）。", "Too long (at most {n} characters)."),
    "err_kind": ("请选择投诉或举报。", "Choose complaint or report."),
    "err_category": ("请从列表中选择问题类别。", "Choose a category from the list."),
    "err_service": ("办理系统拒绝了此项：{message}", "The case system refused this: {message}"),
    "filed_title": ("已提交", "Submitted"),
    "filed_text": (
        "您的{kind}已提交，请记下查询码，凭它查看办理进度：",
        "Your {kind} has been received. Keep this tracking code to follow the case:",
    ),
    "filed_kind_complaint": ("投诉", "complaint"),
    "filed_kind_report": ("举报", "report"),
    "filed_accept_by": ("受理决定期限", "Decision on acceptance due by"),
    "filed_claim_text": (
        "如举报查证属实并符合奖励条件，需凭查询码和下面的领奖密码申领奖励。密码只显示这一次，请妥善保存：",
        "If the report leads to a reward, you claim it with the tracking code and this claim secret. It is"
        " shown only this once; keep it safe:",
    ),
    "track_this": ("查看办理进度", "Track this case"),
    "unavailable_title": ("暂时无法办理", "Temporarily unavailable"),
    "unavailable_text": (
        "投诉举报系统暂时无法连接，请稍后再试，或拨打 12315。",
        "The complaints system cannot be reached right now. Please try again later, or call 12315.",
    ),
    "too_many_title": ("请求过于频繁", "Too many requests"),
    "too_many_text": ("请在 {seconds} 秒后再试。", "Please try again in {seconds} seconds."),
    # tracking
    "track_title": ("办理进度查询", "Track a case"),
    "track_label": ("查询码", "Tracking code"),
    "track_hint": ("例如 K7QM-2XWD-9HCT-P4RA", "For example K7QM-2XWD-9HCT-P4RA"),
    "track_button": ("查询", "Track"),
    "track_not_found": ("没有找到该查询码对应的案件。", "No case has this tracking code."),
    "track_invalid": (
        "查询码由字母和数字组成，如 K7QM-2XWD-9HCT-P4RA。",
        "A tracking code is letters and digits, like K7QM-2XWD-9HCT-P4RA.",
    ),
    "track_result": ("案件 {code}", "Case {code}"),
    "track_kind": ("类型", "Type"),
    "track_channel": ("渠道", "Channel"),
    "track_status": ("当前状态", "Status"),
    "track_received": ("接收时间", "Received"),
    "track_accept_by": ("受理决定期限", "Acceptance decision due"),
    "track_resolve_by": ("办结期限", "Conclusion due"),
    "track_extended": ("（已依法延长）", "(extended as the law allows)"),
    "track_outcome": ("处理结果", "Outcome"),
    "track_steps": ("办理经过", "Steps"),
    "track_basis": ("期限依据", "Deadlines set by"),
    "page_error_title": ("出错了", "Something went wrong"),
}

SEVERITIES: dict[str, tuple[str, str]] = {
    "minor": ("轻微", "minor"),
    "major": ("较重", "major"),
    "severe": ("严重", "severe"),
}
# For an award the severity reads as its level (see the rules file).
AWARD_LEVELS: dict[str, tuple[str, str]] = {
    "minor": ("市级", "municipal"),
    "major": ("省级", "provincial"),
    "severe": ("国家级", "national"),
}
CAUSES: dict[str, tuple[str, str]] = {
    "registered": ("登记入库", "registered"),
    "event_recorded": ("新增信用记录", "credit event recorded"),
    "event_revoked": ("信用记录撤销", "credit event revoked"),
    "event_expired": ("信用记录到期", "credit event expired"),
    "rules_changed": ("评分规则更新", "scoring rules changed"),
}
CASE_STATUSES: dict[str, tuple[str, str]] = {
    "received": ("已接收", "received"),
    "accepted": ("已受理", "accepted"),
    "rejected": ("不予受理", "not accepted"),
    "investigating": ("调查处理中", "under investigation"),
    "substantiated": ("经查属实", "substantiated"),
    "unsubstantiated": ("经查不属实", "not substantiated"),
    "closed": ("已办结", "closed"),
}
CHANNELS: dict[str, tuple[str, str]] = {
    "web": ("网上", "online"),
    "phone": ("电话", "phone"),
    "letter": ("信件", "letter"),
    "visit": ("来访", "in person"),
}


@dataclass(frozen=True)
class Locale:
    lang: str
    explicit: bool

    @property
    def html_lang(self) -> str:
        return HTML_LANG[self.lang]

    def pick(self, pair: tuple[str, str]) -> str:
        return pair[LANGUAGES.index(self.lang)]

    def t(self, key: str, **values: object) -> str:
        text = self.pick(MESSAGES[key])
        return text.format(**values) if values else text

    def labelled(self, table: dict[str, tuple[str, str]], key: str) -> str:
        pair = table.get(key)
        return self.pick(pair) if pair else key

    def severity(self, kind: str, severity: str) -> str:
        return self.labelled(AWARD_LEVELS if kind == "award" else SEVERITIES, severity)

    def cause(self, cause: str) -> str:
        return self.labelled(CAUSES, cause)

    def both(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    def date(self, moment: datetime | None) -> str:
        return moment.astimezone(CHINA).strftime("%Y-%m-%d") if moment else ""

    def datetime(self, moment: datetime | None) -> str:
        return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment else ""

    def province(self, division: str) -> str | None:
        entry = provinces().get(division[:2])
        return self.pick(entry) if entry else None


@cache
def provinces() -> dict[str, tuple[str, str]]:
    table = tomllib.loads(DIVISIONS_FILE.read_text(encoding="utf-8"))["provinces"]
    return {code: (str(p["zh"]), str(p["en"])) for code, p in table.items()}


def _accepted(header: str) -> list[tuple[float, str]]:
    ranked = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        # Ties keep the header's order.
        ranked.append((quality, -position, tag.strip().lower()))
    return [(q, tag) for q, _, tag in sorted(ranked, reverse=True)]


def negotiate(request: Request) -> Locale:
    chosen = request.query_params.get("lang", "").lower()
    if chosen in LANGUAGES:
        return Locale(chosen, explicit=True)
    for quality, tag in _accepted(request.headers.get("accept-language", "")):
        if quality <= 0:
            continue
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return Locale(primary, explicit=False)
    return Locale(DEFAULT, explicit=False)
