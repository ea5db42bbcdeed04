"""From a barcode on a complaint to the enterprise responsible for it, by asking the registry.

商品条码管理办法 第十九条: "商品上使用商品条码的，应当使用对该商品承担质量责任的系统成员的商品条码。"
A complainant who knows the barcode but not the credit code names the GTIN; the registry answers
who holds it. The request carries the GTIN and a short-lived service token only, never what the
reporter wrote or who they are. A registry that does not answer leaves the case untraced (a handler
sees that and can name the enterprise); intake never fails because of it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, cast
from urllib.parse import quote

import httpx
from fastapi import Depends, Request

from services.complaints.cases.models import Complaint
from services.complaints.cases.schemas import ComplaintCreate, TraceStatus, Tracing
from services.complaints.outbox.dispatcher import registry_token, signing_key

logger = logging.getLogger("qcr.tracing")


@dataclass(frozen=True)
class Trace:
    status: str  # traced | not_found | restricted | unavailable
    uscc: str | None = None
    name: str | None = None
    product: str | None = None


async def registry_client(request: Request) -> AsyncIterator[httpx.AsyncClient]:
    settings = request.app.state.settings
    async with httpx.AsyncClient(
        base_url=settings.registry_url, timeout=settings.registry_timeout_seconds
    ) as client:
        yield client


RegistryClientDep = Annotated[httpx.AsyncClient, Depends(registry_client)]


async def _token(request: Request) -> str:
    state = request.app.state
    key = getattr(state, "tracing_key", None)
    if key is None:
        key = state.tracing_key = await asyncio.to_thread(signing_key, state.settings.signing_key_file)
    # Token times are wall-clock times (the registry checks them against its own), not the app's clock.
    return registry_token(key, state.settings, datetime.now(UTC))


async def trace(client: httpx.AsyncClient, request: Request, gtin: str) -> Trace:
    """Ask the registry who answers for `gtin`."""
    try:
        response = await client.get(
            f"/v1/products/{quote(gtin, safe='')}/trace",
            headers={"Authorization": f"Bearer {await _token(request)}", "Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        logger.warning("registry unreachable for tracing", extra={"error": type(exc).__name__})
        return Trace("unavailable")
    if response.status_code != 200:
        logger.warning("registry refused a trace", extra={"status": response.status_code})
        return Trace("unavailable")
    answer = response.json()
    if answer.get("result") in ("item", "prefix_holder") and answer.get("uscc"):
        return Trace("traced", uscc=answer["uscc"], name=answer.get("name"), product=answer.get("product"))
    return Trace("restricted" if answer.get("result") == "restricted" else "not_found")


def with_target(data: ComplaintCreate, found: Trace) -> ComplaintCreate:
    """The complaint as if its filer had named the enterprise the barcode traced to."""
    if found.status != "traced":
        return data
    return data.model_copy(
        update={
            "target_uscc": found.uscc,
            "target_name": data.target_name or found.name,
            "product": data.product or found.product,
        }
    )


def record(complaint: Complaint, data: ComplaintCreate, found: Trace | None) -> None:
    complaint.gtin = data.gtin
    complaint.batch = data.batch
    complaint.trace_status = found.status if found else None


def view(complaint: Complaint) -> Tracing | None:
    if complaint.gtin is None:
        return None
    return Tracing(
        gtin=complaint.gtin,
        batch=complaint.batch,
        status=cast(TraceStatus, complaint.trace_status or "named"),
        uscc=complaint.target_uscc if complaint.trace_status == "traced" else None,
        name=complaint.target_name if complaint.trace_status == "traced" else None,
    )
