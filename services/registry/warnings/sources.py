"""Where the signals' counts come from, as series per subject: {window start: count} plus evidence ids.

Complaints: the complaints service's aggregates endpoint (counts only; nothing personal crosses).
Spot checks, substantiated complaints and declarations: the registry's own tables.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.devkeys import SigningKey, load_private_key, public_jwk, sign_token
from services.common.roles import Role
from services.common.workdays import CHINA
from services.registry.credit.models import CreditEvent
from services.registry.standards.models import StandardFlag, StandardVersion
from services.registry.supervision.models import InspectionTask
from services.registry.supervision.rules import load_catalogue
from services.registry.warnings.signals import Windows, window_of


@dataclass
class Series:
    signal: str
    region: str | None = None
    category: str | None = None
    uscc: str | None = None
    counts: dict[date, int] = field(default_factory=lambda: defaultdict(int))
    evidence: list[str] = field(default_factory=list)  # ids behind the latest window's count

    @property
    def key(self) -> str:
        return self.uscc or f"{self.region}|{self.category}"


class ComplaintsUnavailable(Exception):
    """The complaints service did not answer the aggregates request."""


def _category(name: str) -> str:
    found = load_catalogue().get(name)
    return found.name if found else name


def _day(at: datetime) -> date:
    return at.astimezone(CHINA).date()


def _bounds(w: Windows) -> tuple[datetime, datetime]:
    return (
        datetime.combine(w.first_day, time(0), tzinfo=CHINA),
        datetime.combine(w.end + timedelta(days=1), time(0), tzinfo=CHINA),
    )


def service_token(key_file: Any, issuer: str, now: float) -> str:
    key = load_private_key(key_file)
    signing = SigningKey(kid=public_jwk(key)["kid"], private_key=key, jwks_path=key_file)
    return sign_token(
        signing,
        issuer=issuer,
        audience="complaints",
        subject="registry",
        role=Role.service,
        ttl_seconds=120,
        now=now,
    )


async def complaint_series(client: httpx.AsyncClient, token: str, w: Windows, size: int) -> list[Series]:
    try:
        answer = await client.get(
            "/v1/aggregates/complaints",
            params={"from": w.first_day.isoformat(), "to": w.end.isoformat(), "bucket_days": size},
            headers={"Authorization": f"Bearer {token}"},
        )
    except httpx.HTTPError as exc:
        raise ComplaintsUnavailable(str(exc)) from exc
    if answer.status_code != 200:
        raise ComplaintsUnavailable(f"complaints service answered {answer.status_code}")
    series: dict[tuple[str, str], Series] = {}
    for item in answer.json()["items"]:
        # Only these four fields are read: the answer carries nothing else, and nothing else is kept.
        bucket, region, category = (
            date.fromisoformat(item["bucket_start"]),
            item["region"],
            _category(item["category"]),
        )
        s = series.setdefault((region, category), Series("complaints", region=region, category=category))
        start = window_of(bucket, w, size)
        if start is not None:
            s.counts[start] += int(item["count"])
    return list(series.values())


async def spot_check_series(session: AsyncSession, w: Windows, size: int) -> list[Series]:
    lo, hi = _bounds(w)
    rows = await session.execute(
        select(
            InspectionTask.id, InspectionTask.uscc, InspectionTask.category, InspectionTask.finalised_at
        ).where(
            InspectionTask.final_result == "fail",
            InspectionTask.finalised_at >= lo,
            InspectionTask.finalised_at < hi,
        )
    )
    series: dict[tuple[str, str], Series] = {}
    for task_id, uscc, category, at in rows:
        region, cat = uscc[2:6], category or "未分类"
        s = series.setdefault((region, cat), Series("spot_check_failures", region=region, category=cat))
        assert at is not None  # final results have a finalised_at
        _count(s, _day(at), w, size, str(task_id))
    return list(series.values())


async def substantiated_series(session: AsyncSession, w: Windows, size: int) -> list[Series]:
    lo, hi = _bounds(w)
    rows = await session.execute(
        select(CreditEvent.id, CreditEvent.uscc, CreditEvent.recorded_at).where(
            CreditEvent.kind == "complaint_substantiated",
            CreditEvent.revoked_at.is_(None),
            CreditEvent.recorded_at >= lo,
            CreditEvent.recorded_at < hi,
        )
    )
    series: dict[str, Series] = {}
    for event_id, uscc, at in rows:
        s = series.setdefault(uscc, Series("repeat_substantiated", uscc=uscc, region=uscc[2:6]))
        _count(s, _day(at), w, size, str(event_id))
    return list(series.values())


async def declaration_series(session: AsyncSession, w: Windows, size: int) -> list[Series]:
    lo, hi = _bounds(w)
    rows = await session.execute(
        select(
            StandardFlag.declaration_id,
            StandardVersion.category,
            StandardVersion.products,
            StandardFlag.flagged_at,
        )
        .join(
            StandardVersion,
            and_(
                StandardVersion.uscc == StandardFlag.uscc,
                StandardVersion.declaration_id == StandardFlag.declaration_id,
                StandardVersion.version == StandardFlag.version,
            ),
        )
        .where(
            StandardFlag.source == "comparison", StandardFlag.flagged_at >= lo, StandardFlag.flagged_at < hi
        )
    )
    series: dict[str, Series] = {}
    for declaration_id, category, products, at in rows:
        found = load_catalogue().categories_of([category or "", *products])
        cat = found[0].name if found else (category or "未分类")
        s = series.setdefault(cat, Series("weaker_declarations", category=cat))
        _count(s, _day(at), w, size, str(declaration_id))
    return list(series.values())


def _count(s: Series, day: date, w: Windows, size: int, ref: str) -> None:
    start = window_of(day, w, size)
    if start is None:
        return
    s.counts[start] += 1
    if start == w.start:
        s.evidence.append(ref)
