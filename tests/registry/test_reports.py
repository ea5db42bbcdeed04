"""Credit reports: issued, signed, readable as a PDF, verifiable by number, and forgeries refused."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pypdfium2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from pypdf import PdfReader

from services.common.clock import FrozenClock
from services.common.devkeys import ensure_key, public_jwk, write_jwks
from services.registry.reports import signing
from tests.registry.test_lists import blacklist
from tests.support import Tokens, code, event_body, register

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"
ENTERPRISE = code(901)


async def _listed_enterprise(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> tuple[dict[str, str], dict]:
    reg = tokens("regulator")
    await register(registry, reg, ENTERPRISE, name="南宁示例乳业有限公司")
    event = await registry.post(
        f"/v1/enterprises/{ENTERPRISE}/credit-events", json=event_body("南市监罚〔2026〕7号"), headers=reg
    )
    assert event.status_code == 201, event.text
    entry = await blacklist(registry, reg, clock, ENTERPRISE, decision_no="南市监罚〔2026〕8号")
    return reg, entry


def _text(pdf: bytes) -> str:
    # pypdf reads fpdf2's CID text with a NUL before each character (its ToUnicode decoding); pdfium not.
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages).replace(
        "\x00", ""
    )


def _pdfium_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    return "".join(page.get_textpage().get_text_range() for page in document)


async def _issue(registry: httpx.AsyncClient, headers: dict[str, str], **body: object) -> dict:
    response = await registry.post(f"/v1/enterprises/{ENTERPRISE}/credit-reports", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_partner_issues_a_report_whose_pdf_carries_every_field(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    _, entry = await _listed_enterprise(registry, tokens, clock)
    partner = tokens("partner", subject="procurement-nanning")
    report = await _issue(registry, partner)
    assert report["number"].startswith("CR-") and ENTERPRISE in report["number"]
    pdf = await registry.get(report["pdf_url"], headers=partner)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = _pdfium_text(pdf.content)
    for expected in (
        "企业质量信用报告",
        report["number"],
        "南宁示例乳业有限公司",
        ENTERPRISE,
        "信用等级",
        "严重违法失信名单",
        "《市场监督管理严重违法失信名单管理办法》第二条",
        "南市监罚〔2026〕8号",  # the listing decision
        "南市监罚〔2026〕7号",  # the credit event
        "风险分类",
        report["content_sha256"],
        report["key_id"],
        "/reports/" + report["number"],
    ):
        assert expected in text, expected
    assert report["signature"] in text.replace("\n", "").replace("\r", "")
    assert entry["id"] in report["document_text"]
    # pypdf reads it too (the text is real text, not drawn glyphs)
    assert report["number"] in _text(pdf.content)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image = pypdfium2.PdfDocument(pdf.content)[0].render(scale=1.5).to_pil()
    image.save(ARTIFACTS / "credit-report-page1.png")
    assert image.width > 800 and image.getextrema() != ((255, 255), (255, 255), (255, 255))
    # the partner's issuance is access-logged, and audited on the enterprise's chain
    log = (await registry.get(f"/v1/access-log?uscc={ENTERPRISE}", headers=tokens("regulator"))).json()
    assert any(
        item["lookup"] == "report" and item["partner"] == "procurement-nanning" for item in log["items"]
    )


async def test_an_english_report_on_request(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    await _listed_enterprise(registry, tokens, clock)
    own = tokens("enterprise", uscc=ENTERPRISE)
    report = await _issue(registry, own, language="en")
    text = _pdfium_text((await registry.get(report["pdf_url"], headers=own)).content)
    assert "Enterprise quality-credit report" in text and "Serious-dishonesty list" in text
    other = await registry.post(
        f"/v1/enterprises/{code(902)}/credit-reports", json={}, headers=tokens("enterprise", uscc=ENTERPRISE)
    )
    assert other.status_code in (403, 404)


async def test_verification_by_number_says_genuine_valid_and_when_the_record_changed(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    reg, _ = await _listed_enterprise(registry, tokens, clock)
    report = await _issue(registry, tokens("partner"))
    checked = (await registry.get(f"/v1/credit-reports/{report['number']}")).json()
    assert (checked["genuine"], checked["valid"], checked["record_changed_since_issue"]) == (
        True,
        True,
        False,
    )
    assert checked["content_sha256"] == report["content_sha256"]
    assert set(checked) == {
        "number", "genuine", "reason", "uscc", "name", "issued_at", "valid_until", "valid",
        "record_changed_since_issue", "content_sha256", "key_id", "checked_at",
    }  # fmt: skip
    new = await registry.post(
        f"/v1/enterprises/{ENTERPRISE}/credit-events", json=event_body("南市监罚〔2026〕9号"), headers=reg
    )
    assert new.status_code == 201
    changed = (await registry.get(f"/v1/credit-reports/{report['number']}")).json()
    assert (changed["genuine"], changed["record_changed_since_issue"]) == (True, True)
    # the portal page the QR code opens says the same, in either language
    page = await registry.get(f"/reports/{report['number']}")
    assert page.status_code == 200 and "报告真实有效" in page.text
    assert "record changed since issue" in page.text
    english = await registry.get(f"/reports?number={report['number']}&lang=en")
    assert "Genuine and valid" in english.text and "has changed since issue" in english.text
    unknown = (await registry.get(f"/v1/credit-reports/CR-20261120-{ENTERPRISE}-000000")).json()
    assert (unknown["genuine"], unknown["valid"]) == (False, False)


async def test_an_expired_report_is_genuine_but_no_longer_valid(
    registry: httpx.AsyncClient, tokens: Tokens, clock: FrozenClock
) -> None:
    await _listed_enterprise(registry, tokens, clock)
    report = await _issue(registry, tokens("regulator"))
    clock.advance(timedelta(days=31))
    checked = (await registry.get(f"/v1/credit-reports/{report['number']}")).json()
    assert (checked["genuine"], checked["valid"]) == (True, False)


async def test_forged_reports_are_refused(
    registry: httpx.AsyncClient, registry_app: FastAPI, tokens: Tokens, clock: FrozenClock
) -> None:
    await _listed_enterprise(registry, tokens, clock)
    report = await _issue(registry, tokens("regulator"))
    published = signing.ReportKeys.public_keys(registry_app.state.report_keys)
    text, kid, signature = report["document_text"], report["key_id"], report["signature"]
    assert signing.check(published, kid=kid, text=text, signature=signature) is None
    # one edited byte of the signed document: the grade changed from C to A
    document = json.loads(text)
    document["record"]["credit"]["grade"] = "A"
    edited = signing.encode(document)
    assert signing.check(published, kid=kid, text=edited, signature=signature) is not None
    # signed with a key the registry does not publish
    forger = signing.ReportKeys(
        kid=kid, private_key=Ed25519PrivateKey.generate(), jwks_file=Path("/dev/null")
    )
    assert "signature" in (
        signing.check(published, kid=kid, text=edited, signature=signing.sign(forger, edited)) or ""
    )
    assert "does not publish" in (
        signing.check(published, kid="0" * 16, text=text, signature=signature) or ""
    )
    # the PDF: an edited byte is not the issued file; the portal says which report it claims to be
    pdf = (await registry.get(report["pdf_url"], headers=tokens("regulator"))).content
    genuine = await registry.post("/reports/verify", files={"file": ("r.pdf", pdf, "application/pdf")})
    assert genuine.status_code == 200 and "报告真实有效" in genuine.text
    tampered = bytearray(pdf)
    tampered[len(pdf) // 2] ^= 0x01
    forged = await registry.post(
        "/reports/verify", files={"file": ("r.pdf", bytes(tampered), "application/pdf")}
    )
    assert forged.status_code == 200 and "不是本系统出具的文件" in forged.text


def test_rotation_keeps_old_reports_verifiable_while_their_key_is_published(tmp_path: Path) -> None:
    old = ensure_key(tmp_path, signing.REPORTS_KEY_NAME)
    keys = signing.load_keys(tmp_path / "keys" / f"{signing.REPORTS_KEY_NAME}.pem", old.jwks_path)
    signed_before = signing.sign(keys, "a report")
    # step 1: a new signing key, published next to the old one
    new_pem = tmp_path / "new.pem"
    new_key = Ed25519PrivateKey.generate()
    new_pem.write_bytes(
        new_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    write_jwks(old.jwks_path, [public_jwk(new_key), public_jwk(old.private_key)])
    rotated = signing.load_keys(new_pem, old.jwks_path)
    published = rotated.public_keys()
    assert signing.check(published, kid=old.kid, text="a report", signature=signed_before) is None
    assert (
        signing.check(published, kid=rotated.kid, text="new", signature=signing.sign(rotated, "new")) is None
    )
    # step 2: the old key withdrawn — what it signed no longer verifies
    write_jwks(old.jwks_path, [public_jwk(new_key)])
    refused = signing.check(rotated.public_keys(), kid=old.kid, text="a report", signature=signed_before)
    assert refused is not None and "does not publish" in refused
