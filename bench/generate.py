"""Synthetic import files: N enterprises with ~3 credit events each (deterministic from a seed)."""

from __future__ import annotations

import argparse
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.common.uscc import ALPHABET, with_check_characters

DIVISIONS = ["110101", "310115", "440305", "450100", "450600", "211300", "330106", "510107", "610113"]
KINDS = [
    ("spot_check_failed", 0.4),
    ("administrative_penalty", 0.2),
    ("complaint_substantiated", 0.3),
    ("award", 0.1),
]
NAMES = ["食品", "电器", "乳业", "机械", "五金", "纺织", "医疗器械", "建材", "化工", "电子"]


def code_for(i: int) -> str:
    """A valid code for enterprise number i (unique for i < 31**8)."""
    body = []
    n = i
    for _ in range(8):
        n, r = divmod(n, 31)
        body.append(ALPHABET[r])
    return with_check_characters("91" + DIVISIONS[i % len(DIVISIONS)] + "".join(reversed(body)))


def generate(path: Path, n: int, seed: int = 2026, events_per: float = 3.0) -> int:
    rng = random.Random(seed)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    kinds, weights = zip(*KINDS, strict=True)
    total_events = 0
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            count = rng.randint(0, int(2 * events_per))
            events = [
                {
                    "kind": rng.choices(kinds, weights)[0],
                    "severity": rng.choice(("minor", "minor", "major", "severe")),
                    "authority": "市场监督管理局",
                    "source_ref": f"B{i}-{k}",
                    "occurred_at": (base + timedelta(minutes=rng.randrange(400_000))).isoformat(),
                }
                for k in range(count)
            ]
            total_events += count
            fh.write(
                json.dumps(
                    {"uscc": code_for(i), "name": f"示例{NAMES[i % 10]}有限公司{i}", "events": events},
                    ensure_ascii=False,
                )
                + "\n"
            )
    return total_events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    events = generate(args.path, args.n)
    print(f"wrote {args.n:,} enterprises and {events:,} events to {args.path}")


if __name__ == "__main__":
    main()
