"""The portal's calls to the complaints service's public API: file a case, track a case.

The registry never stores what a complainant typed: the form is forwarded as it is and only the
tracking code comes back. The caller's address goes along as X-Forwarded-For so the complaints
service's per-client limits apply to the person, not to the portal (it trusts the header from its
configured proxies only).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

import httpx
from fastapi import Depends, Request

from services.common.observability import request_id_var
from services.common.ratelimit import client_address


class ComplaintsUnavailable(Exception):
    """The complaints service did not answer, or answered with a server error."""


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class Refusal(Exception):
    """The complaints service refused the case (422): per-field messages from its problem answer."""

    def __init__(self, detail: str, errors: list[dict[str, str]]):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


@dataclass(frozen=True)
class Filed:
    tracking_code: str
    kind: str
    accept_by: datetime
    # A real-name report's reward claim secret, shown to the reporter this once; the registry passes
    # it through to the page and neither stores nor logs it.
    claim_secret: str | None = None


async def complaints_client(request: Request) -> AsyncIterator[httpx.AsyncClient]:
    settings = request.app.state.settings
    async with httpx.AsyncClient(
        base_url=settings.complaints_url, timeout=settings.complaints_timeout_seconds
    ) as client:
        yield client


ComplaintsClientDep = Annotated[httpx.AsyncClient, Depends(complaints_client)]


def _headers(request: Request) -> dict[str, str]:
    headers = {"X-Forwarded-For": client_address(request), "Accept": "application/json"}
    rid = request_id_var.get(None)
    if rid:
        headers["X-Request-ID"] = rid
    return headers


def _retry_after(response: httpx.Response) -> int:
    value = response.headers.get("retry-after", "")
    return int(value) if value.isdigit() else 60


async def _send(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise ComplaintsUnavailable(str(exc)) from exc
    if response.status_code >= 500:
        raise ComplaintsUnavailable(f"complaints service answered {response.status_code}")
    if response.status_code == 429:
        raise RateLimited(_retry_after(response))
    return response


async def file_case(client: httpx.AsyncClient, request: Request, body: dict[str, Any]) -> Filed:
    response = await _send(client, "POST", "/v1/complaints", json=body, headers=_headers(request))
    if response.status_code == 422:
        problem = response.json()
        raise Refusal(str(problem.get("detail", "")), list(problem.get("errors", [])))
    if response.status_code != 201:
        raise ComplaintsUnavailable(f"complaints service answered {response.status_code}")
    created = response.json()
    return Filed(
        tracking_code=created["tracking_code"],
        kind=created["kind"],
        accept_by=datetime.fromisoformat(created["deadlines"]["accept_by"]["at"]),
        claim_secret=created.get("claim_secret"),
    )


async def track_case(client: httpx.AsyncClient, request: Request, code: str) -> dict[str, Any] | None:
    """The public tracking answer, or None when no case has this code."""
    url = f"/v1/complaints/track/{quote(code, safe='')}"
    response = await _send(client, "GET", url, headers=_headers(request))
    if response.status_code in (404, 422):
        return None
    if response.status_code != 200:
        raise ComplaintsUnavailable(f"complaints service answered {response.status_code}")
    return dict(response.json())
