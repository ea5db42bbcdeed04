"""Per-client fixed-window rate limits for public routes (in memory, per replica)."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request

from services.common.errors import TooManyRequests

logger = logging.getLogger("qcr.ratelimit")


class RateLimiter:
    """Counts requests per (bucket, client) in fixed windows, in bounded memory.

    Each entry remembers when its own window ends, so buckets with different windows share the table
    safely. When the table is full even after dropping ended windows (many clients at once, e.g.
    addresses from a large IPv6 range), the oldest tenth is dropped: memory and time per request stay
    bounded, at the price of forgetting some counts while under that kind of load.
    """

    def __init__(self, max_keys: int = 100_000):
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}  # -> (window end, count)
        self._max_keys = max_keys

    def __len__(self) -> int:
        return len(self._windows)

    def hit(self, bucket: str, client: str, *, limit: int, window_seconds: int, now: float) -> int | None:
        """Count one request; the seconds to wait when over the limit, else None."""
        key = (bucket, client)
        ends, count = self._windows.get(key, (0.0, 0))
        if now >= ends:
            ends, count = (math.floor(now / window_seconds) + 1) * window_seconds, 0
        if count >= limit:
            return max(1, math.ceil(ends - now))
        if key not in self._windows and len(self._windows) >= self._max_keys:
            self._make_room(now)
        self._windows[key] = (ends, count + 1)
        return None

    def _make_room(self, now: float) -> None:
        self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
        if len(self._windows) >= self._max_keys:
            logger.warning("rate-limit table full; forgetting the oldest clients", extra={"size": len(self)})
            keep = list(self._windows.items())[len(self._windows) - self._max_keys * 9 // 10 :]
            self._windows = dict(keep)


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
