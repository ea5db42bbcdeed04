"""The complaint rules file: channels, workflow and deadlines, loaded once."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache
from pathlib import Path

from services.common.workdays import CHINA, WorkCalendar

RULES_FILE = Path(__file__).with_name("rules.toml")
OPEN_STATES = frozenset({"received", "accepted", "investigating"})
FINAL_STATES = frozenset({"closed"})


@dataclass(frozen=True)
class Policy:
    channels: tuple[str, ...]
    complaint_accept_days: int
    complaint_handle_days: int
    report_decide_days: int
    report_extension_days: int
    report_case_days: int
    duplicate_window_days: int
    workflow: dict[str, dict[str, str]]

    def allowed_actions(self, state: str) -> list[str]:
        return sorted(self.workflow.get(state, {}))

    def accept_due(self, *, kind: str, received_at: datetime, calendar: WorkCalendar) -> datetime:
        """When the accept / reject decision is due (for a report: whether to open a case)."""
        days = self.complaint_accept_days if kind == "complaint" else self.report_decide_days
        return calendar.deadline(received_at, days)

    def handle_due(self, *, kind: str, accepted_at: datetime, calendar: WorkCalendar) -> datetime:
        """When an accepted case must be concluded."""
        if kind == "complaint":
            return calendar.deadline(accepted_at, self.complaint_handle_days)
        end = accepted_at.astimezone(CHINA).date() + timedelta(days=self.report_case_days)
        return datetime.combine(end, time(23, 59, 59), tzinfo=CHINA)


@cache
def load_policy(path: Path = RULES_FILE) -> Policy:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    d = data["deadlines"]
    workflow = {state: dict(actions) for state, actions in data["workflow"].items()}
    for state, actions in workflow.items():
        unknown = set(actions.values()) - set(workflow)
        if unknown:
            raise ValueError(f"{path}: {state} leads to unknown states {unknown}")
    return Policy(
        channels=tuple(data["channels"]["accepted"]),
        complaint_accept_days=int(d["complaint_accept_working_days"]),
        complaint_handle_days=int(d["complaint_handle_working_days"]),
        report_decide_days=int(d["report_decide_working_days"]),
        report_extension_days=int(d["report_extension_working_days"]),
        report_case_days=int(d["report_case_days"]),
        duplicate_window_days=int(data["duplicates"]["window_days"]),
        workflow=workflow,
    )
