"""A report's PDF: the signed document laid out in Chinese (or English), with a verification section.

fpdf2 embeds a subset of Noto Sans CJK SC (the `noto-cjk-sans-otc` package ships the font: nothing
is downloaded at run time), so the text is selectable and searchable. The QR code of the public
verification URL is drawn as vector squares (segno gives the matrix). Rendering is CPU work: callers
run it in a thread.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import noto_cjk_sans_otc
import segno
from fpdf import FPDF

# fontTools logs each subsetting step at INFO: a dozen lines per report, none of them news.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT_FILE = Path(noto_cjk_sans_otc.__file__).parent / "NotoSansCJK-Regular.ttc"
FONT_INDEX = 2  # "Noto Sans CJK SC" in the collection (JP 0, KR 1, SC 2, TC 3, HK 4)

LABELS: dict[str, dict[str, str]] = {
    "title": {"zh": "企业质量信用报告", "en": "Enterprise quality-credit report"},
    "number": {"zh": "报告编号", "en": "Report number"},
    "issued_at": {"zh": "出具时间", "en": "Issued at"},
    "valid_until": {"zh": "有效期至", "en": "Valid until"},
    "purpose": {"zh": "用途", "en": "Purpose"},
    "identity": {"zh": "一、企业基本信息", "en": "1. Enterprise"},
    "name": {"zh": "企业名称", "en": "Name"},
    "uscc": {"zh": "统一社会信用代码", "en": "Unified social credit code"},
    "status": {"zh": "登记状态", "en": "Status"},
    "credit": {"zh": "二、信用等级", "en": "2. Credit grade"},
    "grade": {"zh": "信用等级", "en": "Grade"},
    "score": {"zh": "信用分", "en": "Score"},
    "rule_version": {"zh": "评价规则版本", "en": "Rule version"},
    "explanation": {"zh": "等级说明", "en": "Explanation"},
    "no_events_effect": {"zh": "无影响等级的信用事件", "en": "No credit event affects the grade"},
    "risk": {"zh": "三、信用风险分类", "en": "3. Risk class"},
    "risk_class": {"zh": "风险分类", "en": "Risk class"},
    "none": {"zh": "无", "en": "none"},
    "lists": {"zh": "四、名单记录（现行及历史）", "en": "4. List entries (active and past)"},
    "black": {"zh": "严重违法失信名单", "en": "Serious-dishonesty list"},
    "red": {"zh": "守信激励名单", "en": "Red list"},
    "legal_basis": {"zh": "依据", "en": "Legal basis"},
    "decision_no": {"zh": "决定书文号", "en": "Decision number"},
    "listed_at": {"zh": "列入日期", "en": "Listed on"},
    "until": {"zh": "公示截止", "en": "Published until"},
    "removed_at": {"zh": "移出日期", "en": "Removed on"},
    "events": {"zh": "五、近{years}年信用事件", "en": "5. Credit events of the last {years} years"},
    "declarations": {"zh": "六、企业标准自我声明及检查结论", "en": "6. Standards declared and findings"},
    "verification": {"zh": "七、验证信息", "en": "7. Verification"},
    "verify_hint": {
        "zh": "扫描二维码或访问下列地址，输入报告编号或上传本文件即可核验真伪。",
        "en": "Scan the code or open the address below; enter the report number or upload this file.",
    },
    "url": {"zh": "验证地址", "en": "Verification URL"},
    "content_sha256": {"zh": "内容哈希（SHA-256）", "en": "Content hash (SHA-256)"},
    "key_id": {"zh": "签名密钥", "en": "Signing key"},
    "signature": {"zh": "签名（Ed25519）", "en": "Signature (Ed25519)"},
}


def _day(value: str | None) -> str:
    return datetime.fromisoformat(value).date().isoformat() if value else "—"


def _time(value: str) -> str:
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S UTC")


class _Report(FPDF):
    def __init__(self, lang: str) -> None:
        super().__init__(format="A4")
        self.lang = lang
        self.set_auto_page_break(auto=True, margin=15)
        self.add_font("noto", "", str(FONT_FILE), collection_font_number=FONT_INDEX)
        self.set_font("noto", size=10)

    def label(self, key: str, **values: object) -> str:
        return LABELS[key][self.lang].format(**values)

    def heading(self, key: str, **values: object) -> None:
        self.ln(2)
        self.set_font("noto", size=12)
        self.multi_cell(0, 7, self.label(key, **values), new_x="LMARGIN", new_y="NEXT")
        self.set_font("noto", size=10)

    def line_of(self, key: str, value: object) -> None:
        self.multi_cell(0, 5.5, f"{self.label(key)}：{value}", new_x="LMARGIN", new_y="NEXT")

    def text_line(self, text: str, size: float = 10) -> None:
        self.set_font("noto", size=size)
        self.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("noto", size=10)

    def qr(self, url: str, x: float, y: float, size: float) -> None:
        rows = [list(row) for row in segno.make(url, error="m").matrix_iter(scale=1, border=2)]
        cell = size / len(rows)
        self.set_fill_color(0, 0, 0)
        for j, row in enumerate(rows):
            for i, dark in enumerate(row):
                if dark:
                    self.rect(x + i * cell, y + j * cell, cell, cell, style="F")


def render(
    document: dict[str, Any], *, lang: str, url: str, content_sha256: str, key_id: str, signature: str
) -> bytes:
    pdf = _Report(lang)
    record = document["record"]
    pdf.set_title(document["number"])
    pdf.set_subject(f"qcr-credit-report {document['number']} sha256={content_sha256}")
    pdf.set_creation_date(datetime.fromisoformat(document["issued_at"]))
    pdf.set_creator("quality-credit registry")
    pdf.add_page()
    pdf.set_font("noto", size=16)
    pdf.cell(0, 10, pdf.label("title"), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("noto", size=10)
    pdf.line_of("number", document["number"])
    pdf.line_of("issued_at", _time(document["issued_at"]))
    pdf.line_of("valid_until", _time(document["valid_until"]))
    if document.get("purpose"):
        pdf.line_of("purpose", document["purpose"])

    enterprise = record["enterprise"]
    pdf.heading("identity")
    pdf.line_of("name", enterprise["name"])
    pdf.line_of("uscc", enterprise["uscc"])
    pdf.line_of("status", enterprise["status"])

    c = record["credit"]
    pdf.heading("credit")
    pdf.line_of("grade", f"{c['grade']}（{c['grade_label'][lang]}）")
    pdf.line_of("score", c["score"])
    pdf.line_of("rule_version", c["rule_version"])
    pdf.text_line(pdf.label("explanation") + "：")
    for item in c["explanation"] or [None]:
        if item is None:
            pdf.text_line("  " + pdf.label("no_events_effect"), 9)
            continue
        pdf.text_line(
            f"  · {item['kind']} / {item['severity']} / {item['authority']} / {item['source_ref']} / "
            f"{_day(item['occurred_at'])}: {item['effect']:+d} — {item['reason']}",
            9,
        )

    pdf.heading("risk")
    risk = record["risk_class"]
    pdf.line_of("risk_class", risk["class"] if risk else pdf.label("none"))
    for part in (risk or {}).get("explanation", []):
        pdf.text_line("  · " + ", ".join(f"{k}={v}" for k, v in part.items()), 9)

    pdf.heading("lists")
    if not record["list_entries"]:
        pdf.text_line(pdf.label("none"))
    for e in record["list_entries"]:
        pdf.text_line(f"· {pdf.label(e['list'])} — {e['status']} — {e['authority'] or ''}")
        pdf.text_line(f"  {e['reason']}", 9)
        pdf.text_line(f"  {pdf.label('legal_basis')}：{e['legal_basis']}", 9)
        pdf.text_line(f"  {pdf.label('decision_no')}：{e['decision_no']}", 9)
        pdf.text_line(
            f"  {pdf.label('listed_at')}：{_day(e['listed_at'])}  {pdf.label('until')}：{_day(e['until'])}  "
            f"{pdf.label('removed_at')}：{_day(e['removed_at'])}",
            9,
        )

    pdf.heading("events", years=record["credit_events_years"])
    if not record["credit_events"]:
        pdf.text_line(pdf.label("none"))
    for ev in record["credit_events"]:
        pdf.text_line(
            f"· {_day(ev['occurred_at'])} {ev['kind']} / {ev['severity']} / {ev['status']} — "
            f"{ev['authority']} — {ev['source_ref']}",
            9,
        )

    pdf.heading("declarations")
    if not record["declarations"]:
        pdf.text_line(pdf.label("none"))
    for d in record["declarations"]:
        pdf.text_line(f"· {d['number']} {d['title']} — {d['status']} — {_day(d['published_at'])}", 9)
        for f in d["findings"]:
            pdf.text_line(f"    {_day(f['at'])} {f['finding']}: {f['reason']}", 9)

    if pdf.get_y() > pdf.h - 90:
        pdf.add_page()
    pdf.heading("verification")
    top = pdf.get_y()
    pdf.qr(url, pdf.l_margin, top, 32)
    pdf.set_left_margin(pdf.l_margin + 36)
    pdf.set_xy(pdf.l_margin, top)
    pdf.text_line(pdf.label("verify_hint"), 9)
    pdf.line_of("url", url)
    pdf.line_of("number", document["number"])
    pdf.set_left_margin(pdf.l_margin - 36)
    pdf.set_y(max(pdf.get_y(), top + 34))
    pdf.line_of("content_sha256", content_sha256)
    pdf.line_of("key_id", key_id)
    pdf.text_line(f"{pdf.label('signature')}：", 10)
    pdf.text_line(signature, 8)
    return bytes(pdf.output())
