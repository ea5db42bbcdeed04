"""Issuing and verifying credit reports: build the record, sign its canonical JSON, render, keep."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.errors import NotFound
from services.registry.credit.rules import RuleSet
from services.registry.events import unit_of_work as events
from services.registry.events.domain import ReportIssued
from services.registry.reports import pdf, record, signing
from services.registry.reports.models import CreditReport

_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the code's own alphabet: no I, O, S, V, Z
DOCUMENT_TYPE = "qcr-credit-report"


@dataclass(frozen=True)
class Verification:
    number: str
    report: CreditReport | None
    reason: str | None
    valid: bool
    record_changed: bool | None


def new_number(uscc: str, now: datetime) -> str:
    """CR-<date>-<code>-<6 random>: the code routes a look-up to the enterprise's rows."""
    return f"CR-{now:%Y%m%d}-{uscc}-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def uscc_of(number: str) -> str | None:
    parts = number.split("-")
    return parts[2] if len(parts) == 4 and parts[0] == "CR" and len(parts[2]) == 18 else None


def verification_url(base: str, number: str) -> str:
    return f"{base.rstrip('/')}/reports/{number}"


async def issue(
    session: AsyncSession,
    *,
    uscc: str,
    actor: Principal,
    purpose: str | None,
    language: str,
    rules: RuleSet,
    keys: signing.ReportKeys,
    validity_days: int,
    public_url: str,
    now: datetime,
) -> CreditReport:
    content = await record.report_record(session, uscc=uscc, rules=rules, now=now)
    number = new_number(uscc, now)
    document: dict[str, Any] = {
        "type": DOCUMENT_TYPE,
        "version": 1,
        "number": number,
        "issued_at": now.isoformat(),
        "valid_until": (now + timedelta(days=validity_days)).isoformat(),
        "language": language,
        "purpose": purpose or "",
        "requested_by_role": str(actor.role),
        "record": content,
    }
    text = signing.encode(document)
    digest = signing.sha256(text)
    signature = signing.sign(keys, text)
    url = verification_url(public_url, number)
    rendered = await asyncio.to_thread(
        pdf.render,
        document,
        lang=language,
        url=url,
        content_sha256=digest,
        key_id=keys.kid,
        signature=signature,
    )
    report = CreditReport(
        uscc=uscc,
        number=number,
        issued_at=now,
        valid_until=now + timedelta(days=validity_days),
        issued_by=actor.actor,
        issuer_role=str(actor.role),
        purpose=purpose or "",
        language=language,
        document=text,
        content_sha256=digest,
        record_sha256=signing.sha256(signing.encode(content)),
        key_id=keys.kid,
        signature=signature,
        pdf_sha256=hashlib.sha256(rendered).hexdigest(),
        pdf=rendered,
    )
    session.add(report)
    await session.flush()
    events.record(
        session,
        ReportIssued(
            uscc=uscc,
            actor=actor.actor,
            at=now,
            number=number,
            details={
                "content_sha256": digest,
                "key_id": keys.kid,
                "purpose": purpose or "",
                "role": str(actor.role),
            },
        ),
    )
    return report


async def get(session: AsyncSession, number: str) -> CreditReport:
    code = uscc_of(number)
    found = None if code is None else await session.get(CreditReport, (code, number))
    if found is None:
        raise NotFound(f"no credit report {number}")
    return found


async def pdf_of(session: AsyncSession, report: CreditReport) -> bytes:
    statement = select(CreditReport.pdf).where(
        CreditReport.uscc == report.uscc, CreditReport.number == report.number
    )
    return (await session.execute(statement)).scalar_one()


async def verify(
    session: AsyncSession, *, number: str, keys: signing.ReportKeys, rules: RuleSet, now: datetime
) -> Verification:
    """Genuine (stored and its signature good under a published key), valid, record changed since."""
    code = uscc_of(number)
    report = None if code is None else await session.get(CreditReport, (code, number))
    if report is None:
        return Verification(number, None, "no report with this number was issued", False, None)
    problem = signing.check(
        keys.public_keys(), kid=report.key_id, text=report.document, signature=report.signature
    )
    if problem is None and signing.sha256(report.document) != report.content_sha256:
        problem = "the stored content does not match its hash"
    if problem is not None:
        return Verification(number, report, problem, False, None)
    current = await record.report_record(session, uscc=report.uscc, rules=rules, now=now)
    changed = signing.sha256(signing.encode(current)) != report.record_sha256
    return Verification(number, report, None, now < report.valid_until, changed)


async def find_by_pdf(session: AsyncSession, content: bytes) -> CreditReport | None:
    """The report whose PDF is this file, byte for byte (an edited byte finds none)."""
    digest = hashlib.sha256(content).hexdigest()
    statement = select(CreditReport).where(CreditReport.pdf_sha256 == digest).limit(1)
    return (await session.execute(statement)).scalars().first()


def claimed_number(content: bytes) -> str | None:
    """The report number a PDF names in its metadata (to say which report a changed file claims to be)."""
    marker = b"qcr-credit-report CR-"
    at = content.find(marker)
    if at < 0:
        return None
    tail = content[at + len(marker) - 3 : at + len(marker) - 3 + 40].split(b" ")[0]
    try:
        return tail.decode("ascii")
    except UnicodeDecodeError:
        return None
