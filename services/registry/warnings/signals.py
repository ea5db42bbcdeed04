"""The signal test: is the latest window's count improbably high against its own trailing baseline?

    λ = max(mean of the baseline windows, min_baseline);  p = P(X ≥ count), X ~ Poisson(λ)

It fires when count ≥ the kind's min_count and p ≤ the loosest level's max_p; the level is the
strictest whose max_p p reaches. Thresholds live in `thresholds.toml`.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

THRESHOLDS_FILE = Path(__file__).with_name("thresholds.toml")


@dataclass(frozen=True)
class Thresholds:
    version: str
    window_days: int
    baseline_windows: int
    min_baseline: float
    levels: tuple[tuple[str, float], ...]  # strictest first
    min_counts: dict[str, int]


@dataclass(frozen=True)
class Fired:
    count: int
    baseline: float
    p_value: float
    level: str


@cache
def load_thresholds(path: Path = THRESHOLDS_FILE) -> Thresholds:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    levels = tuple(sorted(((lv["level"], float(lv["max_p"])) for lv in raw["levels"]), key=lambda x: x[1]))
    return Thresholds(
        version=raw["version"],
        window_days=int(raw["window_days"]),
        baseline_windows=int(raw["baseline_windows"]),
        min_baseline=float(raw["min_baseline"]),
        levels=levels,
        min_counts={k: int(v["min_count"]) for k, v in raw["kinds"].items()},
    )


def poisson_upper_tail(count: int, lam: float) -> float:
    """P(X ≥ count) for X ~ Poisson(lam), summed in log space (no overflow for large counts)."""
    if count <= 0:
        return 1.0
    below = sum(math.exp(k * math.log(lam) - lam - math.lgamma(k + 1)) for k in range(count))
    return max(0.0, 1.0 - below)


def evaluate(count: int, baseline_counts: list[int], *, kind: str, thresholds: Thresholds) -> Fired | None:
    if count < thresholds.min_counts[kind]:
        return None
    mean = sum(baseline_counts) / len(baseline_counts) if baseline_counts else 0.0
    lam = max(mean, thresholds.min_baseline)
    p = poisson_upper_tail(count, lam)
    level = next((name for name, max_p in thresholds.levels if p <= max_p), None)
    return Fired(count=count, baseline=mean, p_value=p, level=level) if level else None


@dataclass(frozen=True)
class Windows:
    """The latest window [start, end] and the baseline windows before it, all `window_days` long."""

    start: date
    end: date
    baseline: tuple[date, ...]  # start day of each baseline window, oldest first

    @property
    def first_day(self) -> date:
        return self.baseline[0] if self.baseline else self.start


def windows(today: date, thresholds: Thresholds) -> Windows:
    size = thresholds.window_days
    start = today - timedelta(days=size - 1)
    baseline = tuple(start - timedelta(days=size * k) for k in range(thresholds.baseline_windows, 0, -1))
    return Windows(start=start, end=today, baseline=baseline)


def window_of(day: date, w: Windows, size: int) -> date | None:
    """The start of the window `day` falls in (latest or baseline), or None outside them."""
    if w.start <= day <= w.end:
        return w.start
    for s in w.baseline:
        if s <= day < s + timedelta(days=size):
            return s
    return None
