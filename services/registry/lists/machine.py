"""The list state machines, as data: per list, per state, the actions allowed and where they lead."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from services.common.errors import Conflict

ListKind = Literal["black", "red"]
LISTS: tuple[ListKind, ...] = ("black", "red")
LISTED = "listed"
REMOVED = "removed"


@dataclass(frozen=True)
class Step:
    to: str
    # "regulator": an explicit action on POST /v1/list-entries/{id}/transitions;
    # "system": taken by the registry itself (sweep, repair decision, red-list disqualification).
    by: Literal["regulator", "system"]
    # How the entry left the list, when this step removes it; None: the caller names the cause.
    exit_kind: str | None = None
    needs_note: bool = False


MACHINE: dict[str, dict[str, dict[str, Step]]] = {
    # 严重违法失信名单: proposal, notice with a chance to state one's case, listing, removal.
    "black": {
        "proposed": {
            "serve_notice": Step("notice_served", "regulator"),
            "cancel": Step("cancelled", "regulator", needs_note=True),
        },
        "notice_served": {
            "list": Step(LISTED, "regulator"),
            "cancel": Step("cancelled", "regulator", needs_note=True),
        },
        LISTED: {
            "revoke": Step(REMOVED, "regulator", exit_kind="revoked", needs_note=True),
            "expire": Step(REMOVED, "system", exit_kind="expired"),
            "repair": Step(REMOVED, "system", exit_kind="repaired"),
        },
        REMOVED: {},
        "cancelled": {},
    },
    # 守信激励名单: listed on eligibility, removed by a regulator or when it stops qualifying.
    "red": {
        LISTED: {
            "remove": Step(REMOVED, "regulator", exit_kind="removed", needs_note=True),
            "disqualify": Step(REMOVED, "system"),
        },
        REMOVED: {},
    },
}

INITIAL: dict[str, str] = {"black": "proposed", "red": LISTED}
REGULATOR_ACTIONS = frozenset(
    action
    for states in MACHINE.values()
    for steps in states.values()
    for action, step in steps.items()
    if step.by == "regulator"
)


def allowed_actions(kind: str, status: str) -> list[str]:
    """What a regulator may do next with an entry in `status`."""
    return sorted(a for a, s in MACHINE[kind][status].items() if s.by == "regulator")


def illegal(kind: str, status: str, action: str, detail: str | None = None) -> Conflict:
    allowed = allowed_actions(kind, status)
    return Conflict(
        detail
        or f"action {action!r} is not allowed on a {kind}-list entry that is {status}; "
        f"allowed: {', '.join(allowed) or 'none'}",
        current_state=status,
        allowed_actions=allowed,
    )


def step(kind: str, status: str, action: str, *, by: str) -> Step:
    """The step `action` takes from `status`, or a 409 naming the state and the allowed actions."""
    found = MACHINE[kind][status].get(action)
    if found is None or (by == "regulator" and found.by != "regulator"):
        raise illegal(kind, status, action)
    return found
