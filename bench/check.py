"""Checks around the measurement: the ceiling and the product give the same bodies; list entries
for the check to cover; the workers' resident memory."""

from __future__ import annotations

import json
from pathlib import Path

import httpx


def worker_rss_mb(pid: int) -> list[float]:
    """Resident memory of each uvicorn worker under the supervisor `pid` (Linux /proc), in MB."""

    def children(p: int) -> list[int]:
        found = []
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            found += [int(c) for c in task.read_text().split()]
        return found

    sizes = []
    for child in children(pid):
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"resource_tracker" in cmdline:
            continue
        status = Path(f"/proc/{child}/status").read_text()
        kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        sizes.append(kb / 1024)
    return sizes


def list_entry_inserts(black: str, red: str) -> list[str]:
    """Two listed entries (one black with a term, one red), so the body check covers list status.

    The red one goes to an enterprise graded A: one below the red-list floor is withdrawn by the
    sweep, as it should be."""
    return [
        "INSERT INTO list_entry (id, uscc, kind, status, reason, legal_basis, decision_no, decided_at, "
        "proposed_at, proposed_by, defence_due_provisional, publication_due_provisional, listed_at, "
        f"expires_at, updated_at) VALUES (gen_random_uuid(), '{code}', '{kind}', 'listed', 'bench', "
        f"'bench', 'BENCH-{kind}', now(), now(), 'bench', false, false, now() - interval '1 day', "
        f"{until}, now())"
        for code, kind, until in (
            (black, "black", "now() + interval '3 years'"),
            (red, "red", "NULL"),
        )
    ]


SEARCHES = ("食品有限公司1", "电器有限公司42", "没有这样的名字")


def answers(url: str, codes: list[str], batch: bytes, headers: dict[str, str]) -> list[object]:
    """The bodies the body check compares: credit answers, the batch, a few searches (no as_of)."""
    bodies: list[object] = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for code in codes:
            bodies.append(client.get(f"/v1/enterprises/{code}/credit").json())
        bodies.append(
            client.post(
                "/v1/credit-status:batch",
                content=batch,
                headers={**headers, "content-type": "application/json"},
            ).json()
        )
        for q in SEARCHES:
            bodies.append(client.get("/v1/enterprises", params={"q": q}).json())
    for body in bodies:
        if isinstance(body, dict):
            body.pop("as_of", None)
    return bodies


def same_answers(ceiling: list[object], product: list[object]) -> None:
    """Fails when the ceiling and the product disagree on any sampled body."""
    for i, (c, p) in enumerate(zip(ceiling, product, strict=True)):
        if c != p:
            raise SystemExit(
                f"ceiling and product answer differently (sample {i}):\nceiling: {json.dumps(c)[:2000]}"
                f"\nproduct: {json.dumps(p)[:2000]}"
            )
