"""Per-client fixed-window rate limits for public routes (in memory, per replica)."""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request

from services.common.errors import TooManyRequests


class RateLimiter:
    def __init__(self, max_keys: int = 100_000):
        self._windows: dict[tuple[str, str], tuple[int, int]] = {}
        self._max_keys = max_keys

    def hit(self, bucket: str, client: str, *, limit: int, window_seconds: int, now: float) -> int | None:
        """Count one request; the seconds to wait when over the limit, else None."""
        window = int(now // window_seconds)
        key = (bucket, client)
        start, count = self._windows.get(key, (window, 0))
        if start != window:
            start, count = window, 0
        if count >= limit:
            return max(1, math.ceil((window + 1) * window_seconds - now))
        if len(self._windows) >= self._max_keys:
            self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
        self._windows[key] = (start, count + 1)
        return None


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def rate_limited(bucket: str) -> Callable[[Request], Coroutine[Any, Any, None]]:
    """Dependency: `app.state.rate_limits[bucket]` = (limit, window seconds) per client address."""

    async def dependency(request: Request) -> None:
        limit, window = request.app.state.rate_limits[bucket]
        limiter: RateLimiter = request.app.state.rate_limiter
        wait = limiter.hit(
            bucket,
            client_address(request),
            limit=limit,
            window_seconds=window,
            now=request.app.state.clock.now().timestamp(),
        )
        if wait is not None:
            raise TooManyRequests(
                f"too many requests; retry in {wait} s", headers={"Retry-After": str(wait)}, retry_after=wait
            )

    return dependency
