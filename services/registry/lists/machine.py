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
    # A fact about the entry the step needs (see `facts`): "cross_province", "repaired", "no_consent".
    when: str | None = None


MACHINE: dict[str, dict[str, dict[str, Step]]] = {
    # 严重违法失信名单 (Order 44): proposal, notice with a chance to state one's case (第十三条), the
    # next level's consent where needed (第二十二条), the listing decision, publication (第十四条),
    # removal; a removal obtained by fraud is undone and the listing restored (第二十条).
    # `list` from notice_served decides and publishes at once; `decide` then `list` records both days.
    "black": {
        "proposed": {
            "serve_notice": Step("notice_served", "regulator"),
            "record_consent": Step("proposed", "regulator", when="no_consent"),
            "cancel": Step("cancelled", "regulator", needs_note=True),
        },
        "notice_served": {
            "record_consent": Step("notice_served", "regulator", when="no_consent"),
            "decide": Step("decided", "regulator"),
            "list": Step(LISTED, "regulator"),
            "cancel": Step("cancelled", "regulator", needs_note=True),
        },
        "decided": {
            "push": Step("decided", "regulator", when="cross_province"),
            "list": Step(LISTED, "regulator"),
            "revoke": Step(REMOVED, "regulator", exit_kind="revoked", needs_note=True),
        },
        LISTED: {
            "revoke": Step(REMOVED, "regulator", exit_kind="revoked", needs_note=True),
            "expire": Step(REMOVED, "system", exit_kind="expired"),
            "repair": Step(REMOVED, "system", exit_kind="repaired"),
        },
        REMOVED: {
            "restore": Step(LISTED, "regulator", needs_note=True, when="repaired"),
        },
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

# The regulator's actions that must give reasons (each needs them in every state it is taken from),
# and the one that names the consenting authority (Order 44 第二十二条).
NOTED_ACTIONS = frozenset(
    action
    for states in MACHINE.values()
    for steps in states.values()
    for action, step in steps.items()
    if step.by == "regulator" and step.needs_note
)
CONSENT_ACTION = "record_consent"
PLAIN_ACTIONS = REGULATOR_ACTIONS - NOTED_ACTIONS - {CONSENT_ACTION}


def facts(*, cross_province: bool, exit_kind: str | None, pushed: bool, consented: bool) -> frozenset[str]:
    """What conditional steps look at: cross-province and not pushed, a repaired removal, no consent yet."""
    found = set() if consented else {"no_consent"}
    if cross_province and not pushed:
        found.add("cross_province")
    if exit_kind == "repaired":
        found.add("repaired")
    return frozenset(found)


def allowed_actions(kind: str, status: str, known: frozenset[str] = frozenset()) -> list[str]:
    """What a regulator may do next with an entry in `status`, given the facts about it."""
    return sorted(
        a
        for a, s in MACHINE[kind][status].items()
        if s.by == "regulator" and (s.when is None or s.when in known)
    )


def illegal(
    kind: str, status: str, action: str, detail: str | None = None, known: frozenset[str] = frozenset()
) -> Conflict:
    allowed = allowed_actions(kind, status, known)
    return Conflict(
        detail
        or f"action {action!r} is not allowed on a {kind}-list entry that is {status}; "
        f"allowed: {', '.join(allowed) or 'none'}",
        current_state=status,
        allowed_actions=allowed,
    )


def step(kind: str, status: str, action: str, *, by: str, known: frozenset[str] = frozenset()) -> Step:
    """The step `action` takes from `status`, or a 409 naming the state and the allowed actions."""
    found = MACHINE[kind][status].get(action)
    if (
        found is None
        or (by == "regulator" and found.by != "regulator")
        or (found.when is not None and found.when not in known)
    ):
        raise illegal(kind, status, action, known=known)
    return found
